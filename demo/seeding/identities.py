"""Who the demo debtors are on paper: names, birth dates, national ids and phone numbers.

National ids follow each country's rules (check digits and letters included); phone numbers
follow each national numbering plan.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from dataclasses import dataclass
from datetime import date

SPAIN_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
CURP_STATES = ("DF", "MC", "NL", "JC", "PL", "VZ", "GT", "BC", "QR", "CH", "SL", "OC", "YN", "MN")
VOWELS = "AEIOU"
CONSONANTS = "BCDFGHJKLMNPQRSTVWXYZ"
# Birth dates are counted back from a fixed day, not from today, so a debtor's ids
# do not change from one day to the next.
BIRTH_REFERENCE_DAY = date(2026, 1, 1)


@dataclass(frozen=True)
class Person:
    given_names: str
    surnames: tuple[str, ...]
    female: bool
    born: date
    language: str

    @property
    def full_name(self) -> str:
        return " ".join((self.given_names, *self.surnames))


@functools.cache  # names come from small pools
def ascii_upper(text: str) -> str:
    """Upper case without accents ("Ñ" kept), as identity documents spell names."""
    text = text.upper().replace("Ñ", "\0")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text.replace("\0", "Ñ")


def _first_internal(word: str, letters: str) -> str:
    return next((ch for ch in word[1:] if ch in letters), "X")


@functools.cache  # names come from small pools
def _curp_name_parts(surnames: tuple[str, ...], given_names: str) -> tuple[str, str]:
    """The CURP's four initial letters and three internal consonants for a name (Ñ counts as X)."""
    first_surname, second_surname = (ascii_upper(s).replace("Ñ", "X") for s in surnames)
    given = ascii_upper(given_names).replace("Ñ", "X").split()
    # The instructions skip a leading José or María when the person has another name.
    name = given[1] if len(given) > 1 and given[0] in ("JOSE", "MARIA") else given[0]
    initials = first_surname[0] + _first_internal(first_surname, VOWELS) + second_surname[0] + name[0]
    consonants = "".join(_first_internal(word, CONSONANTS) for word in (first_surname, second_surname, name))
    return initials, consonants


def peru_dni(rng: random.Random, person: Person) -> str:
    return f"{rng.randint(10_000_000, 79_999_999):08d}"


CURP_VALUES = {ch: value for value, ch in enumerate(CURP_ALPHABET)}


def curp_check_digit(first_17: str) -> str:
    """RENAPO's check digit: weights 18 down to 2 over the first 17 characters."""
    total = sum(CURP_VALUES[ch] * (18 - position) for position, ch in enumerate(first_17))
    return str((10 - total % 10) % 10)


def mexico_curp(rng: random.Random, person: Person) -> str:
    """A CURP built from the person's names, birth date and sex, with a valid check digit."""
    initials, consonants = _curp_name_parts(person.surnames, person.given_names)
    born = person.born
    body = (
        f"{initials}{born.year % 100:02d}{born.month:02d}{born.day:02d}{'M' if person.female else 'H'}"
        f"{rng.choice(CURP_STATES)}{consonants}"
        # RENAPO uses a digit for people born before 2000 and a letter after.
        f"{rng.randrange(10) if born.year < 2000 else rng.choice('ABCDEFGHIJ')}"
    )
    return body + curp_check_digit(body)


def spain_nif(rng: random.Random, person: Person) -> str:
    """A DNI number with its check letter; foreign residents (English speakers here) get an NIE."""
    if person.language == "en":
        prefix = rng.randrange(3)  # X, Y, Z stand for 0, 1, 2 in the check
        number = rng.randrange(10_000_000)
        return f"{'XYZ'[prefix]}{number:07d}{SPAIN_NIF_LETTERS[int(f'{prefix}{number:07d}') % 23]}"
    number = rng.randint(1_000_000, 79_999_999)
    return f"{number:08d}{SPAIN_NIF_LETTERS[number % 23]}"


# --- Phone numbers ---------------------------------------------------------------------
# E.164 strings drawn from each national numbering plan; the tests check every number
# against the `phonenumbers` metadata for its country.


def _digits(rng: random.Random, count: int) -> str:
    return f"{int(rng.random() * 10**count):0{count}d}"


def peru_mobile(rng: random.Random, zone: str) -> str:
    return "+519" + _digits(rng, 8)


def peru_landline(rng: random.Random, zone: str) -> str:
    # Lima: area code 1, then seven digits starting 2–7.
    return f"+511{rng.randint(2, 7)}{_digits(rng, 6)}"


MEXICO_AREA_CODES = {
    "America/Mexico_City": ("55", "55", "55", "81", "33", "222", "442", "477"),
    "America/Tijuana": ("664",),
    "America/Cancun": ("998",),
}


def mexico_number(rng: random.Random, zone: str) -> str:
    """Ten digits, area code first; since 2019 mobiles and landlines share the format."""
    area = rng.choice(MEXICO_AREA_CODES[zone])
    return f"+52{area}{_digits(rng, 10 - len(area))}"


def spain_mobile(rng: random.Random, zone: str) -> str:
    if rng.random() < 0.08:
        return f"+347{rng.randint(1, 4)}{_digits(rng, 7)}"
    return "+346" + _digits(rng, 8)


SPAIN_LANDLINE_PREFIXES = {
    "Europe/Madrid": ("91", "91", "93", "93", "96", "954", "944", "983"),
    "Atlantic/Canary": ("928", "922"),
}


def spain_landline(rng: random.Random, zone: str) -> str:
    prefix = rng.choice(SPAIN_LANDLINE_PREFIXES[zone])
    return f"+34{prefix}{_digits(rng, 9 - len(prefix))}"
