"""Reading a creditor's CSV: its encoding, its delimiter, its rows, and where its header is.

Files come from bank systems and from Excel on Windows: UTF-8 with or without a BOM, or
Windows-1252; commas, semicolons (Excel's choice where the decimal separator is a comma),
tabs or pipes; a few title lines above the table. Rows are streamed, so a million-row file
costs the memory of one row.
"""

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import BinaryIO
from zlib import error as zlib_error

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from debtors.importing.mapping import contains_words, known_header_spellings, normalise_header
from debtors.importing.values import ValueProblem

UTF8_SIG = "utf-8-sig"
UTF8 = "utf-8"
CP1252 = "cp1252"
LATIN1 = "latin-1"

DELIMITERS = (",", ";", "\t", "|")
# What sniffing reads: enough for the encoding to show and for the delimiter to be clear.
SNIFF_BYTES = 256 * 1024
SNIFF_ROWS = 50
HEADER_SEARCH_ROWS = 30

# Caps on what one file may hold, so that a small hostile file cannot exhaust the server (a
# 409 KB workbook holding one 400 MB cell once took a web process to 4.1 GB). Each is far
# above what a creditor's file needs; each refusal says which cap and whether the row or the
# whole file was refused.
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_ROW_CHARS = 1 << 20  # a row of 1,048,576 characters: thirty full Excel cells
MAX_COLUMNS = 1_000
# How much of a refused value a report or a page shows.
SHOWN_CHARS = 200
# The csv module refuses fields over 131,072 characters by raising mid-file; rows are bounded
# by MAX_ROW_CHARS before the csv module sees them, so its own limit only needs to be above.
csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW_CHARS + 1))


def _n(value: int) -> str:
    """A count for a message, grouped as the reader's language writes it (1,048,576)."""
    return number_format(value, force_grouping=True)


def clip(value: str, limit: int = SHOWN_CHARS) -> str:
    """A value short enough for a page or a report: its start and an ellipsis."""
    return value if len(value) <= limit else value[:limit] + "…"


class RefusedRow(list):
    """A record that is not read: its cells (each cut at MAX_CELL_CHARS) and the problem.
    `column` is the index of the cell at fault, or None when the whole row is (too long, too wide)."""

    def __init__(self, cells, problem: ValueProblem, column: int | None = None):
        super().__init__(clip(cell, MAX_CELL_CHARS) for cell in cells[:MAX_COLUMNS])
        self.problem = problem
        self.column = column


def check_row(cells: list[str]) -> list[str]:
    """The record as it is, or a RefusedRow saying which cap it breaks.

    Trailing empty cells beyond MAX_COLUMNS (Excel's ";;;;") are dropped; a filled one there
    refuses the row, as does a cell over MAX_CELL_CHARS, a row over MAX_ROW_CHARS in all, or
    a NUL character (no text holds one, and PostgreSQL cannot store it).
    """
    # Nearly every row is short: three C-level passes settle it (1.0 µs a row against 1.8 µs
    # for the cell-by-cell loop, which then only names the cell at fault).
    if len(cells) <= MAX_COLUMNS and sum(map(len, cells)) <= MAX_CELL_CHARS and "\x00" not in "".join(cells):
        return cells
    if len(cells) > MAX_COLUMNS:
        if any(cell.strip() for cell in cells[MAX_COLUMNS:]):
            return RefusedRow(
                cells,
                ValueProblem(
                    "too_wide",
                    _("The row has more than %(limit)s columns; the row was refused."),
                    {"limit": _n(MAX_COLUMNS)},
                ),
            )
        cells = cells[:MAX_COLUMNS]
    total = 0
    for index, cell in enumerate(cells):
        length = len(cell)
        total += length
        if length > MAX_CELL_CHARS:
            return RefusedRow(
                cells,
                ValueProblem(
                    "cell_too_long",
                    _(
                        "The cell holds %(length)s characters, more than Excel's own limit of %(limit)s; the row was refused."
                    ),
                    {"length": _n(length), "limit": _n(MAX_CELL_CHARS)},
                ),
                index,
            )
        if "\x00" in cell:
            return RefusedRow(
                cells,
                ValueProblem(
                    "nul",
                    _("The cell holds a NUL character, which no text holds (a damaged file?); the row was refused."),
                ),
                index,
            )
    if total > MAX_ROW_CHARS:
        return RefusedRow(
            cells,
            ValueProblem(
                "row_too_long",
                _("The row holds more than %(limit)s characters; the row was refused."),
                {"limit": _n(MAX_ROW_CHARS)},
            ),
        )
    return cells


