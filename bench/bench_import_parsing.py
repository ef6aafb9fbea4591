"""Benchmark of the importer's pure parsing: phone numbers (fast path vs libphonenumber) and amounts.

One command, from the project root (no database):

    .venv/bin/python bench/bench_import_parsing.py [--count 100000]

1. Generate valid numbers for the fast-path markets, weighted like our portfolios (Peru,
   Mexico, Spain first), each spelled as files spell them: plain national digits, with
   spaces or dashes, with the trunk prefix, with "+" and country code, legacy Mexican
   mobiles ("044 55 …", "+52 1 …"); a seeded random generator makes runs comparable.
2. Time `normalise_phone` (fast path, libphonenumber as fallback) and, in the same run,
   libphonenumber alone on the same cells (parse + is_valid_number + format) as the
   baseline; print µs per number, the ratio and how many cells took the fast path.
3. Time `parse_amount` on plain and formatted amounts.
The machines are noisy (a load average of 2–7 while others work): each figure is the best of three rounds.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_crm.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

import phonenumbers  # noqa: E402
from phonenumbers import PhoneNumberFormat, PhoneNumberType  # noqa: E402

from debtors.importing import phones  # noqa: E402
from debtors.importing.phones import normalise_phone  # noqa: E402
from debtors.importing.values import ValueProblem, parse_amount  # noqa: E402

REGION_WEIGHTS = {"PE": 35, "MX": 30, "ES": 10, "CO": 8, "CL": 6, "AR": 5, "EC": 3, "US": 3}
ROUNDS = 3


def generate_numbers(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(cell text, region) pairs of valid numbers in realistic spellings."""
    examples = {
        region: [
            phonenumbers.national_significant_number(example)
            for number_type in (
                PhoneNumberType.MOBILE,
                PhoneNumberType.MOBILE,
                PhoneNumberType.MOBILE,
                PhoneNumberType.FIXED_LINE,
            )
            if (example := phonenumbers.example_number_for_type(region, number_type))
        ]
        for region in REGION_WEIGHTS
    }
    regions = rng.choices(list(REGION_WEIGHTS), weights=list(REGION_WEIGHTS.values()), k=count)
    cells = []
    for region in regions:
        while True:
            national = rng.choice(examples[region])
            national = national[:-4] + f"{rng.randrange(10000):04d}"
            number = phonenumbers.parse(national, region)
            if phonenumbers.is_valid_number(number):
                break
        cells.append((spell(national, region, number, rng), region))
    return cells


def spell(national: str, region: str, number, rng: random.Random) -> str:
    country_code = str(number.country_code)
    trunk = phonenumbers.PhoneMetadata.metadata_for_region(region).national_prefix or ""
    roll = rng.random()
    if region == "MX" and roll < 0.07:
        return rng.choice([f"044 {national[:2]} {national[2:6]} {national[6:]}", f"+52 1 {national}"])
    if roll < 0.55:
        return national
    if roll < 0.75:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    if roll < 0.82:
        return f"{trunk}{national}" if trunk and region != "US" else national
    if roll < 0.92:
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    return f"{country_code}{national}"


def libphonenumber_only(text: str, region: str) -> str:
    """The baseline: what an importer without a fast path does for every cell."""
    number = phonenumbers.parse(text, region)
    if not phonenumbers.is_valid_number(number):
        raise ValueError(text)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def best_time(function, cells) -> float:
    best = float("inf")
    for _round in range(ROUNDS):
        started = time.perf_counter()
        for text, region in cells:
            try:
                function(text, region)
            except (ValueProblem, ValueError, phonenumbers.NumberParseException):
                pass
        best = min(best, time.perf_counter() - started)
    return best


def fast_path_share(cells) -> float:
    taken = 0
    for text, region in cells:
        cleaned = phones._clean(text)
        if cleaned is not None:
            if region == "MX" or cleaned.startswith("+521"):
                cleaned = phones._rewrite_legacy_mexican(cleaned, region)
            taken += phones._fast_path(cleaned, region) is not None
    return taken / len(cells)


def disagreements(cells) -> int:
    count = 0
    for text, region in cells:
        try:
            expected = libphonenumber_only(text, region)
        except (ValueError, phonenumbers.NumberParseException):
            continue  # "+52 1 …" and "044 …": libphonenumber rejects them, we rewrite them
        count += normalise_phone(text, region) != expected
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="1,000 numbers, one round: proves it runs")
    args = parser.parse_args()
    count = 1_000 if args.smoke else args.count
    if args.smoke:
        global ROUNDS
        ROUNDS = 1
    rng = random.Random(20261031)
    cells = generate_numbers(count, rng)

    mismatches = disagreements(cells)
    with_fast_path = best_time(normalise_phone, cells)
    baseline = best_time(libphonenumber_only, cells)
    common = [(text, region) for text, region in cells if text.isdigit()]
    fast_on_common = best_time(normalise_phone, common)

    print(f"Phone numbers: {count:,} generated cells, {len(REGION_WEIGHTS)} markets, best of {ROUNDS} rounds")
    print(f"  normalise_phone (fast path + fallback): {with_fast_path / count * 1e6:6.2f} µs/number")
    print(f"  libphonenumber only (baseline):         {baseline / count * 1e6:6.2f} µs/number")
    print(f"  ratio baseline / normalise_phone:       {baseline / with_fast_path:6.1f}×")
    print(f"  plain-digit cells only ({len(common):,}):     {fast_on_common / len(common) * 1e6:6.2f} µs/number")
    print(f"  cells that took the fast path:          {fast_path_share(cells):6.1%}")
    print(f"  cells read differently from libphonenumber: {mismatches} (legacy Mexican spellings aside)")

    plain = [(f"{rng.randrange(10**7)}.{rng.randrange(100):02d}", None) for _ in range(count)]
    formatted = [
        (
            f"S/ {rng.randrange(10**6):,}.{rng.randrange(100):02d}".replace(",", "X")
            .replace(".", ",")
            .replace("X", "."),
            None,
        )
        for _ in range(count)
    ]
    for label, values in (("plain (1234567.89)", plain), ("formatted (S/ 1.234.567,89)", formatted)):
        elapsed = best_time(lambda text, _region: parse_amount(text), values)
        print(f"Amounts, {label}: {elapsed / count * 1e6:.2f} µs/value")


if __name__ == "__main__":
    main()
