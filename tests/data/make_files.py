"""Writes the hostile and awkward files the import tests load (run once; the files are committed).

    .venv/bin/python tests/data/make_files.py

Each file is small on disk; what it unpacks to or holds in one cell is what the tests are about.
"""

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = ["Código de cliente", "Apellidos y nombres", "Teléfono", "Saldo deudor", "Fecha de vencimiento"]


def rows(first: int, count: int) -> list[list]:
    return [
        [f"C-{n:03d}", f"Cliente Número {n}", f"9876543{n:02d}", 100 + n, datetime(2026, 8, 31)]
        for n in range(first, first + count)
    ]


def xlsx(sheet_rows) -> bytes:
    book = Workbook()
    for row in sheet_rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_part(content: bytes, part: str, edit) -> bytes:
    """The same zip with one part's bytes passed through `edit`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, edit(data) if info.filename == part else data)
    return buffer.getvalue()


def dimension_under_reported() -> bytes:
    """Ten debtors; the sheet's <dimension> tag says the table ends at row 2 (header + 1)."""
    content = xlsx([HEADER, *rows(1, 10)])
    return rewrite_part(
        content,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:E2"', xml),
    )


def huge_cell() -> bytes:
    """Three debtors, the second named with 50,000,000 'A's (≈ 50 KB once compressed).

    openpyxl itself cuts a cell at 32,767 characters, so the name is put in the XML by hand."""
    content = xlsx([HEADER, *rows(1, 3)])
    return rewrite_part(
        content, "xl/worksheets/sheet1.xml", lambda xml: xml.replace("Cliente Número 2".encode(), b"A" * 50_000_000)
    )


def csv_text(lines) -> str:
    return "".join(";".join(cells) + "\r\n" for cells in lines)


def csv_rows(first: int, count: int) -> list[list[str]]:
    return [
        [f"C-{n:03d}", f"Cliente Número {n}", f"9876543{n:02d}", f"{100 + n},00", "31/08/2026"]
        for n in range(first, first + count)
    ]


def big_cell_csv() -> bytes:
    """Four debtors; the third's name is 1,000,000 characters long."""
    body = csv_rows(1, 4)
    body[2][1] = "B" * 1_000_000
    return csv_text([HEADER, *body]).encode("utf-8")


def nul_csv() -> bytes:
    """Four debtors; a NUL byte inside the second one's name (a damaged export)."""
    body = csv_rows(1, 4)
    body[1][1] = "Cliente\x00Dañado"
    return csv_text([HEADER, *body]).encode("utf-8")


def formulas_csv() -> bytes:
    """Names, account references and products that a spreadsheet would run as formulas."""
    header = [
        "Código de cliente",
        "Apellidos y nombres",
        "Número de crédito",
        "Producto",
        "Saldo deudor",
        "Fecha de vencimiento",
    ]
    body = [
        [
            "F-1",
            '=HYPERLINK(""http://example.com/pay"",""Pague aquí"")',
            "=1+1",
            "=cmd|' /C calc'!A0",
            "100,00",
            "31/08/2026",
        ],
        ["F-2", "+Ríos Ana", "+51-1", "+SUM(A1:A9)", "200,00", "31/08/2026"],
        ["F-3", "-Quispe Rosa", "-42", "-2+3", "300,00", "31/08/2026"],
        ["F-4", "@Muñoz José", "@A1", "@SUM(1,2)", "400,00", "31/08/2026"],
        ["F-5", '"\tTab, Eva"', '"\tREF-5"', '"\t=1+2"', "500,00", "31/08/2026"],
        ["F-6", '"\rCR, Luis"', '"\rREF-6"', '"\r=1+3"', "600,00", "31/08/2026"],
        ["F-7", "Rechazada, Fila", "REF-7", "=2+2", "=1+1", "31/08/2026"],  # balance refused
    ]
    lines = [
        ";".join(f'"{cell}"' if cell.startswith("=HYPERLINK") else cell for cell in row) for row in [header, *body]
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


FILES = {
    "xlsx-dimension-under-reported.xlsx": dimension_under_reported,
    "xlsx-huge-cell.xlsx": huge_cell,
    "csv-1mb-cell.csv": big_cell_csv,
    "csv-nul-bytes.csv": nul_csv,
    "csv-formulas.csv": formulas_csv,
}

if __name__ == "__main__":
    for name, make in FILES.items():
        (HERE / name).write_bytes(make())
        print(f"{name}: {(HERE / name).stat().st_size:,} bytes")
