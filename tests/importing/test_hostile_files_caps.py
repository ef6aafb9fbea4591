"""Hostile files that once exhausted the server, cell by cell and row by row: an oversized or
broken cell or row is refused with a clear message and the valid rows are kept, and the preview
and the result page stay small and quick. The files are in tests/data (make_files.py)."""

import io
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from debtors import import_views
from debtors.importing import reading
from debtors.importing.loading import ImportFileError, portfolio_import
from debtors.models import Debtor, ImportJob
from tests.data.make_files import HEADER, csv_rows, csv_text, rewrite_part, rows, xlsx
from tests.importing.hostile_files import DATA, NB, load_through_pages, mapping_page, report_rows

pytestmark = pytest.mark.django_db


# --- 16.2: caps, with the valid rows kept ---------------------------------------------------


def test_a_csv_with_a_one_megabyte_cell_refuses_that_row_and_keeps_the_others(
    client, ana, lima, worker, django_capture_on_commit_callbacks
):
    client.force_login(ana)
    content = (DATA / "csv-1mb-cell.csv").read_bytes()
    page, job, result = load_through_pages(client, lima, content, "cartera.csv", django_capture_on_commit_callbacks)

    preview = page.content.decode()
    assert len(preview) < 100_000  # the page shows the start of the cell, not a megabyte
    assert [line["row"] for line in page.context["refused"]] == [4]
    assert (
        f"La celda tiene 1{NB}000{NB}000 caracteres, más que el límite del propio Excel (32{NB}767); se rechazó la fila."
        in preview
    )

    assert (job.status, job.created_count, job.rejected_count) == ("done", 3, 1)
    assert sorted(Debtor.objects.values_list("external_id", flat=True)) == ["C-001", "C-002", "C-004"]
    html = result.content.decode()
    assert len(html) < 100_000 and "se rechazó la fila" in html
    row = report_rows(job)[1]
    assert row[0] == "4" and row[1].startswith("Apellidos y nombres: La celda tiene")
    # The report gives the whole row back, the huge cell cut to its start.
    assert max(len(cell) for cell in row[2:]) <= reading.MAX_CELL_CHARS + 1
    assert "C-003" in row[2:]


def test_a_csv_row_over_a_megabyte_on_one_line_is_refused_and_the_next_rows_read(lima):
    body = csv_rows(1, 3)
    body[1][1] = "x" * (reading.MAX_ROW_CHARS + 10)
    result = portfolio_import(file=io.BytesIO(csv_text([HEADER, *body]).encode()), portfolio=lima)
    assert (result.created, result.rejected) == (2, 1)
    assert result.problems[0].reason == f"La fila tiene más de 1{NB}048{NB}576 caracteres; se rechazó la fila."
    assert result.problems[0].row == 3


def test_a_quoted_cell_over_a_megabyte_across_lines_refuses_the_file_and_says_so(lima):
    body = csv_rows(1, 3)
    body[1][1] = '"' + ("y" * 1000 + "\n") * 1100 + '"'
    with pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(csv_text([HEADER, *body]).encode()), portfolio=lima)
    assert refused.value.message == (
        f"El registro que empieza cerca de la línea 3 tiene más de 1{NB}048{NB}576 caracteres repartidos en varias "
        "líneas; se rechazó el archivo entero."
    )


def test_a_csv_with_nul_bytes_refuses_only_that_row(client, ana, lima, worker, django_capture_on_commit_callbacks):
    client.force_login(ana)
    content = (DATA / "csv-nul-bytes.csv").read_bytes()
    page, job, result = load_through_pages(client, lima, content, "cartera.csv", django_capture_on_commit_callbacks)
    assert [line["row"] for line in page.context["refused"]] == [3]
    assert (job.status, job.created_count, job.rejected_count) == ("done", 3, 1)
    assert "La celda contiene un carácter NUL" in result.content.decode()
    assert not any("\x00" in name for name in Debtor.objects.values_list("full_name", flat=True))


