"""Regular expressions that state the API's input rules in its schema.

A JSON Schema cannot say "a date within ten years of today" or "an amount above zero" in
a string: only `pattern` can. These build the patterns, in the ECMA-262 subset that
JSON Schema tools read (no lookarounds), from the same numbers the fields validate with,
so that the schema and the server agree on what is valid.
"""

import calendar
import datetime as dt
from decimal import Decimal

SMALLEST_AMOUNT = Decimal("0.01")
# Amounts: up to 12 digits before the point and 2 after (the database's numeric(14, 2)).
AMOUNT = r"^(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,2})?$"
# The same, above zero: a non-zero integer part, or zero and non-zero cents.
POSITIVE_AMOUNT = r"^(?:[1-9][0-9]{0,11}(?:\.[0-9]{1,2})?|0\.(?:0[1-9]|[1-9][0-9]?))$"

# A total an instalment plan of any length can split, 0.01 each for the longest (120): from 1.20.
AMOUNT_FOR_ANY_PLAN = r"^(?:(?:[2-9]|[1-9][0-9]{1,11})(?:\.[0-9]{1,2})?|1\.[2-9][0-9]?)$"

# RFC 3339 time of day with its UTC offset, as Python reads it (no leap second, microseconds at most).
_TIME = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
# Any year Python can hold (0001-9999), any day of any month; `format: date` excludes the 30th of February.
_ANY_DATE = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"

ANY_DATE = f"^{_ANY_DATE}$"
ANY_MOMENT = f"^{_ANY_DATE}{_TIME}$"


def _number_range(low: int, high: int, width: int = 2) -> str:
    """Zero-padded two-digit numbers from `low` to `high`, e.g. 05-23 → 0[5-9]|1[0-9]|2[0-3]."""
    parts = []
    for tens in range(low // 10, high // 10 + 1):
        first = low % 10 if tens == low // 10 else 0
        last = high % 10 if tens == high // 10 else 9
        units = str(first) if first == last else f"[{first}-{last}]"
        parts.append(f"{tens}{units}")
    return "|".join(parts)


def _days_of_months(year: int, months: range) -> str:
    """Every day of the given months of one year, months of equal length grouped."""
    by_length: dict[int, list[int]] = {}
    for month in months:
        by_length.setdefault(calendar.monthrange(year, month)[1], []).append(month)
    parts = []
    for length, same in sorted(by_length.items()):
        month_part = "|".join(f"{month:02d}" for month in same)
        parts.append(f"(?:{month_part})-(?:{_number_range(1, length)})")
    return "|".join(parts)


def _year_span(year: int, first: dt.date, last: dt.date) -> str:
    """The days from `first` to `last`, both in `year`."""
    if first.month == last.month:
        return f"{year:04d}-{first.month:02d}-(?:{_number_range(first.day, last.day)})"
    parts = [f"{first.month:02d}-(?:{_number_range(first.day, calendar.monthrange(year, first.month)[1])})"]
    if last.month - first.month > 1:
        parts.append(_days_of_months(year, range(first.month + 1, last.month)))
    parts.append(f"{last.month:02d}-(?:{_number_range(1, last.day)})")
    return f"{year:04d}-(?:{'|'.join(parts)})"


def date_range(earliest: dt.date, latest: dt.date) -> str:
    """A pattern (without anchors) matching exactly the ISO dates from `earliest` to `latest`.

    Whole years come first, grouped by whether they are leap years, then the partial
    first and last years: tools that draw the simplest match of a pattern then draw a
    date well inside the window rather than on its edge.
    """
    if latest < earliest:
        raise ValueError("empty date range")
    if earliest.year == latest.year:
        return _year_span(earliest.year, earliest, latest)
    parts = []
    first_whole = earliest.year + (earliest != dt.date(earliest.year, 1, 1))
    last_whole = latest.year - (latest != dt.date(latest.year, 12, 31))
    whole = range(first_whole, last_whole + 1)
    for leap in (False, True):
        years = [year for year in whole if calendar.isleap(year) == leap]
        if years:
            year_part = "|".join(f"{year:04d}" for year in years)
            parts.append(f"(?:{year_part})-(?:{_days_of_months(2024 if leap else 2023, range(1, 13))})")
    if earliest.year not in whole:
        parts.append(_year_span(earliest.year, earliest, dt.date(earliest.year, 12, 31)))
    if latest.year not in whole:
        parts.append(_year_span(latest.year, dt.date(latest.year, 1, 1), latest))
    return "|".join(parts)


def dates_between(earliest: dt.date, latest: dt.date) -> str:
    return f"^(?:{date_range(earliest, latest)})$"


def moments_between(earliest: dt.date, latest: dt.date) -> str:
    """Moments with their UTC offset whose own calendar date is from `earliest` to `latest`."""
    return f"^(?:{date_range(earliest, latest)}){_TIME}$"
