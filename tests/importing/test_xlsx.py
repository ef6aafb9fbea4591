"""Excel files as creditors export them: a title block, real date cells, numbers stored as numbers."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from debtors.importing.loading import ImportFileError, portfolio_import
from debtors.importing.reading import xlsx_cell_text
from debtors.importing.values import parse_amount, parse_date
from debtors.models import Debt, Debtor
from promises.importing import payments_import


def workbook(
    rows, *, title_rows=(("Banco Andino — cartera de octubre",), ("Fecha de corte", datetime(2026, 10, 31)), ())
):
    book = Workbook()
    sheet = book.active
    for row in (*title_rows, *rows):
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


HEADER = ("Código de cliente", "Apellidos y nombres", "DNI", "Celular", "Teléfono 2", "Saldo", "Fecha de vencimiento")


@pytest.mark.django_db
def test_a_real_excel_export_imports_without_edits(lima):
    stream = workbook(
        [
            HEADER,
            (20231234, "Muñoz Pérez, José", 12345678, 987654321, 51912345678.0, 1234.56, datetime(2026, 8, 31)),
            ("C-2", "Ríos, Ana", "08765432", "987 654 000", None, "500,00", "15/09/2026"),  # text cells too
            (None, None, None, None, None, None, None),
            (None, None, None, None, None, None, None),  # blank trailing rows
        ]
    )
    result = portfolio_import(file=stream, portfolio=lima)

    assert (result.created, result.rejected) == (2, 0)
    jose = Debtor.objects.get(external_id="20231234")  # a number cell: no ".0"
    assert jose.national_id == "12345678"
    assert sorted(phone.number.as_e164 for phone in jose.phones.all()) == ["+51912345678", "+51987654321"]
    debt = jose.debts.get()
    assert (debt.balance, debt.due_date) == (Decimal("1234.56"), date(2026, 8, 31))
    assert Debtor.objects.get(external_id="C-2").national_id == "08765432"  # a text cell keeps its zero


@pytest.mark.django_db
def test_rejected_rows_carry_the_row_number_excel_shows(lima):
    stream = workbook([HEADER, ("C-1", "Ana", 1, 987654321, None, "mucho", datetime(2026, 8, 31))])
    result = portfolio_import(file=stream, portfolio=lima)
    assert result.rejected == 1
    assert result.problems[0].row == 5  # three title rows, the header on row 4


@pytest.mark.django_db
def test_a_second_excel_file_updates_and_adds_without_duplicates(lima):
    first = [HEADER, ("C-1", "Ana", 1, 987654321, None, 100, datetime(2026, 8, 31))]
    portfolio_import(file=workbook(first), portfolio=lima)
    second = [
        *first[:1],
        ("C-1", "Ana", 1, 987654321, None, 80, datetime(2026, 8, 31)),
        ("C-2", "Luis", 2, 912345678, None, 50, datetime(2026, 9, 30)),
        ("C-2", "Luis", 2, 912345678, None, 50, datetime(2026, 9, 30)),
    ]
    result = portfolio_import(file=workbook(second), portfolio=lima)
    assert (result.created, result.updated, result.unchanged, result.rejected) == (1, 1, 0, 1)
    assert Debtor.objects.count() == 2 and Debt.objects.count() == 2
    assert Debt.objects.get(account_reference="C-1").balance == Decimal("80")


@pytest.mark.django_db
def test_payments_from_an_excel_file(lima):
    portfolio_import(
        file=workbook([HEADER, ("C-1", "Ana", 1, 987654321, None, 100, datetime(2026, 8, 31))]), portfolio=lima
    )
    stream = workbook(
        [
            ("Referencia", "Código de cliente", "Monto pagado", "Fecha de pago"),
            (9001, "C-1", 40, datetime(2026, 11, 1)),
        ],
        title_rows=(),
    )
    result = payments_import(file=stream, portfolio=lima)
    assert result.created == 1
    assert Debt.objects.get().balance == Decimal("60")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04not really a zip" * 10, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600],
    ids=["broken-xlsx", "old-xls"],
)
def test_an_excel_file_that_cannot_be_read_raises_one_clear_error(lima, content):
    with pytest.raises(ImportFileError):
        portfolio_import(file=io.BytesIO(content), portfolio=lima)


# --- Cells ---------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**15))
def test_whole_numbers_keep_every_digit_whether_stored_as_int_or_float(number):
    assert xlsx_cell_text(number) == str(number)
    assert xlsx_cell_text(float(number)) == str(number)  # 15 digits: exact as a double


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_amounts_stored_as_numbers_read_back_as_the_same_amount(amount):
    assert parse_amount(xlsx_cell_text(float(amount))) == amount


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_date_cells_read_back_as_the_same_date_in_any_country(day):
    text = xlsx_cell_text(datetime(day.year, day.month, day.day))
    assert parse_date(text, day_first=True) == day == parse_date(text, day_first=False)