# UTF-8 read as Windows-1252: "Ã±" for "ñ", "Ã©" for "é", "Ã‘" for "Ñ", "â€œ" for "“".
_MOJIBAKE = re.compile("[ÂÃ][\u00a0-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|â€[\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str
    # "replace" when the file is UTF-8 with a few damaged bytes: they become "\ufffd".
    errors: str = "strict"
    # The text decodes, but looks like UTF-8 that was already decoded wrongly once ("MuÃ±oz").
    suspected_mojibake: bool = False


def sniff_csv(raw: bytes) -> CsvFormat:
    """Decide a CSV's encoding and delimiter from its first bytes (up to SNIFF_BYTES are read).

    1. A UTF-8 BOM settles the encoding. Otherwise try UTF-8, then Windows-1252, then
       Latin-1 (which decodes anything; Windows-1252 leaves five bytes undefined).
    2. Windows-1252 decodes almost anything, so check its text for mojibake: "Ã±" means the
       file is UTF-8 with a few damaged bytes, read best as UTF-8 with replacement.
    3. For the delimiter, parse the first SNIFF_ROWS records with each candidate (the csv
       module honours quotes, so "Pérez; Ana" in quotes is one field). The winner splits
       the most rows into the same number of fields (more than one); more fields break ties.
    """
    sample = raw[:SNIFF_BYTES]
    encoding, errors, text = _decide_encoding(sample)
    if len(raw) > len(sample):
        # The sample ends mid-record; its last line would mislead the delimiter count.
        text = text[: text.rfind("\n") + 1] or text
    return CsvFormat(
        encoding=encoding,
        delimiter=_decide_delimiter(text),
        errors=errors,
        suspected_mojibake=encoding != CP1252 and _MOJIBAKE.search(text) is not None,
    )


def _decide_encoding(sample: bytes) -> tuple[str, str, str]:
    if sample.startswith(codecs.BOM_UTF8):
        return UTF8_SIG, "strict", sample[len(codecs.BOM_UTF8) :].decode(UTF8, errors="replace")
    try:
        # Incremental, so that a sample cut inside a multi-byte character still decodes.
        return UTF8, "strict", codecs.getincrementaldecoder(UTF8)().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    try:
        text = sample.decode(CP1252)
    except UnicodeDecodeError:
        return LATIN1, "strict", sample.decode(LATIN1)
    if _MOJIBAKE.search(text):
        return UTF8, "replace", sample.decode(UTF8, errors="replace")
    return CP1252, "strict", text


def _decide_delimiter(text: str) -> str:
    best_delimiter, best_score = DELIMITERS[0], (0, 0)
    for delimiter in DELIMITERS:
        widths = _record_widths(text, delimiter)
        split_rows = Counter(width for width in widths if width > 1)
        if not split_rows:
            continue
        width, rows = max(split_rows.items(), key=lambda item: (item[1], item[0]))
        if (rows, width) > best_score:
            best_delimiter, best_score = delimiter, (rows, width)
    return best_delimiter


def _record_widths(text: str, delimiter: str) -> list[int]:
    """The widths of the sample's first SNIFF_ROWS non-blank records under one delimiter.

    newline="" lets the csv module see line ends as they are, as iter_csv_rows does, so a CR
    inside a quoted cell stays in its cell. Under a wrong delimiter that CR can land in an
    unquoted field and the csv module raises: that record counts for nothing, the next one
    is read (the reader starts afresh after an error).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    widths = []
    for _attempt in range(SNIFF_ROWS * 2):
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            continue
        if any(row):
            widths.append(len(row))
            if len(widths) == SNIFF_ROWS:
                break
    return widths


class _RecordTooLong(Exception):
    pass


class _BoundedLines:
    """The text's lines for csv.reader, never more than MAX_ROW_CHARS for one record.

    A longer record would be held whole in memory by the csv module (and refused by it past
    131,072 characters per field, ending the file). Here its line is read to its end in small
    pieces and dropped, and _RecordTooLong raised: csv.reader passes it on and starts afresh
    on the next line, so the rows after it are still read. The caller sets `record_chars` and
    `record_lines` back to 0 after each record.
    """

    def __init__(self, text: io.TextIOBase):
        self.text = text
        self.record_chars = 0
        self.record_lines = 0
        self.start = ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.text.readline(MAX_ROW_CHARS + 1 - self.record_chars)
        if not line:
            raise StopIteration
        if self.record_lines == 0:
            self.start = line[:SHOWN_CHARS]
        self.record_lines += 1
        self.record_chars += len(line)
        if self.record_chars > MAX_ROW_CHARS:
            while line and not line.endswith(("\n", "\r")):
                line = self.text.readline(1 << 16)
            raise _RecordTooLong
        return line


def iter_csv_rows(stream: BinaryIO, fmt: CsvFormat, *, skip_blank: bool = True) -> Iterator[list[str]]:
    """The file's records as lists of strings, read as they are needed.

    Blank records (empty lines, or ";;;;" lines Excel leaves below a table) are skipped
    unless `skip_blank` is False. A byte the encoding cannot read raises ValueProblem
    ("undecodable") with the record it was met in.
    """
    text = io.TextIOWrapper(stream, encoding=fmt.encoding, errors=fmt.errors, newline="")
    lines = _BoundedLines(text)
    reader = csv.reader(lines, delimiter=fmt.delimiter)
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except _RecordTooLong:
                if lines.record_lines > 1:
                    # Inside a quoted cell that spans lines, the next line is not the start
                    # of a record: reading on would make rows out of the cell's text.
                    raise ValueProblem(
                        "record_too_long",
                        _(
                            "The record that starts near line %(line)s holds more than %(limit)s characters "
                            "across several lines; the whole file was refused."
                        ),
                        {"line": reader.line_num - lines.record_lines + 2, "limit": _n(MAX_ROW_CHARS)},
                    ) from None
                row = RefusedRow(
                    [lines.start],
                    ValueProblem(
                        "row_too_long",
                        _("The row holds more than %(limit)s characters; the row was refused."),
                        {"limit": _n(MAX_ROW_CHARS)},
                    ),
                )
            lines.record_chars = lines.record_lines = 0
            if skip_blank and not any(map(str.strip, row)):
                continue
            yield row
    except UnicodeDecodeError:
        raise ValueProblem(
            "undecodable",
            _("The file stops being readable as %(encoding)s near line %(line)s."),
            {"encoding": fmt.encoding, "line": reader.line_num + 1},
        ) from None
    finally:
        # The wrapper would close the caller's stream when it is garbage-collected. When the
        # caller closed the stream first (a refused file), there is nothing left to protect.
        try:
            text.detach()
        except ValueError:
            pass


def find_header(rows: list[list[str]], known_headers: Iterable[str] | None = None) -> int:
    """The index of the header row among the first rows of a file.

    1. Score each non-blank row among the first HEADER_SEARCH_ROWS: two points for a cell
       that is a known header spelling, one for a cell that contains one ("Saldo deudor
       (S/)"). Title lines ("Cartera enviada por Banco X", "Fecha de corte: 31/10/2026")
       score little, data rows nothing or next to nothing.
    2. The best score wins; the earlier row on ties.
    3. With no known header anywhere, take the first row as wide as the widest row: title
       lines are a single cell, the header is as wide as the table.
    Raises ValueProblem("no_header") when every row is blank.
    """
    spellings = known_header_spellings() if known_headers is None else {normalise_header(h) for h in known_headers}
    spellings = {spelling for spelling in spellings if spelling}
    candidates = [
        (index, row) for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if any(cell.strip() for cell in row)
    ]
    if not candidates:
        raise ValueProblem(
            "no_header", _("No header row was found in the first %(count)s rows."), {"count": HEADER_SEARCH_ROWS}
        )
    best_index, best_score = None, 0
    for index, row in candidates:
        score = sum(_header_cell_score(normalise_header(cell), spellings) for cell in row)
        if score > best_score:
            best_index, best_score = index, score
    if best_index is not None:
        return best_index
    widest = max(_filled_cells(row) for _index, row in candidates)
    return next(index for index, row in candidates if _filled_cells(row) == widest)


def _header_cell_score(cell: str, spellings: set[str]) -> int:
    if not cell:
        return 0
    if cell in spellings:
        return 2
    return 1 if any(contains_words(cell, spelling) for spelling in spellings) else 0


def _filled_cells(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())


# --- Excel ---------------------------------------------------------------------------------

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


def count_csv_records(stream: BinaryIO) -> int:
    """Lines in a CSV, for the progress bar: a newline inside quotes makes it an estimate."""
    stream.seek(0)
    lines = 0
    last = b"\n"
    while chunk := stream.read(1 << 20):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    stream.seek(0)
    return lines + (last != b"\n")
