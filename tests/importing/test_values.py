"""Amounts and dates as creditors spell them (pure functions, no database)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debtors.importing.values import ValueProblem, decimal_style_of, parse_amount, parse_date

pytestmark = pytest.mark.usefixtures("english_messages")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),  # Django's es format: a no-break space groups thousands
        ("1\u202f234,56", "1234.56"),  # and some spreadsheets a narrow one
        ("S/ 1.234,56", "1234.56"),
        ("S/. 1,234.56", "1234.56"),
        ("$1,234.56", "1234.56"),
        ("US$ 1,000.00", "1000.00"),
        ("1.234,56 €", "1234.56"),
        ("-12,5", "-12.5"),
        ("(12.50)", "-12.50"),
        ("12,50-", "-12.50"),
        ("$-5", "-5"),
        ("-$5", "-5"),
        ("1.234.567", "1234567"),
        ("1,234,567.8", "1234567.8"),
        ("0,5", "0.5"),
        ("1234,5678", "1234.5678"),
        (" 42 ", "42"),
    ],
)
def test_it_reads_amounts_in_either_decimal_style(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "hint", "amount"),
    [("1.234", "comma", "1234"), ("1.234", "point", "1.234"), ("1,234", "comma", "1.234"), ("1,234", "point", "1234")],
)
def test_the_hint_decides_what_the_value_alone_cannot(text, hint, amount):
    assert parse_amount(text, decimal_hint=hint) == Decimal(amount)


def test_an_unambiguous_value_overrules_the_hint():
    assert parse_amount("1.234,56", decimal_hint="point") == Decimal("1234.56")


@pytest.mark.parametrize("text", ["1.234", "1,234", "123.456"])
def test_it_refuses_to_guess_an_ambiguous_separator(text):
    with pytest.raises(ValueProblem) as problem:
        parse_amount(text)
    assert problem.value.code == "ambiguous_decimal"
    assert text in str(problem.value)


@pytest.mark.parametrize("text", ["abc", "12 USD 5", "1.23.456", "1,2,3", "--5", "(5", "5)", "1.5E3", "12,", "N/A"])
def test_it_says_what_is_not_a_number(text):
    with pytest.raises(ValueProblem) as problem:
        parse_amount(text)
    assert problem.value.code == "not_a_number"
    assert isinstance(problem.value, ValueError)
    assert str(problem.value) == f"“{text.strip()}” is not a number."


def test_an_empty_cell_is_blank_not_zero():
    with pytest.raises(ValueProblem) as problem:
        parse_amount("  ")
    assert problem.value.code == "blank"


def test_a_misspelt_hint_is_a_programming_error():
    with pytest.raises(ValueError, match="decimal_hint"):
        parse_amount("1.234", decimal_hint="coma")


def test_it_guesses_a_columns_decimal_style_from_its_values():
    assert decimal_style_of(["1.234,56", "12,5", "100", "1.234"]) == "comma"
    assert decimal_style_of(["1,234.56", "7", "1,234"]) == "point"
    assert decimal_style_of(["1.234.567", "1.234"]) == "comma"  # only thousands can repeat
    assert decimal_style_of(["1.234", "100", ""]) is None
    assert decimal_style_of(["12,5"] * 30 + ["12.5"]) == "comma"  # one odd cell does not flip a column
    assert decimal_style_of(["12,5"] * 5 + ["12.5"] * 5) is None


def _grouped(integer: int, separator: str) -> str:
    return f"{integer:,}".replace(",", separator)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.decimals(min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"), places=2),
    grouping=st.booleans(),
    currency=st.sampled_from(["", "S/ ", "$", "€ ", "MXN "]),
    negative_style=st.sampled_from(["minus", "parentheses"]),
)
def test_an_amount_formatted_in_either_style_reads_back(amount, grouping, currency, negative_style):
    magnitude = abs(amount)
    integer, cents = divmod(magnitude, 1)
    for decimal_separator, thousands in ((",", "."), (".", ",")):
        text = _grouped(int(integer), thousands if grouping else "") + decimal_separator + f"{cents:.2f}"[2:]
        text = currency + text
        if amount < 0:
            text = f"({text})" if negative_style == "parentheses" else f"-{text}"
        assert parse_amount(text) == amount, text


@settings(max_examples=200, deadline=None)
@given(integer=st.integers(min_value=0, max_value=10**12), style=st.sampled_from(["comma", "point"]))
def test_whole_amounts_read_back_with_the_files_style(integer, style):
    text = _grouped(integer, "." if style == "comma" else ",")
    assert parse_amount(text, decimal_hint=style) == Decimal(integer)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("31/10/2026", date(2026, 10, 31)),
        ("31-10-2026", date(2026, 10, 31)),
        ("31.10.2026", date(2026, 10, 31)),
        ("1/2/26", date(2026, 2, 1)),
        ("1/2/99", date(1999, 2, 1)),
        ("2026-10-31", date(2026, 10, 31)),
        ("2026/10/31", date(2026, 10, 31)),
        ("2026-10-31T10:20:30Z", date(2026, 10, 31)),
        ("2026-10-31 10:20:30.123456-05:00", date(2026, 10, 31)),
        ("31/10/2026 0:00", date(2026, 10, 31)),
        ("31/10/2026 12:00:00 a. m.", date(2026, 10, 31)),  # Excel on a Spanish Windows
        ("31-oct-2026", date(2026, 10, 31)),
        ("31-DIC-26", date(2026, 12, 31)),
        ("15 set 2026", date(2026, 9, 15)),
        ("45962", date(2025, 11, 1)),  # an Excel serial in the 1900 system
        ("45962.75", date(2025, 11, 1)),
    ],
)
def test_it_reads_dates_as_creditors_write_them(text, day):
    assert parse_date(text) == day


def test_month_first_when_the_file_is_from_the_united_states():
    assert parse_date("10/31/2026", day_first=False) == date(2026, 10, 31)
    assert parse_date("2026-10-31", day_first=False) == date(2026, 10, 31)


@pytest.mark.parametrize("text", ["31/02/2026", "29/02/2025", "13/13/2026", "00/10/2026", "2026-02-30", "31-abr-2026"])
def test_it_rejects_days_that_do_not_exist(text):
    with pytest.raises(ValueProblem) as problem:
        parse_date(text)
    assert problem.value.code == "impossible_date"


@pytest.mark.parametrize("text", ["hola", "2026", "20261031", "31/10", "31-foo-2026", "1.234,56"])
def test_it_says_what_is_not_a_date(text):
    with pytest.raises(ValueProblem) as problem:
        parse_date(text)
    assert problem.value.code == "not_a_date"


DATE_FORMATS = [
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M",
]


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(1969, 1, 1), max_value=date(2068, 12, 31)),
    at=st.times(),
    pattern=st.sampled_from(DATE_FORMATS),
    unpadded=st.booleans(),
)
def test_a_formatted_date_reads_back(day, at, pattern, unpadded):
    text = datetime.combine(day, at).strftime(pattern)
    if unpadded and pattern.startswith("%d"):
        text = text.lstrip("0")
    assert parse_date(text) == day
    if pattern.startswith("%d/%m"):
        assert parse_date(datetime.combine(day, time()).strftime("%m/%d/%Y"), day_first=False) == day


@settings(max_examples=200, deadline=None)
# Serials 10000–99999: 18 May 1927 to 13 October 2173 (100000 is six digits, not a serial).
@given(day=st.dates(min_value=date(1927, 5, 18), max_value=date(2173, 10, 13)))
def test_an_excel_serial_reads_back(day):
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(str(serial)) == day
    assert parse_date(f"{serial}.0") == day


def test_excel_serials_agree_with_known_dates():
    # 1 January 2026 is serial 46023 in Excel (and LibreOffice).
    assert parse_date("46023") == date(2026, 1, 1)
    assert parse_date("46023") - parse_date("46022") == timedelta(days=1)
