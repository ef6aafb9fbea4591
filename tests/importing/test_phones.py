"""Phone numbers to E.164: the fast path, libphonenumber behind it, and spreadsheet damage."""

import random

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from debtors.importing import phones
from debtors.importing.phones import FAST_PATH_REGIONS, normalise_phone, split_phones
from debtors.importing.values import ValueProblem

pytestmark = pytest.mark.usefixtures("english_messages")


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("987654321", "PE", "+51987654321"),
        ("987 654 321", "PE", "+51987654321"),
        ("987-654-321", "PE", "+51987654321"),
        ("51987654321", "PE", "+51987654321"),
        ("+51 987 654 321", "PE", "+51987654321"),
        ("0051 987654321", "PE", "+51987654321"),
        ("01 4567890", "PE", "+5114567890"),  # Lima landline with its area code
        ("(01) 456-7890", "PE", "+5114567890"),
        ("(044) 234567", "PE", "+5144234567"),  # Trujillo
        ("55 1234 5678", "MX", "+525512345678"),
        ("(55) 1234-5678", "MX", "+525512345678"),
        ("525512345678", "MX", "+525512345678"),
        ("612 34 56 78", "ES", "+34612345678"),
        ("34612345678", "ES", "+34612345678"),
        ("0034 612 345 678", "ES", "+34612345678"),
        ("912 345 678", "ES", "+34912345678"),
        ("2 2123 4567", "CL", "+56221234567"),
        ("+56 9 6123 4567", "CL", "+56961234567"),
        ("300 123 4567", "CO", "+573001234567"),
        ("601 123 4567", "CO", "+576011234567"),
        ("011 2345-6789", "AR", "+541123456789"),
        ("011 15 2345-6789", "AR", "+5491123456789"),  # Buenos Aires mobile, national spelling
        ("+54 9 11 2345 6789", "AR", "+5491123456789"),
        ("099 123 4567", "EC", "+593991234567"),
        ("02 234 5678", "EC", "+59322345678"),
        ("(202) 555-0123", "US", "+12025550123"),
        ("1 202 555 0123", "US", "+12025550123"),
        ("+1 202.555.0123", "US", "+12025550123"),
        ("+34 612 345 678", "PE", "+34612345678"),  # a "+" number is read as written
    ],
)
def test_it_normalises_common_spellings(text, region, e164):
    assert normalise_phone(text, region) == e164


@pytest.mark.parametrize(
    "text",
    [
        "+52 1 55 1234 5678",
        "+521 55 1234 5678",
        "5215512345678",
        "00 52 1 55 1234 5678",
        "044 55 1234 5678",
        "045 55 1234 5678",
    ],
)
def test_it_rewrites_legacy_mexican_mobiles(text):
    assert normalise_phone(text, "MX") == "+525512345678"


def test_it_rewrites_the_old_mexican_long_distance_prefix():
    assert normalise_phone("01 33 1234 5678", "MX") == "+523312345678"


def test_a_legacy_mexican_mobile_in_another_countrys_file_is_still_mexican():
    assert normalise_phone("+52 1 55 1234 5678", "PE") == "+525512345678"


def test_phonenumbers_alone_rejects_the_legacy_spelling():
    """Why the rewrite exists: phonenumbers 9 finds "+52 1 …" invalid."""
    assert not phonenumbers.is_valid_number(phonenumbers.parse("+5215512345678", None))


@pytest.mark.parametrize(
    "text", ["987654321.0", "987654321.00", "9.87654321E8", "9.87654321E+08", "9,87654321E+08", "'987654321"]
)
def test_it_undoes_spreadsheet_damage(text):
    assert normalise_phone(text, "PE") == "+51987654321"


def test_a_number_shortened_by_a_spreadsheet_is_reported_as_lost():
    with pytest.raises(ValueProblem) as problem:
        normalise_phone("9.87654E+08", "PE")
    assert problem.value.code == "truncated_phone"


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("12345", "PE"),
        ("887654321", "PE"),
        ("hola", "PE"),
        ("", "PE"),
        ("03001234567", "CO"),
        ("555 0123", "US"),
        ("+999 123456", "PE"),
    ],
)
def test_it_reports_invalid_numbers(text, region):
    with pytest.raises(ValueProblem) as problem:
        normalise_phone(text, region)
    assert problem.value.code == "invalid_phone"
    assert str(problem.value) == f"“{text}” is not a valid phone number (default country: {region})."


def test_an_extension_is_dropped_by_libphonenumber():
    assert normalise_phone("987654321 ext. 12", "PE") == "+51987654321"


def test_regions_without_a_fast_path_use_libphonenumber():
    assert phones._rules_for("BO") is None
    assert normalise_phone("71234567", "BO") == "+59171234567"


