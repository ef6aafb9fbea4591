import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
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
