"""Times of day in one style per language, the debtor's like the reader's.

Pages show two clocks side by side (the reader's and the debtor's); both go through here,
in the active language's style (collections_crm/formats). Besides Django's format names
there are two of ours, which Django's get_format would return unread:

- WEEKDAY_TIME_FORMAT: a weekday and a time ("mié 10:30", "Wed 10:30 a.m.");
- DAY_TIME_FORMAT: a day and a time ("miércoles 18 de noviembre, 10:30").

`Clock` formats hundreds of rows (a queue, a history) at the cost of an f-string for the
two clock styles we use; any other style falls back to Django's dateformat.
"""

from datetime import datetime, tzinfo

from django.utils import dateformat, formats, timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import get_language

OUR_FORMATS = {"WEEKDAY_TIME_FORMAT": "D H:i", "DAY_TIME_FORMAT": "l j F, H:i"}  # name: fallback

_our_formats: dict[tuple[str, str], str] = {}
_clocks: dict[str, "Clock"] = {}


def format_string(name: str) -> str:
    """The active language's format called `name` (ours or Django's); any other string as given."""
    if name not in OUR_FORMATS:
        return formats.get_format(name)
    language = get_language() or ""
    key = (name, language)
    if key not in _our_formats:
        found = OUR_FORMATS[name]
        for module in formats.get_format_modules(language):
            if hasattr(module, name):
                found = getattr(module, name)
                break
        _our_formats[key] = found
    return _our_formats[key]


def moment(value: datetime, name: str = "SHORT_DATETIME_FORMAT", zone: tzinfo | None = None) -> str:
    """`value` written with format `name`, in `zone` (the reader's current zone by default)."""
    return dateformat.format(timezone.localtime(value, zone), format_string(name))


class Clock:
    """The active language's time of day, for many rows: look it up once, call it per row."""

    def __init__(self):
        self.time_format = formats.get_format("TIME_FORMAT")
        self.weekday_time_format = format_string("WEEKDAY_TIME_FORMAT")
        # Django's own words for them, in the active language ("a.m.", "p. m.").
        self.am, self.pm = (dateformat.format(datetime(2000, 1, 1, hour), "a") for hour in (1, 13))
        self.weekdays = [str(WEEKDAYS_ABBR[day]) for day in range(7)]
        self._time = {"H:i": self._24_hours, "g:i a": self._12_hours}.get(self.time_format, self._any)
        self.short_datetime_format = formats.get_format("SHORT_DATETIME_FORMAT")
        # The day, in the two orders our languages write it, before their time of day.
        self._day = {
            f"d/m/Y {self.time_format}": "{:%d/%m/%Y}",
            f"m/d/Y {self.time_format}": "{:%m/%d/%Y}",
        }.get(self.short_datetime_format)

    @classmethod
    def current(cls) -> "Clock":
        language = get_language() or ""
        if language not in _clocks:
            _clocks[language] = cls()
        return _clocks[language]

    def time(self, value: datetime) -> str:
        """The time of day of `value` in its own zone (convert it first: a debtor's, the reader's)."""
        return self._time(value)

    def weekday_time(self, value: datetime) -> str:
        if self.weekday_time_format == f"D {self.time_format}":
            return f"{self.weekdays[value.weekday()]} {self._time(value)}"
        return dateformat.format(value, self.weekday_time_format)

    def short_datetime(self, value: datetime) -> str:
        """`value` (converted to the zone it is shown in) as SHORT_DATETIME_FORMAT writes it."""
        if self._day is None:
            return dateformat.format(value, self.short_datetime_format)
        return f"{self._day.format(value)} {self._time(value)}"

    @staticmethod
    def _24_hours(value: datetime) -> str:
        return f"{value:%H:%M}"

    def _12_hours(self, value: datetime) -> str:
        return f"{value.hour % 12 or 12}:{value.minute:02d} {self.pm if value.hour > 11 else self.am}"

    def _any(self, value: datetime) -> str:
        return dateformat.time_format(value, self.time_format)
