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


@register.filter
def in_zone(value, zone_name: str):
    """A datetime converted to a named IANA zone (a debtor's), for |date formatting."""
    if value is None or not zone_name:
        return value
    try:
        return timezone.localtime(value, zoneinfo.ZoneInfo(zone_name))
    except zoneinfo.ZoneInfoNotFoundError:
        return value


@register.simple_tag
def now_in_zone(zone_name: str):
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(zone_name))
