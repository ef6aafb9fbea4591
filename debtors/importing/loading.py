"""Loading a creditor's portfolio file into the database: the reading and checking half.

`portfolio_import` is the service a management command, a Celery task or a web page calls.
Rows are streamed from the file (CSV or XLSX), checked cell by cell, and the valid ones
staged in batches of BATCH_SIZE (COPY on PostgreSQL); staging.py then merges them with a
fixed number of set-based statements, never one `save()` per row.

Decisions worth knowing:
- A row is keyed by (customer code, account reference); without an account reference the
  customer code is the account. A key seen earlier in the same file makes the later row
  rejected (the first one wins), so a file never creates a second debtor or debt.
  Several accounts of one customer are several rows with the same customer code.
- A balance that changes leaves a BalanceChange row with the old and the new balance.
- A debt that was recalled and comes back in a file is active again (recalled_on cleared).
- A customer's details (name, document, e-mail, zone) come from their first row in the file.
- Phones are only ever added; a number already on file is left as it is.
- The rejected-rows report is written for a dry run too: it is how a file is checked.
- A file loaded again costs little for its unchanged rows: each debt keeps the hash of the
  row that last left it as it is (RowHasher, Debt.import_hash); a row whose hash is among the
  portfolio's valid ones is counted unchanged without being parsed or staged (only its key
  goes to the merge). Another mapping or portfolio setting makes other hashes; a debt
  written since (a payment, an edit by hand), its debtor written since, or a phone removed
  by hand makes the row be read and applied again.
- A file that turns unreadable half-way, or an import killed half-way, loads nothing. On
  PostgreSQL everything is written in one transaction, and the merge of chunk k runs in a
  thread while chunk k+1 is read and checked (staging.PipelinedMerge): Python and PostgreSQL
  work on the two cores at once. On SQLite (one writer) each chunk commits on its own, so the
  desk's writes run between chunks, and what an unfinished import wrote is undone (undo.py).
- A new portfolio (an unsaved Portfolio, see portfolio_get_or_create) is saved by the import
  with its first rows, so an import that loads nothing leaves no empty portfolio behind.
"""

import csv
import functools
import hashlib
import itertools
import logging
import operator
import threading
import time
import zoneinfo
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_crm.lib.downloads import SafeCsvWriter
from debtors.importing.mapping import (
    FIELDS,
    PHONE_FIELDS,
    PORTFOLIO,
    customer_key_field,
    missing_fields,
    report_own_columns,
    resolve_mapping,
    suggest_mapping,
)
from debtors.importing.phones import normalise_phone, split_phones
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
from debtors.importing.staging import PipelinedMerge, Staging, csv_text
from debtors.importing.undo import UndoLog
from debtors.importing.values import ValueProblem, decimal_style_of, parse_amount, parse_date
from debtors.markets import COUNTRY_DEFAULTS, CURRENCY_CHOICES
from debtors.models import Creditor, Portfolio
from debtors.services import IMPORT_STALLED_AFTER

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
# Rows merged at a time when the merge runs beside the reading (PostgreSQL): big enough that
# a chunk's fixed statements are a small part of its cost, small enough that two chunks'
# CSV text (being merged, being prepared) stays a few tens of MB.
CHUNK_ROWS = 50_000
# The first chunk and the last are smaller: the merge thread waits for the first one to be
# read, and the last one is merged after the reading has ended, each time on one core alone.
EDGE_CHUNK_ROWS = 10_000
HEADER_CHARS = 200
# SQLite: the least time between two of an import's write transactions. A writer waiting for
# the lock (a call being logged) polls it at most every 100 ms (SQLite's busy handler), so a
# gap this long always lets it in; reading a batch usually takes longer anyway.
WRITE_GAP_SECONDS = 0.1
_CURRENCIES = {code for code, _label in CURRENCY_CHOICES}
_DEBTOR_FIELDS = ("full_name", "national_id", "email", "time_zone")
# Part of every row hash (Debt.import_hash): raise it when the reading of a cell changes (a
# new date spelling, another phone rule), so that the next import reads every row again.
PARSING_VERSION = 1


