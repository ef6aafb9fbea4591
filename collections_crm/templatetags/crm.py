import zoneinfo
from decimal import Decimal

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """An amount with two decimals and grouping in the reader's locale, then its currency."""
    if amount is None or amount == "":
        return "—"
    formatted = formats.number_format(Decimal(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{formatted}\u00a0{currency}" if currency else formatted


@register.filter
def percent(ratio) -> str:
    if ratio is None:
        return "—"
    return formats.number_format(Decimal(ratio) * 100, decimal_pos=0, use_l10n=True) + "\u00a0%"


@register.simple_tag
def zoned(value, zone_name: str, format_string: str = "SHORT_DATETIME_FORMAT") -> str:
    """A moment formatted in a named IANA zone (a debtor's), not the reader's.

    A tag rather than a filter: Django's |date and |time filters convert their input
    back to the reader's zone. `value` None means now.
    """
    moment = timezone.now() if value is None else value
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "—"
    return formats.date_format(timezone.localtime(moment, zone), format_string)
