import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext

from collections_crm.lib import clock
from collections_crm.lib.timezones import zone_for

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
def zoned(value, zone_name: str, format_name: str = "SHORT_DATETIME_FORMAT") -> str:
    """A moment formatted in a named IANA zone (a debtor's), not the reader's.

    A tag rather than a filter: Django's |date and |time filters convert their input
    back to the reader's zone. `value` None means now. `format_name` may also be one of
    collections_crm.lib.clock's (WEEKDAY_TIME_FORMAT, DAY_TIME_FORMAT).
    """
    at = timezone.now() if value is None else value
    try:
        zone = zone_for(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "—"
    return clock.moment(at, format_name, zone)


@register.filter
def moment(value, format_name: str = "SHORT_DATETIME_FORMAT") -> str:
    """|date for the reader's zone that also knows collections_crm.lib.clock's format names."""
    if not value:
        return ""
    return clock.moment(value, format_name)


@register.filter
def duration(value) -> str:
    """A length of time in words, in the reader's language: "23 seconds", "2 minutes and 5 seconds".

    Django's |timesince counts in whole minutes ("0 minutes" for an import that took 23 s);
    imports and lockouts last seconds to minutes, so this says seconds under a minute and
    gives the two largest units above it. `value` is a number of seconds or a timedelta.
    """
    if value is None or value == "":
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    if seconds < 1:
        return gettext("less than a second")
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    units = [
        (days, ngettext("%(count)d day", "%(count)d days", days)),
        (hours, ngettext("%(count)d hour", "%(count)d hours", hours)),
        (minutes, ngettext("%(count)d minute", "%(count)d minutes", minutes)),
        (seconds, ngettext("%(count)d second", "%(count)d seconds", seconds)),
    ]
    # The largest unit and the one below it, when that is not zero: "1 hour and 5 minutes",
    # "1 hour" (never "1 hour and 30 seconds": past an hour, seconds say nothing).
    first = next(index for index, (count, _text) in enumerate(units) if count)
    larger = units[first][1] % {"count": units[first][0]}
    if first + 1 == len(units) or not units[first + 1][0]:
        return larger
    smaller = units[first + 1][1] % {"count": units[first + 1][0]}
    return gettext("%(larger)s and %(smaller)s") % {"larger": larger, "smaller": smaller}


@register.filter
def duration_until(start, end) -> str:
    """The time from `start` to `end` in words (|duration), e.g. how long an import took."""
    if not start or not end:
        return "—"
    return duration(max(end - start, timedelta(0)))


@register.simple_tag
def number_format_attributes() -> str:
    """data-* attributes with the page language's decimal and thousands separators.

    Scripts that write numbers (the dashboards' charts) read them, so that a chart writes
    "40 000" on a Spanish page as the tables beside it do, whatever the browser's locale.
    """
    return format_html(
        'data-decimal-separator="{}" data-thousand-separator="{}"',
        formats.get_format("DECIMAL_SEPARATOR"),
        formats.get_format("THOUSAND_SEPARATOR"),
    )