class ImportFileError(Exception):
    """The file cannot be read at all; `message` says why, for people."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class RejectedCell:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    recalled: int = 0
    report_path: Path | None = None
    problems: list[RejectedCell] = field(default_factory=list)


class _Rollback(Exception):
    pass


# --- Reading -------------------------------------------------------------------------------


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
        # A row refused by the caps (reading.check_row) goes to on_refused(number, cells,
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
            # only their rows (reading.check_row).
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


def batches(iterable, size: int | None = None):
    size = size or BATCH_SIZE
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


# --- The rejected-rows report --------------------------------------------------------------


class RejectReport:
    """A CSV under MEDIA_ROOT/imports/ that can be corrected and loaded again.

    Its first two columns are its own (the row's number in the file, and why), headed in
    the active language, which is that of the person who started the import; then every
    column of the file under its original header, with the row's original cells. The
    importer ignores the two first columns, so the corrected report loads as the file did.
    `problems` keeps the first cells at fault, one by one, for a page to show.
    """

    def __init__(self, prefix: str, headers: list[str]):
        folder = Path(settings.MEDIA_ROOT) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        self.path = folder / f"{prefix}-{stamp}-rejected.csv"
        # A corrected report loaded again: its old row numbers and reasons give way to new ones.
        self.skip = report_own_columns(headers)
        self.width = len(headers)
        self.late_duplicates: list[tuple[int, str, int]] = []  # (row, key, first row): see _count
        self._file = self.path.open("w", encoding="utf-8-sig", newline="")
        self._writer = SafeCsvWriter(self._file)
        self._writer.writerow([str(_("Row")), str(_("Reason")), *headers[self.skip :]])
        self.problems: list[RejectedCell] = []

    def add(self, row: int, cells: list[str], problems, *, loaded: bool = False) -> None:
        """One line for the row: `problems` are (column header, value, reason) triples;
        `loaded` says the row was loaded without the cells at fault."""
        pattern = (
            _("%(column)s (left out; the rest of the row was loaded): %(reason)s")
            if loaded
            else _("%(column)s: %(reason)s")
        )
        reasons = []
        for column, value, reason in problems:
            reasons.append(str(pattern) % {"column": column, "reason": reason})
            if len(self.problems) < 1000:  # enough to show on a page; the file has them all
                self.problems.append(RejectedCell(row=row, column=column, value=value, reason=str(reason)))
        # Stripped as the importer reads them: "\n=1+2" becomes "=1+2", which the safe writer quotes.
        cells = [cell.strip() for cell in cells[self.skip : self.width]] + [""] * (
            self.width - max(len(cells), self.skip)
        )
        self._writer.writerow([row, " ".join(reasons), *cells])

    def close(self) -> None:
        self._file.close()


def unquote_cell(text: str) -> str:
    """A cell as it was before a report made it spreadsheet-safe ("'+51 987..." → "+51 987...")."""
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]
    return text


@functools.cache
def _time_zones() -> frozenset:
    return frozenset(zoneinfo.available_timezones())  # reads the zone files: once, not per row


# --- Parsing a row -------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    external_id: str
    account_reference: str
    debtor: dict
    debt: dict
    phones: list[str]
    cells: list[str]  # as read, for the report should the row turn out a duplicate
    # RowHasher's hash of the cells; None when a cell was left out (the row is read again
    # next time, so that its report line is written again).
    row_hash: int | None = None


class _Batch(list):
    """A batch of ParsedRow, with the keys (row, customer code, account) of the rows counted
    unchanged by their hash and not parsed."""

    skipped: list[tuple[int, str, str]] = []


class RowHasher:
    """A 64-bit hash of a row's mapped cells, as read, keyed by what else decides how they are
    read: the mapping, the portfolio's country, currency and zone, the decimal style learnt
    from the file, PARSING_VERSION.

    A debt keeps the hash of the row that last left it, its debtor and their phones as they
    are (staging, step 3). The same hash met again means the same cells read the same way:
    the row would change nothing, so it is counted unchanged without being parsed or
    staged (≈ 1 µs against ≈ 40 µs for parsing and staging it).
    """

    def __init__(self, source: SourceFile, portfolio: Portfolio, decimal_hints: dict):
        self.positions = sorted(set(source.columns.values()))
        self.width = self.positions[-1] + 1 if self.positions else 0
        # itemgetter of two or more positions gives a tuple; the required fields make four.
        self.pick = operator.itemgetter(*(self.positions * 2 if len(self.positions) == 1 else self.positions or [0, 0]))
        settings_text = "\x1f".join(
            [
                str(PARSING_VERSION),
                portfolio.country,
                portfolio.currency,
                portfolio.default_time_zone,
                repr(sorted(source.columns.items())),
                repr(sorted(decimal_hints.items())),
            ]
        )
        self.key = hashlib.blake2b(settings_text.encode(), digest_size=32).digest()

    def __call__(self, cells: list[str]) -> int:
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        text = "\x1f".join(self.pick(cells))
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8, key=self.key).digest()
        return int.from_bytes(digest, "big", signed=True)


def _known(hashes: array, row_hash: int) -> bool:
    index = bisect_left(hashes, row_hash)
    return index < len(hashes) and hashes[index] == row_hash


class _RowParser:
    """Checks one row's cells; written for a million rows: column positions are looked up
    once, cells read by index, and no closure is made per row."""

    def __init__(self, source: SourceFile, portfolio: Portfolio, report: RejectReport):
        self.source = source
        self.portfolio = portfolio
        self.report = report
        self.day_first = portfolio.country != "US"
        self.decimal_hints: dict[str, str | None] = {}
        columns = source.columns
        self.width = max(columns.values(), default=-1) + 1
        self.col = {
            name: columns.get(name)
            for name in (
                "external_id",
                "full_name",
                "first_name",
                "last_name",
                "balance",
                "due_date",
                "original_amount",
                "national_id",
                "email",
                "time_zone",
                "product",
                "currency",
                "account_reference",
            )
        }
        self.phone_cols = [(columns[name], source.header_of(name)) for name in PHONE_FIELDS if name in columns]
        self.names_in_one = "full_name" in columns
        self.hasher: RowHasher | None = None  # made when the decimal style is known
        # Hashes of the rows the portfolio's debts are in step with (Staging.known_row_hashes), sorted.
        self.known_hashes = array("q")

    def learn_decimal_style(self, rows) -> None:
        for name in ("balance", "original_amount"):
            samples = [unquote_cell(self.source.cell(cells, name) or "") for _number, cells in rows]
            self.decimal_hints[name] = decimal_style_of(samples) if name in self.source.columns else None
        self.hasher = RowHasher(self.source, self.portfolio, self.decimal_hints)

    def key_of(self, cells) -> tuple[str, str]:
        """(customer code, account) of a row that passed the checks once, as parse() reads them."""
        external_id = cells[self.col["external_id"]].strip()
        column = self.col["account_reference"]
        if column is None or column >= len(cells):
            return external_id, external_id
        return external_id, cells[column].strip()[:64] or external_id

    def _text(self, cells, name, limit, problems) -> str | None:
        value = cells[self.col[name]].strip()
        if not value:
            problems.append((self.source.header_of(name), value, ValueProblem("blank", _("The cell is empty."))))
            return None
        if len(value) > limit:
            problems.append(
                (
                    self.source.header_of(name),
                    value,
                    ValueProblem("too_long", _("The text is longer than %(limit)s characters."), {"limit": limit}),
                )
            )
            return None
        return value

    def parse(self, number: int, cells: list[str], row_hash: int | None = None) -> ParsedRow | None:
        """The row's values, or None after reporting why the row is rejected.

        `problems` reject the row; `left_out` are cells the row loads without (a phone
        that is no number, an unknown currency), reported on the row's one report line.
        """
        original = cells
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        col = self.col
        problems: list[tuple[str, str, object]] = []
        left_out: list[tuple[str, str, object]] = []

        external_id = self._text(cells, "external_id", 64, problems)
        if self.names_in_one:
            full_name = self._text(cells, "full_name", 200, problems)
        else:  # first and last names in two columns
            full_name = self._text(cells, "first_name", 200, problems)
            if full_name and col["last_name"] is not None and (last := cells[col["last_name"]].strip()):
                full_name = f"{full_name} {last}"[:200]
        balance_text = unquote_cell(cells[col["balance"]].strip())
        try:
            balance = parse_amount(balance_text, decimal_hint=self.decimal_hints.get("balance"))
            if balance < 0:
                raise ValueProblem("negative", _("The balance cannot be negative: “%(text)s”."), {"text": balance_text})
        except ValueProblem as problem:
            problems.append((self.source.header_of("balance"), balance_text, problem))
            balance = None
        due_text = cells[col["due_date"]].strip()
        try:
            due_date = parse_date(due_text, day_first=self.day_first)
        except ValueProblem as problem:
            problems.append((self.source.header_of("due_date"), due_text, problem))
            due_date = None

        original_amount = None
        if col["original_amount"] is not None and (text := unquote_cell(cells[col["original_amount"]].strip())):
            try:
                original_amount = parse_amount(text, decimal_hint=self.decimal_hints.get("original_amount"))
                if original_amount <= 0:
                    raise ValueProblem("not_positive", _("The original amount must be above zero."))
            except ValueProblem as problem:
                left_out.append((self.source.header_of("original_amount"), text, problem))
                original_amount = None
        if balance is not None and balance == 0 and original_amount is None:
            problems.append(
                (
                    self.source.header_of("balance"),
                    balance_text,
                    _("A debt with a zero balance needs its original amount."),
                )
            )
        if problems:
            self.report.add(number, original, problems + left_out)
            return None

        debtor = {"full_name": full_name}
        if col["national_id"] is not None:
            debtor["national_id"] = cells[col["national_id"]].strip()[:32]
        if col["email"] is not None:
            email = cells[col["email"]].strip()
            try:
                if email:
                    validate_email(email)
                debtor["email"] = email
            except ValidationError:
                left_out.append(
                    (self.source.header_of("email"), email, _("“%(text)s” is not an e-mail address.") % {"text": email})
                )
        if col["time_zone"] is not None and (time_zone := cells[col["time_zone"]].strip()):
            if time_zone in _time_zones():
                debtor["time_zone"] = time_zone
            else:
                left_out.append(
                    (
                        self.source.header_of("time_zone"),
                        time_zone,
                        _("“%(text)s” is not a time zone.") % {"text": time_zone},
                    )
                )

        debt = {"balance": balance, "due_date": due_date, "original_amount": original_amount}
        if col["product"] is not None:
            debt["product"] = cells[col["product"]].strip()[:100]
        currency = ""
        if col["currency"] is not None and (written := cells[col["currency"]].strip()):
            currency = written.upper()
            if currency not in _CURRENCIES:
                left_out.append(
                    (
                        self.source.header_of("currency"),
                        written,
                        _("“%(text)s” is not a currency we handle.") % {"text": written},
                    )
                )
                currency = ""
        debt["currency"] = currency or self.portfolio.currency

        account_reference = external_id
        if col["account_reference"] is not None:
            account_reference = cells[col["account_reference"]].strip()[:64] or external_id

        phones = []
        country = self.portfolio.country
        for column, header in self.phone_cols:
            text = unquote_cell(cells[column].strip())
            if not text:
                continue
            for piece in split_phones(text):
                try:
                    number_e164 = normalise_phone(piece, country)
                except ValueProblem as problem:
                    left_out.append((header, piece, problem))
                    continue
                if number_e164 not in phones:
                    phones.append(number_e164)
        if left_out:
            self.report.add(number, original, left_out, loaded=True)
            row_hash = None
        return ParsedRow(number, external_id, account_reference, debtor, debt, phones, original, row_hash)


# --- The service ---------------------------------------------------------------------------


def portfolio_get_or_create(
    *, portfolio: str, creditor: str, country: str, currency: str | None = None, save: bool = True
) -> Portfolio:
    """The creditor's portfolio by name, created with the country's defaults when new.

    With `save=False` a new portfolio (and a new creditor) is returned unsaved: give it to
    portfolio_import, which saves it with the first rows it writes."""
    country = country.upper()
    defaults = COUNTRY_DEFAULTS.get(country)
    if defaults is None:
        raise ValidationError(
            _("There are no defaults for the country “%(country)s”. Known: %(known)s.")
            % {"country": country, "known": ", ".join(COUNTRY_DEFAULTS)}
        )
    creditor_obj = Creditor.objects.filter(name=creditor.strip()).first() or Creditor(name=creditor.strip())
    portfolio_obj = None
    if creditor_obj.pk is not None:
        portfolio_obj = Portfolio.objects.filter(creditor=creditor_obj, name=portfolio.strip()).first()
    if portfolio_obj is None:
        portfolio_obj = Portfolio(
            creditor=creditor_obj,
            name=portfolio.strip(),
            country=country,
            currency=(currency or defaults["currency"]).upper(),
            default_time_zone=defaults["time_zone"],
            contact_policy_preset=defaults["preset"],
        )
        if save:
            _portfolio_save(portfolio_obj)
    return portfolio_obj


def _portfolio_save(portfolio: Portfolio, undo: UndoLog | None = None) -> None:
    """Save a new portfolio (and its new creditor); `undo` records them as the import's."""
    creditor = portfolio.creditor
    if creditor.pk is None:
        creditor, created = Creditor.objects.get_or_create(name=creditor.name)
        portfolio.creditor = creditor
        if created and undo is not None:
            undo.created("creditor", creditor.pk)
    stored, created = Portfolio.objects.get_or_create(
        creditor=creditor,
        name=portfolio.name,
        defaults={
            "country": portfolio.country,
            "currency": portfolio.currency,
            "default_time_zone": portfolio.default_time_zone,
            "contact_policy_preset": portfolio.contact_policy_preset,
        },
    )
    portfolio.pk = stored.pk
    portfolio._state.adding = False
    if created and undo is not None:
        undo.created("portfolio", stored.pk)


def open_import_file(file) -> tuple[BinaryIO, bool]:
    """A readable binary stream for `file` (an open file or a path) and whether it was opened
    here, and so is the caller's to close. A path that cannot be opened is an ImportFileError."""
    if hasattr(file, "read"):
        return file, False
    try:
        return open(file, "rb"), True
    except OSError as error:
        raise ImportFileError(_("The file cannot be opened: %(error)s") % {"error": error.strerror or error}) from None


def portfolio_import(
    *,
    file,
    portfolio: Portfolio,
    mapping=None,
    whole_portfolio: bool = False,
    dry_run: bool = False,
    today: date | None = None,
    progress=None,
) -> ImportResult:
    """Load a portfolio file (a path or a binary stream, CSV or XLSX) into `portfolio`.

    `mapping` is a saved mapping ({"field": "header"}, or its JSON text); without it the
    columns are guessed with suggest_mapping. `whole_portfolio` says the file is the whole
    portfolio: debts of debtors absent from it are marked recalled today (nothing is
    deleted). `dry_run` does everything, counts, writes the report, and rolls back.
    `progress`, if given, is called as progress(rows_done, rows_total_or_None) while the
    file is read. Raises ImportFileError when the file cannot be read at all.

    A file that turns unreadable half-way, or an import that stops half-way, loads nothing.
    On PostgreSQL (outside a caller's transaction) every write happens in one transaction and
    the merge runs chunk by chunk beside the reading, on the two cores. On SQLite (outside a
    caller's transaction, not a dry run) each batch of BATCH_SIZE rows commits on its own,
    recorded for undoing if the import does not finish. Otherwise every row is staged first,
    then merged in one transaction. An unsaved `portfolio` (portfolio_get_or_create with
    save=False) is saved with the first rows written.
    """
    now = timezone.now()
    today = today or timezone.localdate()
    stream, opened = open_import_file(file)
    result = ImportResult()
    try:
        source = SourceFile(stream, mapping=mapping, required=True)
        if whole_portfolio and report_own_columns(source.headers):
            # Its rows are the few a file turned away: as "the whole portfolio" it would
            # recall every other debt.
            raise ImportFileError(
                _("This is a rejected-rows report: load it again without “This file is the whole portfolio”.")
            )
        report = RejectReport(f"portfolio-{portfolio.pk or 'new'}", source.headers)
        result.report_path = report.path

        def refused(number, cells, column, value, reason):
            report.add(number, cells, [(column, value, reason)])
            result.rejected += 1

        source.on_refused = refused
        try:
            # The wrapper itself, not the per-thread `connection` proxy: the merge thread
            # shares this thread's connection and transaction.
            connection = connections[DEFAULT_DB_ALIAS]
            with Staging(connection) as staging:
                try:
                    if connection.vendor == "sqlite" and not connection.in_atomic_block and not dry_run:
                        _load_in_short_transactions(
                            source, portfolio, staging, report, result, progress, now, today, whole_portfolio
                        )
                    elif connection.vendor == "postgresql" and not connection.in_atomic_block:
                        _load_pipelined(
                            source, portfolio, staging, report, result, progress, now, today, whole_portfolio, dry_run
                        )
                    else:
                        _load_all_at_once(
                            source, portfolio, staging, report, result, progress, now, today, whole_portfolio, dry_run
                        )
                except _Rollback:
                    pass
            _report_late_duplicates(stream, mapping, source, report)
        finally:
            report.close()
            result.problems = report.problems
    finally:
        if opened:
            stream.close()
    return result


def _load_all_at_once(
    source, portfolio, staging, report, result, progress, now, today, whole_portfolio, dry_run
) -> None:
    """Every row staged first, then merged as one chunk in one transaction.

    Staging happens outside the transaction, so the job's progress commits while the file
    is read (SQLite has one writer: an open write transaction would hold the progress back).
    """
    parser = _RowParser(source, portfolio, report)
    if portfolio.pk is not None:
        parser.known_hashes = staging.known_row_hashes(portfolio)
    for parsed in _parsed_batches(source, parser, result, progress):
        staging.add(parsed)
    _progress_saving(progress, result, parser)
    with transaction.atomic():
        if portfolio.pk is None:
            _portfolio_save(portfolio)
        staging.begin(portfolio=portfolio)
        chunk = staging.merge_chunk(portfolio=portfolio, now=now, today=today)
        _count(chunk, result, report, source)
        staging.end()
        _check_every_row_counted(source, result)
        if whole_portfolio:
            result.recalled = staging.recall_absent(portfolio=portfolio, now=now, today=today)
        if dry_run:
            raise _Rollback


def _load_in_short_transactions(
    source, portfolio, staging, report, result, progress, now, today, whole_portfolio
) -> None:
    """SQLite: rows are staged (TEMP tables: no lock on the database) and merged a chunk at a
    time, each chunk in a transaction of its own, so the desk's writes go in between.

    Every chunk records what it wrote (UndoLog); an error anywhere, a file that turns
    unreadable half-way included, undoes the chunks already committed before it is raised.
    """
    parser = _RowParser(source, portfolio, report)
    undo = UndoLog()
    longest, committed_at = 0.0, 0.0

    def let_others_in() -> None:
        pause = WRITE_GAP_SECONDS - (time.perf_counter() - committed_at)
        if pause > 0:
            time.sleep(pause)

    def merge() -> None:
        nonlocal longest, committed_at
        let_others_in()
        started = time.perf_counter()
        with transaction.atomic():
            if portfolio.pk is None:
                _portfolio_save(portfolio, undo)
            if not committed_at and undo.others_loading(
                portfolio.pk, now=timezone.now(), silent_for=IMPORT_STALLED_AFTER
            ):
                raise ImportFileError(
                    _("Another file is being loaded into this portfolio. Load this one again when it has finished.")
                )
            chunk = staging.merge_chunk(portfolio=portfolio, now=now, today=today, undo_run=undo.run)
            undo.alive(portfolio_id=portfolio.pk)
        committed_at = time.perf_counter()
        longest = max(longest, committed_at - started)
        _count(chunk, result, report, source)

    try:
        # A transaction per batch of BATCH_SIZE rows: 0.25–0.7 s of the write lock on these
        # machines, 1.4 s at most under load (100,000 rows merged in one transaction held it
        # 4.6–14.7 s), so a call logged meanwhile waits about a second at worst, never the
        # busy timeout. Reading the next batch (longer than merging it) leaves the lock free.
        merged = False
        if portfolio.pk is not None:
            parser.known_hashes = staging.known_row_hashes(portfolio)
        for parsed in _parsed_batches(source, parser, result, progress):
            if parsed or getattr(parsed, "skipped", ()):
                staging.add(parsed)
                merge()
                merged = True
        _progress_saving(progress, result, parser)
        if not merged:
            merge()
        let_others_in()
        with transaction.atomic():
            if whole_portfolio:
                result.recalled = staging.recall_absent(portfolio=portfolio, now=now, today=today, undo_run=undo.run)
            undo.alive(portfolio_id=portfolio.pk, done=True)
    except BaseException:
        undo.rollback()
        raise
    logger.debug("longest write transaction %.2f s", longest)
    undo.forget()


def _load_pipelined(source, portfolio, staging, report, result, progress, now, today, whole_portfolio, dry_run) -> None:
    """PostgreSQL: chunk k is COPYed and merged in a thread while this one checks chunk k+1.

    All chunks go in one transaction, so a file that turns unreadable half-way loads nothing.
    Progress is written by its own thread on its own connection: this connection is inside
    the import's transaction, where an update would stay invisible until the end.
    """
    parser = _RowParser(source, portfolio, report)
    relay = _ProgressRelay(progress) if progress is not None else None
    try:
        with transaction.atomic():
            if portfolio.pk is None:
                _portfolio_save(portfolio)
            staging.begin(portfolio=portfolio, pipelined=True)
            # Read under the portfolio's lock (begin), before any chunk is merged.
            parser.known_hashes = staging.known_row_hashes(portfolio)
            pipeline = PipelinedMerge(staging, portfolio=portfolio, now=now, today=today)
            try:
                rows_csv, phones_csv, keys_csv, staged, handed, tail_begun = [], [], [], 0, 0, False

                def hand_over():
                    nonlocal rows_csv, phones_csv, keys_csv, staged, handed
                    chunk = pipeline.submit("".join(rows_csv), "".join(phones_csv), "".join(keys_csv))
                    rows_csv, phones_csv, keys_csv, staged, handed = [], [], [], 0, handed + 1
                    if chunk is not None:
                        _count(chunk, result, report, source)

                for parsed in _parsed_batches(source, parser, result, relay):
                    row_values, phone_values = staging.encode(parsed)
                    skipped = getattr(parsed, "skipped", ())
                    rows_csv.append(csv_text(row_values))
                    phones_csv.append(csv_text(phone_values))
                    keys_csv.append(csv_text(skipped))
                    staged += len(parsed) + len(skipped)
                    # Rows still to read, when the file's size told us (an estimate).
                    left = None if source.rows_total is None else source.rows_total - parser.rows_read
                    if not tail_begun and left is not None and 0 < left <= EDGE_CHUNK_ROWS and staged and handed:
                        tail_begun = True  # what is left makes a small last chunk
                        hand_over()
                    elif staged >= (EDGE_CHUNK_ROWS if handed == 0 else CHUNK_ROWS):
                        hand_over()
                if staged:
                    hand_over()
                _progress_saving(relay, result, parser)
                chunk = pipeline.wait()
            finally:
                try:
                    pipeline.wait()  # never leave the transaction with the thread still on the connection
                except BaseException:
                    pass
            if chunk is not None:
                _count(chunk, result, report, source)
            staging.end()
            _check_every_row_counted(source, result)
            if whole_portfolio:
                result.recalled = staging.recall_absent(portfolio=portfolio, now=now, today=today)
            if dry_run:
                raise _Rollback
            commit_started = time.perf_counter()
        # The commit itself is short: the foreign keys were checked as the chunks were merged.
        logger.debug("committed in %.1f s", time.perf_counter() - commit_started)
    finally:
        if relay is not None:
            relay.close()


def _check_every_row_counted(source, result) -> None:
    """Every row read is created, updated, unchanged or rejected: an import that lost some on
    the way must not be reported as done (raised inside the transaction: nothing is saved)."""
    counted = result.created + result.updated + result.unchanged + result.rejected
    if counted != source.rows_read:
        raise ImportFileError(
            _(
                "%(read)s rows were read from the file but %(counted)s were counted as created, updated, unchanged "
                "or rejected; nothing was saved. Tell your administrator."
            )
            % {"read": source.rows_read, "counted": counted}
        )


def _count(chunk, result, report, source) -> None:
    result.created += chunk.created
    result.updated += chunk.updated
    result.unchanged += chunk.unchanged
    for duplicate in chunk.duplicates:
        result.rejected += 1
        # A repeat more than CHUNK_ROWS rows after the first is found by the merge, when
        # the row's cells are gone: reported once the file has been read again for them.
        report.late_duplicates.append(duplicate)


def _report_late_duplicates(stream, mapping, source: SourceFile, report: RejectReport) -> None:
    """Report the repeats the merge found, each row whole: the file is read a second time
    for their cells, only when there are any (rare: a repeat far from its first row)."""
    wanted = {row: (external_id, first_row) for row, external_id, first_row in report.late_duplicates}
    if not wanted:
        return
    found: dict[int, list[str]] = {}
    try:
        stream.seek(0)
        again = SourceFile(stream, mapping=mapping)
        for number, cells in again.rows():
            if number in wanted:
                found[number] = cells
                if len(found) == len(wanted):
                    break
    except (ImportFileError, OSError, ValueError):
        pass  # a stream that cannot be read twice: the key alone says which row it was
    for row, (external_id, first_row) in sorted(wanted.items()):
        cells = found.get(row)
        if cells is None:
            cells = [""] * len(source.headers)
            cells[source.columns["external_id"]] = external_id
        _report_duplicate(report, source, row, cells, external_id, first_row)


def _report_duplicate(report, source, row: int, cells: list[str], external_id: str, first_row: int) -> None:
    reason = _("Row %(row)s already has this customer code and account; this row was skipped.") % {"row": first_row}
    report.add(row, cells, [(source.header_of("external_id"), external_id, reason)])


class _RecentKeys:
    """The keys of the last CHUNK_ROWS rows, to turn away a repeated key before it is staged.

    Files repeat a row next to the first one far more often than anywhere else; caught here,
    in the reading thread, the merge finds no duplicate to look for (staging's import_seen
    still catches every repeat across windows, and the earliest row wins either way, since
    rows come in file order). Forgotten every CHUNK_ROWS keys, so memory stays flat."""

    def __init__(self, report, source):
        self.report = report
        self.source = source
        self.first_rows: dict[tuple[str, str], int] = {}

    def admit(self, row: ParsedRow) -> bool:
        return self.admit_key(row.number, row.external_id, row.account_reference, row.cells)

    def admit_key(self, number: int, external_id: str, account_reference: str, cells: list[str]) -> bool:
        key = (external_id, account_reference)
        first_row = self.first_rows.get(key)
        if first_row is not None:
            _report_duplicate(self.report, self.source, number, cells, external_id, first_row)
            return False
        if len(self.first_rows) >= CHUNK_ROWS:
            self.first_rows.clear()
        self.first_rows[key] = number
        return True


def _parsed_batches(source, parser, result, progress):
    """The file's rows that pass the per-cell checks, a batch at a time (the others are
    reported and counted as rejected); progress is told after each batch.

    A row whose hash is among the portfolio's known ones (parser.known_hashes) is not parsed:
    its key goes to the batch's `skipped`, and the merge counts it unchanged."""
    started, done = time.perf_counter(), 0
    recent = _RecentKeys(parser.report, source)
    known = parser.known_hashes
    for index, raw_batch in enumerate(batches(source.rows())):
        if index == 0:
            parser.learn_decimal_style(raw_batch)
        row_hash = parser.hasher
        parsed, skipped = _Batch(), []
        for number, cells in raw_batch:
            digest = row_hash(cells)
            if known and _known(known, digest):
                external_id, account_reference = parser.key_of(cells)
                if recent.admit_key(number, external_id, account_reference, cells):
                    skipped.append((number, external_id, account_reference))
                else:
                    result.rejected += 1
                continue
            row = parser.parse(number, cells, digest)
            if row is None or not recent.admit(row):
                result.rejected += 1
            else:
                parsed.append(row)
        parsed.skipped = skipped
        done += len(raw_batch)
        parser.rows_read = done
        yield parsed
        if progress is not None:
            progress(done, max(source.rows_total or 0, done) or None)
    parser.rows_read = done
    logger.debug("read and checked %d rows in %.1f s", done, time.perf_counter() - started)


def _progress_saving(progress, result, parser) -> None:
    # Reading is over: the count is now exact (the total was an estimate), and the page
    # can say that the rows are being saved.
    done = getattr(parser, "rows_read", 0)
    if progress is not None:
        progress(done, done or None)


class _ProgressRelay:
    """Calls `progress` from a thread of its own, hence on a database connection of its own,
    so that each update commits at once; the latest update wins if the thread is behind."""

    def __init__(self, progress):
        self.progress = progress
        self.latest = None
        self.closing = False
        self.error: BaseException | None = None
        self.ready = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="import-progress", daemon=True)
        self.thread.start()

    def __call__(self, done, total) -> None:
        with self.ready:
            self.latest = (done, total)
            self.ready.notify()

    def close(self) -> None:
        with self.ready:
            self.closing = True
            self.ready.notify()
        self.thread.join()

    def _run(self) -> None:
        from django.db import connection as own_connection

        try:
            while True:
                with self.ready:
                    while self.latest is None and not self.closing:
                        self.ready.wait()
                    latest, self.latest = self.latest, None
                    closing = self.closing
                if latest is not None:
                    try:
                        self.progress(*latest)
                    except Exception:  # a progress bar must never stop an import
                        logger.exception("could not record the import's progress")
                if closing and latest is None:
                    return
        finally:
            own_connection.close()
