"""The checks that stop a hostile .xlsx before it is held in memory.

An .xlsx is a zip of XML parts: a 409 KB workbook once unpacked to 400 MB. Before a reader
opens it, every part's declared size is checked against its cap (`_check_xlsx_parts`); while
a part is parsed, `_XmlGuard` stops a cell, a row or a count of texts past its cap, and counts
the row tags so the rows read can be checked against them. `_SharedStrings` parses the shared
texts only as far as the rows read need them, through the guard. The readers are in `xlsx`.
"""

import re
import zipfile
from typing import BinaryIO
from zlib import error as zlib_error

from django.utils.translation import gettext_lazy as _

from debtors.importing.limits import MAX_CELL_CHARS, MAX_ROW_CHARS, _n, clip
from debtors.importing.values import ValueProblem

# Uncompressed sizes the parts of an .xlsx may declare; zip checks what it unpacks against
# them, so they bound what a zip bomb can unpack (409 KB once unpacked to 400 MB).
MAX_SHEET_XML_BYTES = 1 << 30  # a sheet at Excel's row limit with 15 columns takes ≈ 700 MB
MAX_SHARED_STRINGS_BYTES = 100 << 20  # openpyxl reads the shared texts whole, even read-only
MAX_OTHER_PART_BYTES = 32 << 20  # styles, workbook, relations, pictures
# The longest run of XML between two "<": a cell within MAX_CELL_CHARS takes at most ≈ 330 KB
# (32,767 characters written as "&#x1F600;"), so a longer run is a cell over the cap.
MAX_XML_TEXT_BYTES = MAX_ROW_CHARS
# One row element of the sheet (and what follows the last one) in XML.
MAX_ROW_XML_BYTES = 16 << 20
# Distinct texts of a workbook: three text columns of a sheet at Excel's row limit.
MAX_SHARED_STRINGS = 3_000_000

_ROW_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?row[\s/>]")
_SHEET_DATA_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")
_TEXT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_LONG_TEXT = re.compile(rb"(?<![^<])[^<]{%d}" % (MAX_XML_TEXT_BYTES + 1))


