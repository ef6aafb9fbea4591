"""Reading an .xlsx: its first worksheet, row by row, as the text a person would have typed.

Two readers: python-calamine (`CalamineXlsxRows`, ten times as fast, holds the sheet in
memory) for an import, openpyxl (`XlsxRows`, streamed) for a preview and for sheets too big
for calamine; `open_xlsx` chooses. Both read the file only after `xlsx_guard` has checked it.
"""

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import BinaryIO
from zlib import error as zlib_error

from django.utils.translation import gettext_lazy as _

from debtors.importing.limits import _n
from debtors.importing.values import ValueProblem
from debtors.importing.xlsx_guard import _check_xlsx_parts, _is_shared_strings, _SharedStrings, _XmlGuard

XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (an OLE compound file)


def is_xlsx(head: bytes) -> bool:
    return head.startswith(XLSX_MAGIC)


def is_old_xls(head: bytes) -> bool:
    return head.startswith(XLS_MAGIC)


def xlsx_cell_text(value) -> str:
    """One Excel cell as the text a person would have typed into a CSV.

    Numbers stored as numbers keep every digit and gain no ".0": a phone 987654321 or an
    id 20231234 saved as a number comes back "987654321", not "987654321.0" nor "9.87E+08".
    Real date cells (openpyxl turns them into datetimes) come back as ISO dates, which
    parse_date reads whatever the portfolio's country.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        # Binary floats print as 1234.5600000000002; Excel itself shows 15 significant digits.
        text = format(float(f"{value:.15g}"), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _load_workbook(stream: BinaryIO):
    """openpyxl's load_workbook(read_only=True, data_only=True), with the shared texts read lazily."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class Reader(ExcelReader):
        def read_strings(self):
            found = self.package.find(SHARED_STRINGS)
            if found is not None:
                self.shared_strings = _SharedStrings(self.archive, found.PartName[1:])

    reader = Reader(stream, read_only=True, data_only=True)
    reader.read()
    return reader.wb


class XlsxRows:
    """An .xlsx file's first worksheet, row by row, as lists of strings.

    openpyxl's read-only mode parses the sheet's XML as it goes, so memory stays flat however
    long the sheet is, and the first rows come at once: it reads the mapping preview and sheets
    past MAX_CALAMINE_CELLS (open_xlsx; CalamineXlsxRows, ten times as fast, reads the rest). Row numbers are Excel's: empty rows in between are
    yielded as empty lists, so a rejected row's number is the one Excel shows.

    Every row is read whatever the sheet's <dimension> tag says: other tools write it wrong,
    and openpyxl stops at the rows and columns it claims. After the last row, the rows read
    are checked against the row tags in the sheet's XML; a difference ends the read.
    """

    def __init__(self, stream: BinaryIO):
        _check_xlsx_parts(stream)
        try:
            self.workbook = _load_workbook(stream)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise ValueProblem("bad_xlsx", _("The Excel file cannot be opened: %(error)s"), {"error": error}) from None
        sheets = [sheet for sheet in self.workbook.worksheets if getattr(sheet, "max_row", None) != 0]
        if not sheets:
            raise ValueProblem("empty", _("The file is empty."))
        self.sheet = sheets[0]
        # What the tag claims stays as the progress bar's estimate, nothing more.
        try:
            self.rows_total = self.sheet.max_row
        except Exception:  # a sheet without its dimension tag: openpyxl cannot tell
            self.rows_total = None
        self.sheet.reset_dimensions()

    def __iter__(self) -> Iterator[list[str]]:
        from openpyxl.worksheet._reader import WorkSheetParser

        workbook, sheet = self.workbook, self.sheet
        try:
            guard = _XmlGuard(workbook._archive.open(sheet._worksheet_path), sheet._worksheet_path, sheet=True)
            parser = WorkSheetParser(
                guard,
                sheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            # openpyxl's own iter_rows drops a row whose number is not above the last one's;
            # here such a row is read as the next row.
            number, parsed = 0, 0
            for index, cells in parser.parse():
                parsed += 1
                while number + 1 < index:
                    number += 1
                    yield []
                number += 1
                if not cells:
                    yield []
                    continue
                values = [""] * max(cell["column"] for cell in cells)
                for cell in cells:
                    values[cell["column"] - 1] = xlsx_cell_text(cell["value"])
                yield values
            guard.read()  # the last bytes, and their row tags
            if parsed != guard.rows:
                raise _rows_lost(guard.rows, parsed)
        except (
            zipfile.BadZipFile,
            EOFError,
            zlib_error,
            SyntaxError,
            IndexError,
        ) as error:  # ParseError is a SyntaxError
            # A sheet damaged past its first rows: said as such, never an "unexpected error".
            raise ValueProblem("bad_xlsx", _("The Excel file cannot be opened: %(error)s"), {"error": error}) from None
        finally:
            workbook.close()


def _rows_lost(held: int, read: int) -> ValueProblem:
    return ValueProblem(
        "rows_lost",
        _("The Excel sheet holds %(held)s rows but %(read)s were read; the whole file was refused."),
        {"held": _n(held), "read": _n(read)},
    )


# A sheet of more cells than this is read by openpyxl, streamed: python-calamine holds the
# whole sheet in memory (≈ 60 MB more than openpyxl for 100,000 rows of 8 cells, ≈ 75 bytes a
# cell), openpyxl one row. At this cap calamine adds at most ≈ 75 MB to an import.
MAX_CALAMINE_CELLS = 1_000_000


class _TooBigForCalamine(Exception):
    pass


def _worksheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, part) of each worksheet, in the workbook's order (chart sheets left out)."""
    from xml.etree.ElementTree import fromstring

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    targets = {}
    for node in fromstring(archive.read("xl/_rels/workbook.xml.rels")).iter():
        if local(node.tag) == "Relationship" and node.get("Type", "").endswith("/worksheet"):
            target = node.get("Target", "")
            targets[node.get("Id")] = target[1:] if target.startswith("/") else f"xl/{target}"
    sheets = []
    for node in fromstring(archive.read("xl/workbook.xml")).iter():
        if local(node.tag) == "sheet":
            rel = next((value for key, value in node.attrib.items() if local(key) == "id"), None)
            if rel in targets:
                sheets.append((node.get("name", ""), targets[rel]))
    return sheets


