"""The file being loaded: a CSV or XLSX opened for streaming, its header and its mapping.

`SourceFile` is what the portfolio import, the payments import and the mapping page's
preview read a file with; `ImportFileError` is how any of them says a file cannot be read
at all. The reading itself (encodings, caps, Excel) is in `reading`.
"""

import csv
import itertools
import time
from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _

from debtors.importing.mapping import (
    FIELDS,
    PORTFOLIO,
    customer_key_field,
    missing_fields,
    resolve_mapping,
    suggest_mapping,
)
from debtors.importing.reading import (
    HEADER_SEARCH_ROWS,
    SNIFF_BYTES,
    RefusedRow,
    check_row,
    clip,
    count_csv_records,
    find_header,
    is_old_xls,
    is_xlsx,
    iter_csv_rows,
    open_xlsx,
    sniff_csv,
)
from debtors.importing.values import ValueProblem

HEADER_CHARS = 200


class ImportFileError(Exception):
    """The file cannot be read at all; `message` says why, for people."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class SourceFile:
    """A CSV or XLSX opened for streaming: its header, its column mapping, and its data rows.

    `rows()` yields (record number, cells); record numbers count from 1 at the file's
    first record, so the header of a file with two title lines is record 3 (for Excel, the
    row number Excel shows). `rows_total` estimates the records, for a progress bar.
    `mapping` is what was detected or given (field -> column); `columns` is what the rows
    are read with: in a portfolio file without a customer code, "external_id" reads the
    debtor's document, or failing that the account reference (customer_key_field).
    """

    def __init__(
        self, stream: BinaryIO, *, mapping=None, file_kind: str = PORTFOLIO, required: bool = False, deadline=None
    ):
        # A row refused by the caps (limits.check_row) goes to on_refused(number, cells,
        # column, value, reason), set by the caller; rows_read counts every non-blank data row met,
        # refused ones included. A `deadline` (time.monotonic()) ends the reading early, as
        # a page's preview needs: cut_short then says so.
        self.on_refused = None
        self.rows_read = 0
        self.cut_short = False
        self._deadline = deadline
        try:
            head = stream.read(SNIFF_BYTES)
        except OSError as error:
            raise ImportFileError(_("The file cannot be read: %(error)s") % {"error": error}) from None
        if not head or not head.strip():
            raise ImportFileError(_("The file is empty."))
        stream.seek(0)
        if is_xlsx(head):
            try:
                sheet = open_xlsx(stream, whole=deadline is None)
            except ValueProblem as problem:
                raise ImportFileError(str(problem)) from None
            self.rows_total = sheet.rows_total
            records = iter(sheet)
        elif is_old_xls(head):
            raise ImportFileError(
                _("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV and send it again.")
            )
        elif head.count(b"\x00") * 100 > len(head):
            # Binary data or UTF-16 is NULs all through; a few NULs in a text file refuse
            # only their rows (limits.check_row).
            raise ImportFileError(_("This is not a CSV file: it holds binary data."))
        else:
            fmt = sniff_csv(head)
            self.rows_total = count_csv_records(stream) if stream.seekable() else None
            records = iter_csv_rows(stream, fmt, skip_blank=False)
        self._source = records
        self._records = enumerate(records, start=1)
        try:
            self._find_columns(mapping, file_kind, required)
        except ImportFileError:
            self.close()
            raise

    def _find_columns(self, mapping, file_kind, required) -> None:
        first = list(itertools.islice(self._guarded(self._records), HEADER_SEARCH_ROWS))
        try:
            header_index = find_header([[] if isinstance(cells, RefusedRow) else cells for _number, cells in first])
            # A header is a few words; clipped, a hostile one cannot swell the mapping page.
            self.headers = [clip(cell.strip(), HEADER_CHARS) for cell in first[header_index][1]]
            self.mapping = (
                suggest_mapping(self.headers, file_kind=file_kind)
                if mapping is None
                else resolve_mapping(mapping, self.headers, file_kind=file_kind)
            )
        except ValueProblem as problem:
            raise ImportFileError(str(problem)) from None
        self.columns = dict(self.mapping)
        key = customer_key_field(self.mapping) if file_kind == PORTFOLIO else None
        if key is not None:
            self.columns["external_id"] = self.mapping[key]
        missing = missing_fields(self.mapping, file_kind) if required else []
        if missing:
            raise ImportFileError(
                _("No column was found for: %(fields)s. Columns in the file: %(headers)s.")
                % {
                    "fields": ", ".join(str(FIELDS[name].label) for name in missing),
                    "headers": ", ".join(h for h in self.headers if h) or "—",
                }
            )
        self.header_row = first[header_index][0]
        if self.rows_total is not None:
            self.rows_total = max(self.rows_total - self.header_row, 0)
        self._pending = first[header_index + 1 :]

    def _guarded(self, records) -> Iterator[tuple[int, list[str]]]:
        if self.cut_short:
            return
        try:
            for number, cells in records:
                yield number, check_row(cells)
                if self._deadline is not None and time.monotonic() > self._deadline:
                    self.cut_short = True
                    return
        except ValueProblem as problem:
            raise ImportFileError(str(problem)) from None
        except csv.Error as error:
            raise ImportFileError(_("The file cannot be read as CSV: %(error)s") % {"error": error}) from None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        for number, cells in itertools.chain(self._pending, self._guarded(self._records)):
            if "".join(cells).strip():  # blank lines (";;;;" below a table) are skipped
                self.rows_read += 1
                if isinstance(cells, RefusedRow):
                    self._refuse(number, cells)
                else:
                    yield number, cells

    def _refuse(self, number: int, row: RefusedRow) -> None:
        column = ""
        if row.column is not None:
            column = self.headers[row.column] if row.column < len(self.headers) else str(row.column + 1)
        value = row[row.column] if row.column is not None else next((cell for cell in row if cell.strip()), "")
        if self.on_refused is not None:
            self.on_refused(number, list(row), column, value, row.problem)

    def close(self) -> None:
        """Ends the reading now: the reader lets go of the stream while it is still open (left
        to the garbage collector, it would touch a stream its caller has closed)."""
        close = getattr(self._source, "close", None)
        if close is not None:
            close()

    def header_of(self, field_name: str) -> str:
        return self.headers[self.columns[field_name]]

    def cell(self, cells: list[str], field_name: str) -> str | None:
        column = self.columns.get(field_name)
        if column is None:
            return None
        return cells[column].strip() if column < len(cells) else ""


def open_import_file(file) -> tuple[BinaryIO, bool]:
    """A readable binary stream for `file` (an open file or a path) and whether it was opened
    here, and so is the caller's to close. A path that cannot be opened is an ImportFileError."""
    if hasattr(file, "read"):
        return file, False
    try:
        return open(file, "rb"), True
    except OSError as error:
        raise ImportFileError(_("The file cannot be opened: %(error)s") % {"error": error.strerror or error}) from None
