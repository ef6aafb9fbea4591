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
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import BinaryIO

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
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        widths = [len(row) for _index, row in zip(range(SNIFF_ROWS), reader) if any(row)]
        split_rows = Counter(width for width in widths if width > 1)
        if not split_rows:
            continue
        width, rows = max(split_rows.items(), key=lambda item: (item[1], item[0]))
        if (rows, width) > best_score:
            best_delimiter, best_score = delimiter, (rows, width)
    return best_delimiter


def iter_csv_rows(stream: BinaryIO, fmt: CsvFormat, *, skip_blank: bool = True) -> Iterator[list[str]]:
    """The file's records as lists of strings, read as they are needed.

    Blank records (empty lines, or ";;;;" lines Excel leaves below a table) are skipped
    unless `skip_blank` is False. A byte the encoding cannot read raises ValueProblem
    ("undecodable") with the record it was met in.
    """
    text = io.TextIOWrapper(stream, encoding=fmt.encoding, errors=fmt.errors, newline="")
    reader = csv.reader(text, delimiter=fmt.delimiter)
    try:
        for row in reader:
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
        # The wrapper would close the caller's stream when it is garbage-collected.
        text.detach()


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


class XlsxRows:
    """An .xlsx file's first worksheet, row by row, as lists of strings.

    openpyxl's read-only mode parses the sheet's XML as it goes, so memory stays flat however
    long the sheet is (python-calamine is ten times faster but holds the whole sheet in
    memory: ≈240 MB at 100,000 rows; see PERF-NOTES). Row numbers are Excel's: empty rows
    in between are yielded as empty lists, so a rejected row's number is the one Excel shows.
    """

    def __init__(self, stream: BinaryIO):
        import zipfile

        from openpyxl import load_workbook

        try:
            self.workbook = load_workbook(stream, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise ValueProblem("bad_xlsx", _("The Excel file cannot be opened: %(error)s"), {"error": error}) from None
        sheets = [sheet for sheet in self.workbook.worksheets if getattr(sheet, "max_row", None) != 0]
        if not sheets:
            raise ValueProblem("empty", _("The file is empty."))
        self.sheet = sheets[0]

    @property
    def rows_total(self) -> int | None:
        try:
            return self.sheet.max_row
        except Exception:  # a sheet without its dimension tag: openpyxl cannot tell
            return None

    def __iter__(self) -> Iterator[list[str]]:
        try:
            for values in self.sheet.iter_rows(values_only=True):
                yield [xlsx_cell_text(value) for value in values]
        finally:
            self.workbook.close()


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
