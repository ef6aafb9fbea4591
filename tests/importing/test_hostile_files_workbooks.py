"""Hostile workbooks, built to exhaust memory: a cell of 50 MB, a zip part that unpacks past
its cap, a huge shared text or millions of tiny ones are refused (or read only as far as the rows
need them) before openpyxl or calamine would hold them, in the preview and in the job."""

import io
import sys
import tracemalloc
from pathlib import Path
from unittest import mock

import pytest

from debtors.importing import xlsx_guard
from debtors.importing.loading import ImportFileError, portfolio_import
from debtors.models import Debtor, ImportJob
from tests.importing.hostile_files import DATA, NB, mapping_page, with_shared_string, with_shared_strings

pytestmark = pytest.mark.django_db


# --- A cell of 50 MB in 54 KB, a zip part past its cap ------------------------------------


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
    with mock.patch.object(xlsx_guard, "MAX_SHEET_XML_BYTES", 1 << 20), pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert refused.value.message == (
        "El archivo Excel se descomprime en más de lo que se lee con seguridad: su parte «xl/worksheets/sheet1.xml» "
        "ocupa 48 MB y se leen 1 MB como máximo. Se rechazó el archivo entero; guarde la hoja como CSV (UTF-8) y "
        "envíela de nuevo."
    )


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


def test_the_hostile_files_benchmark_runs_in_its_smoke_mode():
    import json
    import subprocess

    script = Path(__file__).resolve().parent.parent.parent / "bench" / "bench_hostile_files.py"
    out = subprocess.run([sys.executable, str(script), "--smoke"], capture_output=True, text=True, check=True)
    results = json.loads(out.stdout)
    assert [read["mode"] for read in results["reads"]] == ["preview", "import"]
    assert all(read["refused"] for read in results["reads"])
    assert results["guard"]["rows"] == 500


# --- The huge text in the shared strings, as Excel writes a workbook ------------------------


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
    monkeypatch.setattr(xlsx_guard, "MAX_SHARED_STRINGS", 1000)
    content = with_shared_strings(["Ríos Ana", "Paz Luis", "Soto Eva"], [0, 1, 1500], filler=2000)
    with pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert refused.value.message.startswith(f"El archivo Excel contiene más de 1{NB}000 textos distintos")
    content = with_shared_strings(["Ríos Ana", "Paz Luis", "Soto Eva"], [0, 1, 9], filler=2)  # past the table's end
    with pytest.raises(ImportFileError) as refused:
        portfolio_import(file=io.BytesIO(content), portfolio=lima)
    assert refused.value.message.startswith("No se puede abrir el archivo de Excel: ")
