"""Hostile files that once lost rows: every row of a file is loaded, refused with its reason,
or the whole file refused and nothing saved; none goes missing unseen, none is misread. Through
the web pages, the job and the engine; the files are in tests/data (make_files.py)."""

import gc
import io
import sys

import pytest

from debtors.importing import loading
from debtors.importing.loading import ImportFileError, portfolio_import
from debtors.importing.reading import sniff_csv
from debtors.models import Debtor, ImportJob
from tests.data.make_files import HEADER, csv_rows, csv_text, rewrite_part, rows, xlsx
from tests.importing.hostile_files import DATA, load_through_pages, report_rows

pytestmark = pytest.mark.django_db


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
