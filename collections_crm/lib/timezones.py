"""Time zones: the one place that turns a zone name, or a debtor, into a clock.

Debtor-related times are shown and judged on the debtor's own clock (calling hours, "due
today", a promise's last day); these helpers are how every app reads it.
"""

import zoneinfo
from datetime import date, datetime
from functools import cache, lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_time_zones())]


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(
            _("%(value)s is not a known time zone; use an IANA name such as America/Lima."),
            params={"value": value},
            code="invalid_time_zone",
        )


@lru_cache(maxsize=512)
def zone_for(name: str) -> zoneinfo.ZoneInfo:
    """The zone of an IANA name, built once per process (the desk asks thousands of times)."""
    return zoneinfo.ZoneInfo(name)


def debtor_zone(debtor) -> zoneinfo.ZoneInfo:
    return zone_for(debtor.time_zone)


def debtor_local_now(debtor, at: datetime | None = None) -> datetime:
    """`at` (now by default) on the debtor's clock."""
    return (at or timezone.now()).astimezone(debtor_zone(debtor))


def debtor_local_today(debtor, at: datetime | None = None) -> date:
    """The debtor's calendar day at `at` (now by default)."""
    return debtor_local_now(debtor, at).date()
