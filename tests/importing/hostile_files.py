"""What the hostile-file tests (test_hostile_files_*.py, test_xlsx_calamine.py) share: the
stored files (DATA, written by tests/data/make_files.py), a file uploaded and confirmed through
the import pages, the rejected rows' report, and workbooks whose texts are shared strings, as
Excel writes them (openpyxl writes inline ones)."""

import csv
import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from debtors.models import ImportJob
from tests.data.make_files import HEADER, rows, xlsx

NB = "\xa0"  # Spanish groups thousands with a no-break space
DATA = Path(__file__).resolve().parent.parent / "data"


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