def test_common_numbers_take_the_fast_path(monkeypatch):
    def refuse(text, region):
        raise AssertionError(f"libphonenumber was asked about {text} ({region})")

    monkeypatch.setattr(phones, "_libphonenumber_path", refuse)
    assert normalise_phone("987654321", "PE") == "+51987654321"
    assert normalise_phone("01 4567890", "PE") == "+5114567890"
    assert normalise_phone("044 55 1234 5678", "MX") == "+525512345678"
    assert normalise_phone("+1 (202) 555-0123", "US") == "+12025550123"


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("987654321 / 912345678", ["987654321", "912345678"]),
        ("987654321; 01 4567890", ["987654321", "01 4567890"]),
        ("987654321, 912345678 | 01 4567890", ["987654321", "912345678", "01 4567890"]),
        ("987654321 y 912345678", ["987654321", "912345678"]),
        ("987654321 912345678", ["987654321", "912345678"]),
        ("987 654 321", ["987 654 321"]),
        ("01 456 7890", ["01 456 7890"]),
        ("987654321\n912345678", ["987654321", "912345678"]),
        (" / ", []),
    ],
)
def test_it_splits_cells_with_several_numbers(text, numbers):
    assert split_phones(text) == numbers


# --- Fast path == libphonenumber -------------------------------------------------------------

TYPES = [PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST]


def _examples(region):
    examples = []
    for number_type in TYPES:
        example = phonenumbers.example_number_for_type(region, number_type)
        if example is not None:
            examples.append(phonenumbers.national_significant_number(example))
    return examples


def _is_valid(region, national):
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return phonenumbers.is_valid_number(
        phonenumbers.PhoneNumber(country_code=metadata.country_code, national_number=int(national))
    )


@st.composite
def valid_numbers(draw, region):
    """A valid national number: an example number of some type with its tail redrawn."""
    example = draw(st.sampled_from(_examples(region)))
    keep = draw(st.integers(min_value=max(1, len(example) - 6), max_value=len(example) - 1))
    tail = draw(st.text("0123456789", min_size=len(example) - keep, max_size=len(example) - keep))
    national = example[:keep] + tail
    assume(_is_valid(region, national))
    return national


@st.composite
def spellings(draw, region, national):
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    country_code = str(metadata.country_code)
    digits = draw(
        st.sampled_from(
            [
                national,
                (metadata.national_prefix or "") + national,
                country_code + national,
                f"+{country_code}{national}",
                f"00{country_code}{national}",
            ]
        )
    )
    # People group two to four digits; never a lone last digit.
    cuts = []
    for cut in sorted(draw(st.sets(st.integers(min_value=2, max_value=len(digits) - 2), max_size=4))):
        if not cuts or cut - cuts[-1] >= 2:
            cuts.append(cut)
    groups = [digits[start:end] for start, end in zip([0, *cuts], [*cuts, len(digits)])]
    separator = draw(st.sampled_from([" ", "-", ".", " - "]))
    if len(groups) > 1 and draw(st.booleans()) and not groups[0].startswith("+"):
        groups[0] = f"({groups[0]})"
    return separator.join(groups)


def _outcome(function, *args):
    try:
        return function(*args)
    except ValueProblem as problem:
        return problem.code


@pytest.mark.parametrize("region", FAST_PATH_REGIONS)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_path_agrees_with_libphonenumber(region, data):
    national = data.draw(valid_numbers(region))
    text = data.draw(spellings(region, national))
    note(f"{region} {text!r}")
    # "987654321.00" is read as spreadsheet damage before either path sees it (tested above).
    assume(not phones._EXCEL_FLOAT.fullmatch(text))
    cleaned = phones._clean(text)
    fast = phones._fast_path(cleaned, region)
    by_libphonenumber = _outcome(phones._libphonenumber_path, text, region)
    assert fast is None or fast == by_libphonenumber
    assert _outcome(normalise_phone, text, region) == by_libphonenumber


@pytest.mark.parametrize("region", FAST_PATH_REGIONS)
def test_the_fast_path_reads_most_valid_numbers_spelled_nationally_or_with_plus(region):
    rng = random.Random(region)
    examples = _examples(region)
    country_code = str(phonenumbers.PhoneMetadata.metadata_for_region(region).country_code)
    taken = tried = 0
    while tried < 400:
        example = rng.choice(examples)
        national = example[:-4] + "".join(rng.choice("0123456789") for _ in range(4))
        if not _is_valid(region, national):
            continue
        tried += 1
        for text in (national, f"+{country_code}{national}"):
            fast = phones._fast_path(text, region)
            assert fast in (None, f"+{country_code}{national}")
            taken += fast is not None
    assert taken / (2 * tried) >= 0.9
