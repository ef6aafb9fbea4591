"""Amounts and dates as creditors' files spell them.

Parsing is explicit on purpose: Django's `es` formats group thousands with a no-break space,
so locale-aware parsing does not read "1.234,56", and a file from Lima and one from Miami
may sit side by side in the same portfolio.
"""

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

COMMA = "comma"
POINT = "point"


class ValueProblem(ValueError):
    """A cell the importer cannot read: a stable `code` for reports, a `message` for people.

    The message stays lazy and is formatted only when shown, so a report built by a
    background job is read in the language of whoever opens it.
    """

    def __init__(self, code: str, message, params: dict | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.params = params or {}

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


def _blank_cell() -> ValueProblem:
    return ValueProblem("blank", _("The cell is empty."))


# --- Amounts -------------------------------------------------------------------------------

# A currency written before or after the number: "S/", "S/.", "US$", "$", "€", "USD", "Bs.".
_CURRENCY = r"(?:[^\W\d_]{1,4}(?:/\.?|\.|\$)?|[$€£])"
_AMOUNT_SHAPE = re.compile(r"(?P<prefix>.*?)(?P<number>\d(?:[\d.,'\s]*\d)?)(?P<suffix>\D*)", re.DOTALL)
_AMOUNT_PREFIX = re.compile(rf"[\s(+\-−]*(?:{_CURRENCY}[\s(+\-−]*)?")
_AMOUNT_SUFFIX = re.compile(rf"[\s)]*(?:{_CURRENCY}[\s)]*)?[\s\-−]*")
_GROUPED_INTEGER = re.compile(r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+|\d{1,3}(?:[\s']\d{3})+|\d+")
_DIGITS_ONLY = re.compile(r"\d+")
_SPACE_OR_APOSTROPHE = re.compile(r"[\s']")
# Most cells of a machine-made file look like "1234.56" or "-1234,5": read them without the
# general analysis below (two decimals at most, so never the ambiguous "1.234").
_PLAIN_AMOUNT = re.compile(r"(-?\d+)(?:[.,](\d{1,2}))?")


def parse_amount(text: str, *, decimal_hint: str | None = None) -> Decimal:
    """Read an amount such as "1.234,56", "$1,234.56", "S/ -12,5" or "(12.50)".

    Plain machine-written values ("1234.56", "-7,5") take a shortcut; the others:
    1. Split the text into what comes before the first digit, the number, and what follows
       its last digit; before and after may only hold a currency, a sign, parentheses and
       spaces ("12 USD 5" is two numbers, not one).
    2. The amount is negative with a minus sign (before or after, as some ledgers print
       "12,50-") or when wrapped in parentheses, as accountants write it.
    3. Find the decimal separator: with both "." and "," the last one is decimal; one that
       appears twice or more is grouping; a single one followed by exactly three digits
       after one to three digits ("1.234", "12,345") is ambiguous and needs `decimal_hint`;
       any other single one is decimal.
    4. Check the grouping ("1.23.456" is not a number) and build the Decimal.
    """
    if decimal_hint not in (None, COMMA, POINT):
        raise ValueError(f"decimal_hint must be {COMMA!r}, {POINT!r} or None, not {decimal_hint!r}")
    text = text.strip()
    if plain := _PLAIN_AMOUNT.fullmatch(text):
        integer_part, fraction = plain.groups()
        return Decimal(f"{integer_part}.{fraction}" if fraction else integer_part)
    if not text:
        raise _blank_cell()
    shape = _AMOUNT_SHAPE.fullmatch(text)
    if not shape or not _AMOUNT_PREFIX.fullmatch(shape["prefix"]) or not _AMOUNT_SUFFIX.fullmatch(shape["suffix"]):
        raise _not_a_number(text)
    prefix, suffix = shape["prefix"], shape["suffix"]
    if ("(" in prefix) != (")" in suffix):
        raise _not_a_number(text)
    minus_signs = prefix.count("-") + prefix.count("−") + suffix.count("-") + suffix.count("−")
    if minus_signs > 1:
        raise _not_a_number(text)
    negative = minus_signs == 1 or "(" in prefix

    number = shape["number"]
    decimal_separator = _decimal_separator(number, decimal_hint, text)
    if decimal_separator:
        integer_part, _separator, fraction = number.rpartition(decimal_separator)
        if not _DIGITS_ONLY.fullmatch(fraction):
            raise _not_a_number(text)
    else:
        integer_part, fraction = number, ""
    if not _GROUPED_INTEGER.fullmatch(integer_part):
        raise _not_a_number(text)
    digits = integer_part.replace(".", "").replace(",", "")
    digits = _SPACE_OR_APOSTROPHE.sub("", digits)
    amount = Decimal(f"{digits}.{fraction}" if fraction else digits)
    return -amount if negative else amount


def _decimal_separator(number: str, decimal_hint: str | None, text: str) -> str | None:
    """The decimal separator of a number made of digits, ".", ",", spaces and apostrophes."""
    last_point, last_comma = number.rfind("."), number.rfind(",")
    if last_point >= 0 and last_comma >= 0:
        return "." if last_point > last_comma else ","
    if last_point < 0 and last_comma < 0:
        return None
    separator = "." if last_point >= 0 else ","
    if number.count(separator) > 1:
        return None
    integer_part, _separator, fraction = number.partition(separator)
    if len(fraction) != 3 or _SPACE_OR_APOSTROPHE.search(integer_part):
        # Only a decimal separator can be followed by other than three digits, and with
        # spaces grouping the thousands the lone "." or "," must be the decimal one.
        return separator
    if not 1 <= len(integer_part) <= 3 or integer_part.startswith("0"):
        # Nobody writes "0.123" or "1234.567" meaning thousands.
        return separator
    if decimal_hint == COMMA:
        return "," if separator == "," else None
    if decimal_hint == POINT:
        return "." if separator == "." else None
    raise ValueProblem(
        "ambiguous_decimal",
        _(
            "“%(text)s” could mean thousands or a decimal fraction; say whether the file uses a decimal comma or a decimal point."
        ),
        {"text": text},
    )


def _not_a_number(text: str) -> ValueProblem:
    return ValueProblem("not_a_number", _("“%(text)s” is not a number."), {"text": text})


def _decimal_evidence(text: str) -> str | None:
    """ "comma" or "point" when this value alone shows the file's decimal style."""
    shape = _AMOUNT_SHAPE.fullmatch(text.strip())
    if not shape:
        return None
    number = shape["number"]
    try:
        separator = _decimal_separator(number, None, text)
    except ValueProblem:
        return None
    if separator == ",":
        return COMMA
    if separator == ".":
        return POINT
    # No decimal separator: "1.234.567" still shows that "." groups thousands.
    if number.count(".") > 1:
        return COMMA
    if number.count(",") > 1:
        return POINT
    return None


def decimal_style_of(samples) -> str | None:
    """Guess a column's decimal style ("comma" or "point") from many of its values.

    Values that show a style on their own vote; the majority wins when the other style
    has under a tenth of the votes, so a few odd cells do not flip a column and a column
    that really mixes styles gets None (each value then decides, or asks for a hint).
    """
    votes = Counter(style for style in map(_decimal_evidence, samples) if style)
    if not votes:
        return None
    (winner, winner_votes), *others = votes.most_common()
    loser_votes = others[0][1] if others else 0
    return winner if loser_votes * 10 < winner_votes + loser_votes else None


# --- Dates ---------------------------------------------------------------------------------

_TIME = r"(?:[T ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?\s*m\.?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
_YEAR_FIRST = re.compile(
    rf"(?P<year>\d{{4}})(?P<sep>[-/.])(?P<month>\d{{1,2}})(?P=sep)(?P<day>\d{{1,2}}){_TIME}", re.IGNORECASE
)
_YEAR_LAST = re.compile(
    rf"(?P<first>\d{{1,2}})(?P<sep>[-/.])(?P<second>\d{{1,2}})(?P=sep)(?P<year>\d{{4}}|\d{{2}}){_TIME}", re.IGNORECASE
)
_MONTH_NAMED = re.compile(
    rf"(?P<day>\d{{1,2}})[-/. ]+(?P<month>[^\W\d_]{{3,10}})\.?[-/. ]+(?P<year>\d{{4}}|\d{{2}}){_TIME}", re.IGNORECASE
)
# Five digits only: serials 10000–99999 span 1927–2173, which covers every date these files
# hold, while a bare year ("2026") or a compact "20261031" is not mistaken for a serial.
_EXCEL_SERIAL = re.compile(r"(?P<days>[1-9]\d{4})(?:\.\d+)?")

# Spanish and English month names and their usual abbreviations ("set" is Peru's and Chile's "sep").
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("ene", "enero", "jan", "january"),
            ("feb", "febrero", "february"),
            ("mar", "marzo", "march"),
            ("abr", "abril", "apr", "april"),
            ("may", "mayo"),
            ("jun", "junio", "june"),
            ("jul", "julio", "july"),
            ("ago", "agosto", "aug", "august"),
            ("sep", "set", "sept", "septiembre", "setiembre", "september"),
            ("oct", "octubre", "october"),
            ("nov", "noviembre", "november"),
            ("dic", "diciembre", "dec", "december"),
        ],
        start=1,
    )
    for name in names
}

# Excel's 1900 date system counts day 1 as 1900-01-01 but believes 1900 was a leap year
# (a bug kept from Lotus 1-2-3), so from March 1900 on, serial N is 1899-12-30 + N days.
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(text: str, *, day_first: bool = True) -> date:
    """Read a date written "31/10/2026", "31-10-2026", "1/2/26", "2026-10-31", ISO with a
    time, "31-oct-2026", or as an Excel serial number ("45962").

    Two-digit years follow the POSIX rule (69–99 → 1900s, 00–68 → 2000s). `day_first=False`
    reads "10/31/2026" the United States way. A day that does not exist ("31/02/2026")
    raises a ValueProblem rather than being moved to a neighbouring one.
    """
    text = text.strip()
    if not text:
        raise _blank_cell()
    if match := _YEAR_FIRST.fullmatch(text):
        return _checked_date(text, int(match["year"]), int(match["month"]), int(match["day"]))
    if match := _YEAR_LAST.fullmatch(text):
        first, second = int(match["first"]), int(match["second"])
        day, month = (first, second) if day_first else (second, first)
        return _checked_date(text, _full_year(match["year"]), month, day)
    if (match := _MONTH_NAMED.fullmatch(text)) and match["month"].lower() in _MONTHS:
        return _checked_date(text, _full_year(match["year"]), _MONTHS[match["month"].lower()], int(match["day"]))
    if match := _EXCEL_SERIAL.fullmatch(text):
        return _EXCEL_EPOCH + timedelta(days=int(match["days"]))
    raise ValueProblem("not_a_date", _("“%(text)s” is not a date."), {"text": text})


def _full_year(year: str) -> int:
    if len(year) == 4:
        return int(year)
    short = int(year)
    return 1900 + short if short >= 69 else 2000 + short


def _checked_date(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _impossible_date(text) from None


def _impossible_date(text: str) -> ValueProblem:
    return ValueProblem("impossible_date", _("“%(text)s” is not a day that exists."), {"text": text})
