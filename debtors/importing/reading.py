"""Reading a creditor's CSV: its encoding, its delimiter, its rows, and where its header is.

Files come from bank systems and from Excel on Windows: UTF-8 with or without a BOM, or
Windows-1252; commas, semicolons (Excel's choice where the decimal separator is a comma),
tabs or pipes; a few title lines above the table. Rows are streamed, so a million-row file
costs the memory of one row.

The caps on what a file may hold are in `limits`; an .xlsx is read by `xlsx`, after
`xlsx_guard` has checked it. Their names are re-exported here, where the importer finds
everything it reads a file with.
"""

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _

from debtors.importing.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROW_CHARS,
    SHOWN_CHARS,
    RefusedRow,
    _n,
    check_row,
    clip,
)
from debtors.importing.mapping import contains_words, known_header_spellings, normalise_header
from debtors.importing.values import ValueProblem
from debtors.importing.xlsx import (
    MAX_CALAMINE_CELLS,
    XLS_MAGIC,
    XLSX_MAGIC,
    CalamineXlsxRows,
    XlsxRows,
    is_old_xls,
    is_xlsx,
    open_xlsx,
    xlsx_cell_text,
)
from debtors.importing.xlsx_guard import (
    MAX_OTHER_PART_BYTES,
    MAX_ROW_XML_BYTES,
    MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_SHEET_XML_BYTES,
    MAX_XML_TEXT_BYTES,
)

__all__ = [
    "CP1252",
    "DELIMITERS",
    "HEADER_SEARCH_ROWS",
    "LATIN1",
    "MAX_CALAMINE_CELLS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_OTHER_PART_BYTES",
    "MAX_ROW_CHARS",
    "MAX_ROW_XML_BYTES",
    "MAX_SHARED_STRINGS",
    "MAX_SHARED_STRINGS_BYTES",
    "MAX_SHEET_XML_BYTES",
    "MAX_XML_TEXT_BYTES",
    "SHOWN_CHARS",
    "SNIFF_BYTES",
    "SNIFF_ROWS",
    "UTF8",
    "UTF8_SIG",
    "XLSX_MAGIC",
    "XLS_MAGIC",
    "CalamineXlsxRows",
    "CsvFormat",
    "RefusedRow",
    "XlsxRows",
    "check_row",
    "clip",
    "count_csv_records",
    "find_header",
    "is_old_xls",
    "is_xlsx",
    "iter_csv_rows",
    "open_xlsx",
    "sniff_csv",
    "xlsx_cell_text",
]

UTF8_SIG = "utf-8-sig"
UTF8 = "utf-8"
CP1252 = "cp1252"
LATIN1 = "latin-1"

DELIMITERS = (",", ";", "\t", "|")
# What sniffing reads: enough for the encoding to show and for the delimiter to be clear.
SNIFF_BYTES = 256 * 1024
SNIFF_ROWS = 50
HEADER_SEARCH_ROWS = 30

# The csv module refuses fields over 131,072 characters by raising mid-file; rows are bounded
# by MAX_ROW_CHARS before the csv module sees them, so its own limit only needs to be above.
csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW_CHARS + 1))


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
