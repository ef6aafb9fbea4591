"""The import reads XLSX through python-calamine, the preview through openpyxl: both give the same
rows, and every cap refuses a hostile file before calamine would hold it."""

import io
from datetime import date, datetime, time, timedelta
from unittest import mock

import pytest
from openpyxl import Workbook

from debtors.importing import xlsx as xlsx_reader
from debtors.importing import xlsx_guard
from debtors.importing.loading import ImportFileError, portfolio_import
from debtors.importing.reading import CalamineXlsxRows, XlsxRows, open_xlsx
from debtors.models import Debtor
from tests.data.make_files import HEADER, rows, xlsx
from tests.importing.hostile_files import DATA, with_shared_string


def awkward_workbook() -> bytes:
    """Cells of every kind, a table that starts at column C below a title, rows left empty."""
    book = Workbook()
    sheet = book.active
    sheet["B1"] = "Banco Andino — cartera"
    sheet["C3"], sheet["D3"], sheet["E3"] = "Código", "Saldo", "Vence"
    values = [
        ("C-1", 1234.56, datetime(2026, 8, 31)),
        (20231234, 100, date(2026, 9, 1)),
        ("C-3", -3.5, datetime(2026, 8, 31, 10, 30)),
        ("C-4", True, time(10, 30)),
        ("C-5", 51912345678.0, timedelta(hours=30)),
        ("C-6", 0.1 + 0.2, "31/08/2026"),
        ("", None, None),
    ]
    for offset, row in enumerate(values):
        for column, value in zip("CDE", row):
            sheet[f"{column}{5 + offset * 2}"] = value
    sheet["H20"].number_format = "0.00"  # a styled empty cell past the table: no value, no row
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(reader) -> list[list[str]]:
    out = []
    for cells in reader:
        cells = list(cells)
        while cells and not cells[-1]:
            cells.pop()
        out.append(cells)
    while out and not out[-1]:
        out.pop()
    return out


@pytest.mark.parametrize(
    "content",
    [awkward_workbook(), with_shared_string("Ríos Ana"), xlsx([HEADER, *rows(1, 5)])],
    ids=["awkward", "shared-strings", "plain"],
)
def test_calamine_and_openpyxl_read_the_same_rows_at_the_same_row_numbers(content):
    fast = open_xlsx(io.BytesIO(content), whole=True)
    assert isinstance(fast, CalamineXlsxRows)
    assert read(fast) == read(XlsxRows(io.BytesIO(content)))


def test_cells_read_by_calamine_as_a_person_would_type_them():
    table = read(open_xlsx(io.BytesIO(awkward_workbook()), whole=True))
    assert table[0] == ["", "Banco Andino — cartera"]
    assert table[2] == ["", "", "Código", "Saldo", "Vence"]  # Excel's row 3, column C
    assert table[4] == ["", "", "C-1", "1234.56", "2026-08-31"]
    assert table[6] == ["", "", "20231234", "100", "2026-09-01"]
    assert table[8] == ["", "", "C-3", "-3.5", "2026-08-31 10:30:00"]
    assert table[10] == ["", "", "C-4", "TRUE", "10:30:00"]
    assert table[12] == ["", "", "C-5", "51912345678", "1 day, 6:00:00"]
    assert table[14] == ["", "", "C-6", "0.3", "31/08/2026"]


def test_the_preview_reads_through_openpyxl_which_streams():
    assert isinstance(open_xlsx(io.BytesIO(xlsx([HEADER, *rows(1, 3)])), whole=False), XlsxRows)


@pytest.mark.django_db
def test_a_sheet_past_the_cell_cap_is_imported_through_openpyxl(lima):
    content = xlsx([HEADER, *rows(1, 5)])
    with mock.patch.object(xlsx_reader, "MAX_CALAMINE_CELLS", 20):
        assert isinstance(open_xlsx(io.BytesIO(content), whole=True), XlsxRows)
        result = portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert (result.created, result.rejected) == (5, 0)


@pytest.mark.django_db
def test_rejected_rows_in_a_table_that_starts_off_the_corner_carry_excels_row_number(lima):
    book = Workbook()
    sheet = book.active
    sheet["B2"] = "Cartera de octubre"
    for offset, row in enumerate([HEADER, *rows(1, 2)]):
        for column, value in enumerate(row):
            sheet.cell(row=4 + offset, column=3 + column, value=value)
    sheet["F6"] = "mucho"  # C-002's balance, on Excel's row 6
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    result = portfolio_import(file=buffer, portfolio=lima)
    assert (result.created, result.rejected) == (1, 1)
    assert result.problems[0].row == 6
    assert Debtor.objects.get().external_id == "C-001"


@pytest.mark.django_db
def test_a_worksheet_after_a_chart_sheet_is_the_one_read(lima):
    book = Workbook()
    for row in [HEADER, *rows(1, 2)]:
        book.active.append(row)
    book.create_chartsheet("Gráfico", 0)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    assert portfolio_import(file=buffer, portfolio=lima).created == 2


def never_opened(*args, **kwargs):
    raise AssertionError("calamine opened a file that the guard should have refused")


@pytest.mark.django_db
def test_a_hostile_cell_is_refused_before_calamine_opens_the_file(lima):
    content = (DATA / "xlsx-huge-cell.xlsx").read_bytes()  # a 50 MB cell
    with (
        mock.patch("python_calamine.CalamineWorkbook.from_filelike", never_opened),
        pytest.raises(ImportFileError) as refused,
    ):
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert "(parte «xl/worksheets/sheet1.xml»)" in refused.value.message


@pytest.mark.django_db
def test_too_many_shared_texts_refuse_the_file_before_calamine_opens_it(lima):
    content = with_shared_string("Ríos Ana")
    with (
        mock.patch.object(xlsx_guard, "MAX_SHARED_STRINGS", 0),
        mock.patch("python_calamine.CalamineWorkbook.from_filelike", never_opened),
        pytest.raises(ImportFileError) as refused,
    ):
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert refused.value.message.startswith("El archivo Excel contiene más de 0 textos distintos")
    assert not Debtor.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", [b"<row\n", b"<row\t"], ids=["newline", "tab"])
def test_row_tags_written_with_a_line_break_are_all_counted_by_both_readers(lima, spelling):
    from tests.data.make_files import rewrite_part

    content = rewrite_part(
        xlsx([HEADER, *rows(1, 5)]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<row ", spelling).replace(b"</sheetData>", b"<rowBreaks/></sheetData>"),
    )
    assert read(open_xlsx(io.BytesIO(content), whole=True)) == read(XlsxRows(io.BytesIO(content)))
    assert portfolio_import(file=io.BytesIO(content), portfolio=lima).created == 5
