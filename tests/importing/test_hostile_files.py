"""Files that once lost rows or exhausted the server: each is read, capped, or refused with a
clear message, through the web pages and the job. The files are in tests/data (make_files.py)."""

import csv
import gc
import io
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from debtors import import_views
from debtors.importing import loading, reading
from debtors.importing.loading import ImportFileError, portfolio_import
from debtors.importing.reading import sniff_csv
from debtors.models import Debtor, ImportJob
from debtors.tasks import run_import_job
from tests.data.make_files import HEADER, csv_rows, csv_text, rewrite_part, rows, xlsx

pytestmark = pytest.mark.django_db

NB = "\xa0"  # Spanish groups thousands with a no-break space
DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def worker():
    with mock.patch.object(run_import_job, "delay", side_effect=lambda pk: run_import_job(pk)) as delay:
        yield delay


def mapping_page(client, portfolio, content: bytes, name: str):
    data = {"kind": "portfolio", "portfolio": portfolio.pk, "file": SimpleUploadedFile(name, content)}
    response = client.post(reverse("debtors:import_new"), data)
    assert response.status_code == 302
    url = response["Location"]
    with translation.override("en"):
        page = client.get(url)
    assert page.status_code == 200
    return url, page


def load_through_pages(client, portfolio, content: bytes, name: str, capture):
    """Upload, look at the preview, confirm the proposed columns; the job runs; the result page."""
    url, page = mapping_page(client, portfolio, content, name)
    form = page.context["form"]
    with capture(execute=True):
        client.post(url, {field: form[field].initial or "" for field in form.fields})
    job = ImportJob.objects.latest("pk")
    with translation.override("en"):
        result = client.get(reverse("debtors:import_detail", args=[job.pk]))
    assert result.status_code == 200
    return page, job, result


