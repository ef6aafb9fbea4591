"""Phone numbers from creditors' files to E.164.

libphonenumber (`phonenumbers`) costs 30–40 µs a number on our machines, more than the
whole database COPY of a row (bench/bench_import_parsing.py measures it). Most cells,
though, are a national number spelled the usual way, so a fast path reads those with a few
regular expressions taken from libphonenumber's own metadata, and everything else goes to
libphonenumber.

The fast path must never disagree with libphonenumber: it accepts a spelling only when it
can tell, from the same metadata, that `phonenumbers.parse` would read the same national
number and `is_valid_number` would accept it; otherwise it steps aside. A property test
(tests/importing/test_phones.py) holds it to that.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import phonenumbers
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneMetadata, PhoneNumberFormat
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from debtors.importing.values import ValueProblem

# The markets whose national spellings take the fast path (see debtors/markets.py).
FAST_PATH_REGIONS = ("AR", "CL", "CO", "EC", "ES", "MX", "PE", "US")

# Every type libphonenumber tells apart; mobile and fixed line first, as most numbers are.
_NUMBER_TYPES = (
    "mobile",
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)

# Spreadsheets turn a number column into floats: "987654321.0", or "9.87654321E+08".
_EXCEL_FLOAT = re.compile(r"(\+?\d{6,})\.00?")
_EXCEL_SCIENTIFIC = re.compile(r"\d(?:[.,](?P<fraction>\d+))?[eE]\+?(?P<exponent>\d{1,2})")

# Mexico dropped the mobile "1" after +52 and the 044/045/01 prefixes in 2019-2020, and
# phonenumbers 9 rejects them; portfolios still carry them (6.6 % of numbers in one file).
_MEXICAN_LEGACY_INTERNATIONAL = re.compile(r"\+521(\d{10})")
_MEXICAN_LEGACY_NATIONAL = re.compile(r"(?:(?:\+|00)?521|04[45]|01)(\d{10})")


@dataclass(frozen=True)
class _RegionRules:
    """What the fast path needs to know about one region, read from libphonenumber's metadata."""

    country_code: str
    trunk_prefix: str
    valid_by_length: dict
    general: re.Pattern
    longest: int
    national_prefix_for_parsing: re.Pattern | None
    has_transform_rule: bool
    international_prefix: re.Pattern | None

    def unchanged_by_libphonenumber(self, national_number: str) -> bool:
        """Whether libphonenumber would keep this national number as it is, and find it valid.

        Valid means it matches the region's general pattern and one number type's pattern
        and lengths, which is exactly `is_valid_number`'s test. Unchanged means the region's
        national-prefix rule does not bite: libphonenumber strips whatever that rule matches
        at the start of a national number (Argentina's turns "11 15 …" into "9 11 …").
        """
        pattern = self.valid_by_length.get(len(national_number))
        if pattern is None or not pattern.fullmatch(national_number):
            return False
        if self.national_prefix_for_parsing is None:
            return True
        prefix = self.national_prefix_for_parsing.match(national_number)
        return prefix is None or prefix.end() == 0