def _calamine_cell_text(value) -> str:
    """xlsx_cell_text, its commonest cases first: calamine gives every number as a float and a
    date cell at midnight as a date."""
    kind = type(value)
    if kind is float and value.is_integer() and -1e17 < value < 1e17:
        return str(int(value))
    if kind is date:
        return value.isoformat()
    return xlsx_cell_text(value)


class CalamineXlsxRows:
    """An .xlsx file's first worksheet, row by row, as lists of strings, read by python-calamine.

    Rust's calamine reads a sheet about ten times as fast as openpyxl, but holds all of it
    (and all the shared texts) in memory once opened. So, before it opens the file:
    1. every zip part is checked against its cap, the small parts read through the guard
       (_check_xlsx_parts), as for openpyxl;
    2. the sheet's XML and the shared texts are read once through the guard, unpacked in
       64 KB pieces and never held: a hostile cell, row or count of texts refuses the file
       here, and the sheet's row tags are counted;
    3. calamine reads the sheet. It places cells by their own addresses, whatever the
       <dimension> tag says; empty rows in between come back as empty lists, so row numbers
       are Excel's, as with openpyxl.
    """

    def __init__(self, stream: BinaryIO):
        from python_calamine import CalamineError, CalamineWorkbook

        self.workbook = self.sheet = None
        _check_xlsx_parts(stream)
        try:
            with zipfile.ZipFile(stream) as archive:
                sheets = _worksheet_parts(archive)
                if not sheets:
                    raise ValueProblem("empty", _("The file is empty."))
                name, part = sheets[0]
                guard = _XmlGuard(archive.open(part), part, sheet=True)
                guard.drain()
                texts = next((info.filename for info in archive.infolist() if _is_shared_strings(info.filename)), None)
                if texts is not None:
                    _XmlGuard(archive.open(texts), texts, sheet=False, texts=True).drain()
            if guard.cells > MAX_CALAMINE_CELLS:
                raise _TooBigForCalamine
            if guard.own_rows != guard.rows:
                # A row tag outside the sheet's namespace: openpyxl skipped such rows, calamine
                # reads them by their local name. Either way the file is not what it says.
                raise _rows_lost(guard.rows, guard.own_rows)
            stream.seek(0)
            self.workbook = CalamineWorkbook.from_filelike(stream)
            self.sheet = self.workbook.get_sheet_by_name(name)
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib_error, SyntaxError, CalamineError) as error:
            raise ValueProblem("bad_xlsx", _("The Excel file cannot be opened: %(error)s"), {"error": error}) from None
        end = self.sheet.end
        self.rows_total = None if end is None else end[0] + 1
        self._first_column = 0 if end is None else self.sheet.start[1]

    def __iter__(self) -> Iterator[list[str]]:
        if self.rows_total is None:
            return
        # iter_rows counts rows from the sheet's row 1 but columns from the first one in use.
        pad = [""] * self._first_column
        try:
            for cells in self.sheet.iter_rows():
                values = [value if type(value) is str else _calamine_cell_text(value) for value in cells]
                while values and not values[-1]:
                    values.pop()
                yield pad + values if pad and values else values
        finally:
            self.close()

    def close(self) -> None:
        if self.workbook is not None:
            self.workbook.close()
            self.workbook = self.sheet = None


def open_xlsx(stream: BinaryIO, *, whole: bool) -> "XlsxRows | CalamineXlsxRows":
    """The reader for an .xlsx: python-calamine when the whole sheet is read (an import),
    openpyxl where calamine cannot serve:
    - a preview needs only the first rows within a time bound, and calamine parses the whole
      sheet before it returns one row (and cannot be stopped), where openpyxl streams;
    - a sheet of more than MAX_CALAMINE_CELLS cells, which calamine would all hold in
      memory, where openpyxl's memory stays flat.
    """
    if whole:
        try:
            return CalamineXlsxRows(stream)
        except _TooBigForCalamine:
            stream.seek(0)
    return XlsxRows(stream)