def test_a_row_wider_than_the_column_cap_is_refused_but_trailing_empty_cells_are_not():
    width = reading.MAX_COLUMNS
    assert reading.check_row(["a", "b"] + [""] * (width + 5)) == ["a", "b"] + [""] * (width - 2)
    refused = reading.check_row(["a"] * (width + 1))
    assert isinstance(refused, reading.RefusedRow) and refused.problem.code == "too_wide"


def test_an_xlsx_cell_over_excels_limit_refuses_its_row_and_the_page_shows_it_clipped(
    client, ana, lima, worker, django_capture_on_commit_callbacks
):
    # A rejected value over 131,072 characters made the result page a 500 (the csv module's
    # field limit, reading the report back). openpyxl cuts at 32,767 when writing: edit the XML.
    content = rewrite_part(
        xlsx([HEADER, *rows(1, 3)]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("Cliente Número 2".encode(), b"Z" * 200_000),
    )
    client.force_login(ana)
    page, job, result = load_through_pages(client, lima, content, "cartera.xlsx", django_capture_on_commit_callbacks)
    assert (job.status, job.created_count, job.rejected_count) == ("done", 2, 1)
    html = result.content.decode()
    assert f"Apellidos y nombres: La celda tiene 200{NB}000 caracteres" in html
    assert "Z" * 201 not in html  # the page gives the row and the reason; the report the row


def test_a_report_written_before_the_caps_still_shows(client, ana, lima, settings):
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True)
    (folder / "old-rejected.csv").write_text(
        f"row,column,value,reason\r\n5,Saldo,{'9' * 200_000},No es un importe.\r\n"
    )
    job = ImportJob.objects.create(
        kind="portfolio",
        portfolio=lima,
        file="imports/x.csv",
        created_by=ana,
        status=ImportJob.Status.DONE,
        rejected_count=1,
        report="imports/old-rejected.csv",
    )
    client.force_login(ana)
    page = client.get(reverse("debtors:import_detail", args=[job.pk]))
    assert page.status_code == 200
    assert "Saldo: No es un importe." in page.content.decode() and "9" * 201 not in page.content.decode()


def test_the_preview_stops_at_its_time_bound_and_says_so(client, ana, lima, monkeypatch):
    # The preview began ten seconds ago, as far as its clock tells: its 5 s bound is past.
    monkeypatch.setattr(import_views, "time", SimpleNamespace(monotonic=lambda: time.monotonic() - 10), raising=False)
    client.force_login(ana)
    content = csv_text([HEADER, *csv_rows(1, 5)]).encode()
    _url, page = mapping_page(client, lima, content, "cartera.csv")
    assert page.context["cut_short"] is True
    assert "Solo se muestran las filas leídas en los primeros 5 segundos" in page.content.decode()


def test_the_preview_lists_a_few_refused_rows_however_many_there_are(client, ana, lima):
    body = csv_rows(1, 40)
    for row in body[:30]:
        row[1] = "x" * (reading.MAX_CELL_CHARS + 1)
    client.force_login(ana)
    _url, page = mapping_page(client, lima, csv_text([HEADER, *body]).encode(), "cartera.csv")
    assert len(page.context["refused"]) == import_views.PREVIEW_ROWS
    assert [number for number, _cells in page.context["preview"]][:2] == [32, 33]


def test_a_payments_file_reports_its_refused_rows_and_loads_the_others(lima):
    from promises.importing import payments_import
    from promises.models import Payment

    portfolio_import(file=io.BytesIO(csv_text([HEADER, *csv_rows(1, 2)]).encode()), portfolio=lima)
    payments = "Referencia;Código de cliente;Monto pagado;Fecha de pago\r\nOP-1;C-001;10,00;01/11/2026\r\n"
    payments += "OP-2;C-0\x0002;10,00;01/11/2026\r\nOP-3;C-002;10,00;01/11/2026\r\n"
    result = payments_import(file=io.BytesIO(payments.encode()), portfolio=lima)
    assert (result.created, result.rejected) == (2, 1)
    assert result.problems[0].row == 3 and "carácter NUL" in result.problems[0].reason
    assert sorted(Payment.objects.values_list("reference", flat=True)) == ["OP-1", "OP-3"]