@cache
def _rules_for(region: str) -> _RegionRules | None:
    """Compile a region's fast-path rules once; None where only libphonenumber may answer."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if region not in FAST_PATH_REGIONS or metadata is None:
        return None
    # With several regions behind one country code (+1), is_valid_number asks the first one
    # that claims the number: only that main region's own rules can stand in for it.
    main_region = COUNTRY_CODE_TO_REGION_CODE[metadata.country_code][0]
    if main_region != region or metadata.leading_digits:
        return None
    general = metadata.general_desc
    valid_by_length = {}
    for length in general.possible_length:
        type_patterns = [
            desc.national_number_pattern
            for desc in (getattr(metadata, name) for name in _NUMBER_TYPES)
            if desc is not None
            and desc.national_number_pattern
            and (not desc.possible_length or length in desc.possible_length)
        ]
        if type_patterns:
            valid_by_length[length] = re.compile(
                rf"(?=(?:{general.national_number_pattern})\Z)(?:{'|'.join(type_patterns)})"
            )
    return _RegionRules(
        country_code=str(metadata.country_code),
        trunk_prefix=metadata.national_prefix or "",
        valid_by_length=valid_by_length,
        general=re.compile(general.national_number_pattern),
        longest=max(general.possible_length),
        national_prefix_for_parsing=(
            re.compile(metadata.national_prefix_for_parsing) if metadata.national_prefix_for_parsing else None
        ),
        has_transform_rule=bool(metadata.national_prefix_transform_rule),
        international_prefix=re.compile(metadata.international_prefix) if metadata.international_prefix else None,
    )


def normalise_phone(text: str, default_region: str) -> str:
    """The number in E.164 ("+51987654321"), or ValueProblem("invalid_phone").

    1. Undo spreadsheet damage: "987654321.0" and "9.87654321E+08" were numbers once.
    2. Drop the separators people type inside a number (spaces, "-", ".", parentheses).
    3. Rewrite legacy Mexican spellings ("+52 1 55 …", "044 55 …") to today's.
    4. Try the fast path; when it steps aside, ask libphonenumber to parse and validate.
    """
    cleaned = _clean(text)
    if cleaned is not None:
        if default_region == "MX" or cleaned.startswith("+521"):
            cleaned = _rewrite_legacy_mexican(cleaned, default_region)
        if e164 := _fast_path(cleaned, default_region):
            return e164
    return _libphonenumber_path(cleaned or text, default_region, as_written=text)


def _clean(text: str) -> str | None:
    """Digits with an optional leading "+", or None when the text holds anything else.

    The separators dropped are those people type inside one number (whitespace, "-", ".",
    parentheses); "/" and ";" separate numbers and are split_phones's business. Chained
    `replace` calls are several times faster here than `str.translate` or `re.sub`.
    """
    if text.isdigit() and text.isascii():
        return text
    text = text.strip().lstrip("'")  # a leading apostrophe is how Excel marks text
    if "." in text or "e" in text or "E" in text:
        text = _undo_spreadsheet_float(text)
    cleaned = "".join(text.split()).replace("-", "").replace(".", "").replace("(", "").replace(")", "")
    digits = cleaned[1:] if cleaned.startswith("+") else cleaned
    return cleaned if digits.isdigit() and digits.isascii() else None


def _undo_spreadsheet_float(text: str) -> str:
    if match := _EXCEL_FLOAT.fullmatch(text):
        return match[1]
    if (match := _EXCEL_SCIENTIFIC.fullmatch(text)) and len(match["fraction"] or "") <= int(match["exponent"]):
        if len(match["fraction"] or "") < int(match["exponent"]):
            # "9.87654E+08" kept six digits and lost the rest: the number cannot be recovered.
            raise ValueProblem(
                "truncated_phone",
                _("“%(text)s” was shortened by a spreadsheet into scientific notation; its last digits are lost."),
                {"text": text},
            )
        return str(int(Decimal(text.replace(",", "."))))
    return text


def _rewrite_legacy_mexican(cleaned: str, default_region: str) -> str:
    if default_region == "MX":
        if match := _MEXICAN_LEGACY_NATIONAL.fullmatch(cleaned):
            national = match[1]
            return f"+52{national}" if cleaned.endswith(f"521{national}") else national
    elif match := _MEXICAN_LEGACY_INTERNATIONAL.fullmatch(cleaned):
        return f"+52{match[1]}"
    return cleaned


def _fast_path(cleaned: str, default_region: str) -> str | None:
    """E.164 for the usual spellings of a national number, or None to let libphonenumber decide.

    Each branch mirrors one of libphonenumber's readings and checks the metadata
    conditions under which libphonenumber reads the number the same way:
    1. "+51 987 654 321": the country code, then a national number kept as it is.
    2. "00 51 …": a dialling-out prefix (the region's own) reads like "+".
    3. "987654321": a valid national number is kept as it is (libphonenumber only looks
       for a country code in front of numbers that are too long or do not fit the region).
    4. "01 4567890": the trunk prefix, when the region's national-prefix rule strips
       exactly that prefix and nothing more.
    5. "51987654321": the country code without "+", which libphonenumber strips when the
       whole is too long for a national number or does not fit the region's pattern.
    """
    rules = _rules_for(default_region)
    if rules is None:
        return None
    country_code = rules.country_code
    if cleaned.startswith("+"):
        if cleaned.startswith(country_code, 1):
            return _e164_if_unchanged(rules, cleaned[1 + len(country_code) :])
        return None
    if rules.international_prefix and (dial_out := rules.international_prefix.match(cleaned)):
        after = cleaned[dial_out.end() :]
        if after.startswith(country_code):
            return _e164_if_unchanged(rules, after[len(country_code) :])
        return None
    if rules.unchanged_by_libphonenumber(cleaned):
        return f"+{country_code}{cleaned}"
    trunk = rules.trunk_prefix
    if trunk and cleaned.startswith(trunk) and not cleaned.startswith(country_code):
        prefix = rules.national_prefix_for_parsing.match(cleaned)
        national = cleaned[len(trunk) :]
        if (
            prefix is not None
            and prefix.end() == len(trunk)
            and not (rules.has_transform_rule and prefix.lastindex is not None)
            and rules.unchanged_by_libphonenumber(national)
        ):
            return f"+{country_code}{national}"
    if cleaned.startswith(country_code):
        national = cleaned[len(country_code) :]
        if (len(cleaned) > rules.longest or not rules.general.fullmatch(cleaned)) and rules.unchanged_by_libphonenumber(
            national
        ):
            return f"+{country_code}{national}"
    return None


def _e164_if_unchanged(rules: _RegionRules, national: str) -> str | None:
    return f"+{rules.country_code}{national}" if rules.unchanged_by_libphonenumber(national) else None


def _libphonenumber_path(text: str, default_region: str, *, as_written: str | None = None) -> str:
    """libphonenumber's reading; problems quote the cell `as_written`, not the cleaned text."""
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise _invalid_phone(as_written or text, default_region) from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid_phone(as_written or text, default_region)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _invalid_phone(text: str, region: str) -> ValueProblem:
    return ValueProblem(
        "invalid_phone",
        _("“%(text)s” is not a valid phone number (default country: %(region)s)."),
        {"text": text, "region": region},
    )


# Between numbers: "/", ";", ",", "|", a line break, or a word ("y", "o", "or", "and").
_BETWEEN_NUMBERS = re.compile(r"\s*(?:[/;,|\n]|\s(?:y|o|ó|u|or|and)\s)\s*", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_MAYBE_SEVERAL = re.compile(r"[\s/;,|]")
_SHORTEST_WHOLE_NUMBER = 7


def split_phones(text: str) -> list[str]:
    """The numbers in a cell that holds several ("987654321 / 912345678", "987654321; 01 4567890").

    1. Split on the separators people put between numbers ("/", ";", ",", "|", line breaks,
       "y", "o").
    2. A piece whose space-separated parts each have seven digits or more is several
       numbers written with spaces between them ("987654321 912345678"); spaces inside
       one number leave shorter parts ("01 456 7890").
    """
    if not _MAYBE_SEVERAL.search(text):
        return [text] if text else []  # one number written without spaces: the usual case
    numbers = []
    for piece in _BETWEEN_NUMBERS.split(text):
        piece = piece.strip()
        if not piece:
            continue
        parts = _WHITESPACE.split(piece)
        if len(parts) > 1 and all(sum(ch.isdigit() for ch in part) >= _SHORTEST_WHOLE_NUMBER for part in parts):
            numbers.extend(parts)
        else:
            numbers.append(piece)
    return numbers