def report_rows(job) -> list[list[str]]:
    with open(job.report.path, encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


# --- 16.1: every row of an XLSX, whatever its dimension tag says ---------------------------


def test_an_xlsx_whose_dimension_tag_under_reports_loads_every_row(
    client, ana, lima, worker, django_capture_on_commit_callbacks
):
    client.force_login(ana)
    content = (DATA / "xlsx-dimension-under-reported.xlsx").read_bytes()  # says A1:E2, holds 11 rows
    page, job, result = load_through_pages(client, lima, content, "cartera.xlsx", django_capture_on_commit_callbacks)

    assert len(page.context["preview"]) == 10  # the preview shows them too
    assert (job.status, job.created_count, job.rejected_count) == ("done", 10, 0)
    assert Debtor.objects.count() == 10
    assert Debtor.objects.get(external_id="C-010").full_name == "Cliente Número 10"


def test_an_xlsx_row_the_reader_cannot_see_fails_the_import(lima):
    # A row element in a namespace openpyxl does not read: the file holds 11 rows, 10 are read.
    content = rewrite_part(
        xlsx([HEADER, *rows(1, 9)]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>", b'<x:row xmlns:x="urn:other" r="11"><x:c r="A11"/></x:row></sheetData>'
        ),
    )
    with pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert (
        "La hoja de Excel contiene 11 filas, pero se leyeron 10; se rechazó el archivo entero." == refused.value.message
    )
    assert not Debtor.objects.exists()


def test_an_import_whose_counts_miss_a_row_fails_and_saves_nothing(ana, lima, monkeypatch):
    from django.core.files.base import ContentFile

    from debtors import services

    checked = loading._parsed_batches

    def losing_row_3(*args):  # a defect that drops a row on the way without counting it
        for parsed in checked(*args):
            yield [row for row in parsed if row.number != 3]

    monkeypatch.setattr(loading, "_parsed_batches", losing_row_3)
    content = csv_text([HEADER, *csv_rows(1, 3)]).encode()
    job = services.import_job_create(
        user=ana, kind="portfolio", file=ContentFile(content, name="c.csv"), portfolio=lima
    )
    job = services.import_job_run(job_id=job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert job.error_message == (  # ana works in Spanish, the default
        "Se leyeron 3 filas del archivo, pero 2 quedaron contadas como creadas, actualizadas, sin cambios o rechazadas; "
        "no se guardó nada. Avise a su administrador."
    )
    assert not Debtor.objects.exists()


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


def test_a_hostile_workbook_is_refused_in_the_preview_and_the_job_without_exhausting_memory(client, ana, lima):
    content = (DATA / "xlsx-huge-cell.xlsx").read_bytes()  # 54 KB holding a 50 MB cell
    client.force_login(ana)
    tracemalloc.start()
    try:
        url, page = mapping_page(client, lima, content, "cartera.xlsx")
        _size, preview_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with pytest.raises(ImportFileError) as refused:
            portfolio_import(file=io.BytesIO(content), portfolio=lima)
        _size, import_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert page.templates[0].name == "debtors/import_unreadable.html"
    message = (
        f"El archivo Excel contiene una celda de más de 1{NB}048{NB}576 caracteres (parte «xl/worksheets/sheet1.xml»), "
        f"por encima del límite del propio Excel (32{NB}767). Se rechazó el archivo entero."
    )
    assert message in page.content.decode() and refused.value.message == message
    # Reading the 50 MB cell would take hundreds of MB; the guard stops at ≈ 1 MB of it.
    assert preview_peak < 30 << 20 and import_peak < 30 << 20, (preview_peak, import_peak)
    assert not Debtor.objects.exists()


def test_a_zip_part_that_unpacks_past_its_cap_is_refused_before_it_is_read(lima):
    content = (DATA / "xlsx-huge-cell.xlsx").read_bytes()
    with mock.patch.object(reading, "MAX_SHEET_XML_BYTES", 1 << 20), pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert refused.value.message == (
        "El archivo Excel se descomprime en más de lo que se lee con seguridad: su parte «xl/worksheets/sheet1.xml» "
        "ocupa 48 MB y se leen 1 MB como máximo. Se rechazó el archivo entero; guarde la hoja como CSV (UTF-8) y "
        "envíela de nuevo."
    )


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


# --- Formula-looking text, a CR in a quoted cell --------------------------------------------


def test_formula_looking_cells_load_as_text_and_the_report_neutralises_them(
    client, ana, lima, worker, django_capture_on_commit_callbacks
):
    client.force_login(ana)
    content = (DATA / "csv-formulas.csv").read_bytes()
    page, job, result = load_through_pages(client, lima, content, "cartera.csv", django_capture_on_commit_callbacks)
    assert (job.status, job.created_count, job.rejected_count) == ("done", 6, 1)
    names = dict(Debtor.objects.values_list("external_id", "full_name"))
    assert names["F-1"] == '=HYPERLINK("http://example.com/pay","Pague aquí")'
    assert names["F-4"] == "@Muñoz José"
    assert names["F-6"] == "CR, Luis"  # the CR inside its quoted cell stayed in the cell
    references = set(Debtor.objects.values_list("debts__account_reference", flat=True))
    assert {"=1+1", "+51-1", "-42", "@A1"} <= references
    rejected = report_rows(job)[1]
    assert rejected[0] == "8" and "'=1+1" in rejected[2:]  # a spreadsheet shows it, never runs it


def test_a_cr_inside_a_quoted_cell_does_not_confuse_the_delimiter():
    raw = 'Código;Nombre;Nota\r\n1;Ana;"hola\rmundo, sí"\r\n2;Eva;"x, y"\r\n3;Luis;z\r\n'.encode()
    assert sniff_csv(raw).delimiter == ";"
    raw = 'Código,Nombre,Nota\r\n1,Ana,"hola\rmundo; sí"\r\n2,Eva,"x; y"\r\n3,Luis,z\r\n'.encode()
    assert sniff_csv(raw).delimiter == ","
    raw = "Código;Nombre\r1;Ana\r2;Eva\r".encode()  # old Mac line ends
    assert sniff_csv(raw).delimiter == ";"


# --- 15.6: a refused file leaves no "Exception ignored" behind ------------------------------


def test_a_refused_csv_leaves_no_exception_ignored_behind(ana, lima, tmp_path, monkeypatch):
    from django.core.files.base import ContentFile

    from debtors import services

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    # No balance column: refused once the header is found, the reader still inside the file.
    content = ("Código de cliente;Apellidos y nombres\r\n" + "C-1;Ana\r\n" * 40).encode()
    job = services.import_job_create(
        user=ana, kind="portfolio", file=ContentFile(content, name="c.csv"), portfolio=lima
    )
    job = services.import_job_run(job_id=job.pk)
    (tmp_path / "c.csv").write_bytes(content)
    with pytest.raises(ImportFileError):
        portfolio_import(file=tmp_path / "c.csv", portfolio=lima)
    gc.collect()
    assert job.status == ImportJob.Status.FAILED
    assert [str(item.exc_value) for item in unraisable] == []


# --- The huge text in the shared strings, as Excel writes a workbook ------------------------


def with_shared_string(text: str) -> bytes:
    """A workbook whose row 3 name is a shared string (openpyxl writes inline ones)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx([HEADER, *rows(1, 3)])))
    edits = {
        "[Content_Types].xml": lambda xml: xml.replace(
            b"</Types>",
            (
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
            ),
        ),
        "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
            b"</Relationships>",
            (
                b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
            ),
        ),
        "xl/worksheets/sheet1.xml": lambda xml: xml.replace(
            '<c r="B3" t="inlineStr"><is><t>Cliente Número 2</t></is></c>'.encode(), b'<c r="B3" t="s"><v>0</v></c>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, edits.get(info.filename, lambda xml: xml)(data))
        target.writestr(
            "xl/sharedStrings.xml",
            (
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                f"<si><t>{text}</t></si></sst>"
            ).encode(),
        )
    return buffer.getvalue()


def test_shared_strings_are_read_and_a_huge_one_refuses_the_file_before_openpyxl_holds_it(lima):
    result = portfolio_import(file=io.BytesIO(with_shared_string("Ríos Ana")), portfolio=lima)
    assert result.created == 3 and Debtor.objects.get(external_id="C-002").full_name == "Ríos Ana"

    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError) as refused:
            portfolio_import(file=io.BytesIO(with_shared_string("A" * 20_000_000)), portfolio=lima)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "(parte «xl/sharedStrings.xml»)" in refused.value.message
    assert peak < 60 << 20, peak  # the test's own 20 MB text and its zip; never the parsed cell


def test_a_shared_string_over_excels_limit_refuses_only_its_row(lima):
    result = portfolio_import(file=io.BytesIO(with_shared_string("B" * 100_000)), portfolio=lima)
    assert (result.created, result.rejected) == (2, 1)
    assert result.problems[0].row == 3 and result.problems[0].reason.startswith(f"La celda tiene 100{NB}000 caracteres")


def test_the_hostile_files_benchmark_runs_in_its_smoke_mode():
    import json
    import subprocess

    script = Path(__file__).resolve().parent.parent.parent / "bench" / "bench_hostile_files.py"
    out = subprocess.run([sys.executable, str(script), "--smoke"], capture_output=True, text=True, check=True)
    results = json.loads(out.stdout)
    assert [read["mode"] for read in results["reads"]] == ["preview", "import"]
    assert all(read["refused"] for read in results["reads"])
    assert results["guard"]["rows"] == 500


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


def test_a_sheet_whose_xml_breaks_after_its_first_rows_is_refused_with_a_message(lima):
    content = rewrite_part(
        xlsx([HEADER, *rows(1, 3)]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", b"<row r='9'><c></sheetData>"),
    )
    with pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert refused.value.message.startswith("No se puede abrir el archivo de Excel: ")
    assert not Debtor.objects.exists()


def test_the_job_given_the_hostile_workbook_fails_with_the_message_and_writes_no_report(ana, lima, settings):
    from django.core.files.base import ContentFile

    from debtors import services

    content = (DATA / "xlsx-huge-cell.xlsx").read_bytes()
    job = services.import_job_create(
        user=ana, kind="portfolio", file=ContentFile(content, name="c.xlsx"), portfolio=lima
    )
    job = services.import_job_run(job_id=job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert job.error_message.startswith("El archivo Excel contiene una celda de más de 1")
    assert not list((Path(settings.MEDIA_ROOT) / "imports").glob("*-rejected.csv"))


def with_shared_strings(texts: list[str], names: list[int], *, filler: int = 0) -> bytes:
    """A workbook whose three debtors' names are shared texts `names` (indices into `texts`),
    the table of texts followed by `filler` one-letter texts."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx([HEADER, *rows(1, 3)])))

    def sheet(xml: bytes) -> bytes:
        for row, index in zip((2, 3, 4), names):
            xml = re.sub(
                rf'<c r="B{row}" t="inlineStr"><is><t>[^<]*</t></is></c>'.encode(),
                f'<c r="B{row}" t="s"><v>{index}</v></c>'.encode(),
                xml,
            )
        return xml

    edits = {
        "[Content_Types].xml": lambda xml: xml.replace(
            b"</Types>",
            (
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
            ),
        ),
        "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
            b"</Relationships>",
            (
                b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
            ),
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, edits.get(info.filename, lambda xml: xml)(source.read(info)))
        table = "".join(f"<si><t>{text}</t></si>" for text in texts) + "<si><t>x</t></si>" * filler
        target.writestr(
            "xl/sharedStrings.xml",
            (f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{table}</sst>').encode(),
        )
    return buffer.getvalue()


def test_shared_texts_are_read_as_far_as_the_rows_need_them(lima):
    content = with_shared_strings(["Ríos Ana", "Paz Luis", "Soto Eva"], [2, 0, 1])
    result = portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert result.created == 3
    assert dict(Debtor.objects.values_list("external_id", "full_name")) == {
        "C-001": "Soto Eva",
        "C-002": "Ríos Ana",
        "C-003": "Paz Luis",
    }


def test_a_table_of_millions_of_tiny_texts_does_not_hold_up_the_preview(client, ana, lima):
    # 3,000,000 one-letter texts after the three names (≈ 50 MB of XML in a 60 KB file):
    # openpyxl alone parsed them all before the first row, in minutes and hundreds of MB.
    content = with_shared_strings(["Ríos Ana", "Paz Luis", "Soto Eva"], [0, 1, 2], filler=3_000_000)
    client.force_login(ana)
    tracemalloc.start()
    try:
        _url, page = mapping_page(client, lima, content, "cartera.xlsx")
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [cells[1] for _number, cells in page.context["preview"]] == ["Ríos Ana", "Paz Luis", "Soto Eva"]
    assert peak < 30 << 20, peak


def test_a_workbook_past_the_cap_on_distinct_texts_is_refused(lima, monkeypatch):
    monkeypatch.setattr(reading, "MAX_SHARED_STRINGS", 1000)
    content = with_shared_strings(["Ríos Ana", "Paz Luis", "Soto Eva"], [0, 1, 1500], filler=2000)
    with pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert refused.value.message.startswith(f"El archivo Excel contiene más de 1{NB}000 textos distintos")
    content = with_shared_strings(["Ríos Ana", "Paz Luis", "Soto Eva"], [0, 1, 9], filler=2)  # past the table's end
    with pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert refused.value.message.startswith("No se puede abrir el archivo de Excel: ")