def _too_big(part: str, size: int, limit: int) -> ValueProblem:
    return ValueProblem(
        "xlsx_too_big",
        _(
            "The Excel file unpacks to more than is read safely: its part “%(part)s” takes %(size)s MB, "
            "at most %(limit)s MB are read. The whole file was refused; save the sheet as CSV (UTF-8) and send it again."
        ),
        {"part": clip(part, 100), "size": _n(-(-size // (1 << 20))), "limit": _n(limit >> 20)},
    )


def _too_many_texts() -> ValueProblem:
    return ValueProblem(
        "xlsx_too_many_texts",
        _(
            "The Excel file holds more than %(limit)s distinct texts; the whole file was refused. "
            "Save the sheet as CSV (UTF-8) and send it again."
        ),
        {"limit": _n(MAX_SHARED_STRINGS)},
    )


def _long_text(part: str) -> ValueProblem:
    return ValueProblem(
        "xlsx_cell_too_long",
        _(
            "The Excel file holds a cell of more than %(limit)s characters (part “%(part)s”), beyond Excel's own limit "
            "of %(cell)s. The whole file was refused."
        ),
        {"limit": _n(MAX_XML_TEXT_BYTES), "part": clip(part, 100), "cell": _n(MAX_CELL_CHARS)},
    )


class _XmlGuard:
    """A part of the .xlsx as openpyxl's parser reads it, checked on the way.

    The parser reads 16 KB at a time; a run of text longer than MAX_XML_TEXT_BYTES (one
    hostile cell) or a row longer than MAX_ROW_XML_BYTES stops it before the text is held in
    memory. It also counts the row tags, so that the rows read can be checked against the
    rows the sheet holds.
    """

    def __init__(self, raw: BinaryIO, part: str, *, sheet: bool, texts: bool = False):
        self.raw = raw
        self.part = part
        self.sheet = sheet
        self.tail = b""  # from the last "<" read: a tag or a text not finished yet
        self.rows = 0
        self.since_row = 0
        # Row tags in the sheet data's own namespace prefix, which a namespace-aware reader reads.
        self.own_prefix = None
        self.own_rows = 0
        self.cells = 0
        # Counted when `texts`: the shared texts (<si> elements), refused past MAX_SHARED_STRINGS.
        self.texts = 0 if texts else None

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size and size > 0 else 1 << 16)
        buffer = self.tail + data
        cut = buffer.rfind(b"<") if data else len(buffer)
        if cut == -1:
            cut = 0
        body, self.tail = buffer[:cut], buffer[cut:]
        # A run of text in the body is no longer than the body: only a long buffer needs the search.
        if len(self.tail) > MAX_XML_TEXT_BYTES or (len(buffer) > MAX_XML_TEXT_BYTES and _LONG_TEXT.search(body)):
            raise _long_text(self.part)
        if self.texts is not None:
            self.texts += len(_TEXT_TAG.findall(body))
            if self.texts > MAX_SHARED_STRINGS:
                raise _too_many_texts()
        if self.sheet:
            if self.own_prefix is None and (data_tag := _SHEET_DATA_TAG.search(body)):
                self.own_prefix = data_tag.group(1) or b""
            # Counting bytes is several times as fast as the expression; it serves when every
            # row tag here is a plain "<row " (no prefix, no line break, no <rowBreaks>).
            plain = body.count(b"<row ")
            if b":row" not in body and body.count(b"<row") == plain:
                self.rows += plain
                if self.own_prefix == b"":
                    self.own_rows += plain
                start = body.rfind(b"<row ")
                self.cells += body.count(b"<c ")
            else:
                start = -1
                for tag in _ROW_TAG.finditer(body):
                    self.rows += 1
                    if (tag.group(1) or b"") == self.own_prefix:
                        self.own_rows += 1
                    start = tag.start()
                self.cells += len(_CELL_TAG.findall(body))
            self.since_row = len(body) - start if start >= 0 else self.since_row + len(body)
            if self.since_row > MAX_ROW_XML_BYTES:
                raise ValueProblem(
                    "xlsx_row_too_big",
                    _("A row of the Excel sheet takes more than %(limit)s MB; the whole file was refused."),
                    {"limit": _n(MAX_ROW_XML_BYTES >> 20)},
                )
        return data

    def drain(self) -> None:
        while self.read(1 << 16):
            pass

    def close(self) -> None:
        self.raw.close()


def _is_shared_strings(name: str) -> bool:
    return name.lower().endswith("sharedstrings.xml")


class _SharedStrings:
    """A workbook's shared texts, parsed only as far as the rows read so far need them.

    openpyxl parses them all when it opens a workbook, even in read-only mode: a 251 KB file
    holding 100 MB of one-letter texts kept the mapping preview 167 s at 630 MB. Excel numbers
    the texts in the order the sheet first uses them, so a preview's first rows need the
    first few; an import reads them along with the rows. The guard checks them as they come.
    """

    def __init__(self, archive: zipfile.ZipFile, path: str):
        from xml.etree.ElementTree import iterparse

        from openpyxl.xml.constants import SHEET_MAIN_NS

        self._tag = f"{{{SHEET_MAIN_NS}}}si"
        self._path = path
        self._events = iterparse(_XmlGuard(archive.open(path), path, sheet=False), events=("start", "end"))
        self._root = None
        self._texts: list[str] = []

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        while index >= len(self._texts):
            if not self._read_one():
                raise IndexError(index)
        return self._texts[index]

    def _read_one(self) -> bool:
        from openpyxl.cell.text import Text

        for event, node in self._events:
            if self._root is None:
                self._root = node
            if event == "end" and node.tag == self._tag:
                # As openpyxl reads them: rich-text runs joined, its "_x005F_" escape undone.
                self._texts.append(Text.from_tree(node).content.replace("x005F_", ""))
                self._root.clear()  # parsed texts are kept as str only, not as elements
                if len(self._texts) > MAX_SHARED_STRINGS:
                    raise _too_many_texts()
                return True
        return False


def _check_xlsx_parts(stream: BinaryIO) -> None:
    """Before openpyxl opens the file: every part within its cap, and the parts openpyxl reads
    whole (shared texts, styles, the workbook) free of an over-long text."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ValueProblem("bad_xlsx", _("The Excel file cannot be opened: %(error)s"), {"error": error}) from None
    with archive:
        for info in archive.infolist():
            name = info.filename
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                limit = MAX_SHEET_XML_BYTES
            elif _is_shared_strings(name):
                limit = MAX_SHARED_STRINGS_BYTES
            else:
                limit = MAX_OTHER_PART_BYTES
            if info.file_size > limit:
                raise _too_big(name, info.file_size, limit)
        for info in archive.infolist():
            name = info.filename
            # The sheets and the shared texts are checked as they are parsed (_XmlGuard, _SharedStrings).
            if (
                name.endswith((".xml", ".rels"))
                and not name.startswith("xl/worksheets/")
                and not _is_shared_strings(name)
            ):
                try:
                    with archive.open(info) as part:
                        _XmlGuard(part, name, sheet=False).drain()
                except (zipfile.BadZipFile, OSError, EOFError, zlib_error) as error:
                    raise ValueProblem(
                        "bad_xlsx", _("The Excel file cannot be opened: %(error)s"), {"error": error}
                    ) from None
    stream.seek(0)
