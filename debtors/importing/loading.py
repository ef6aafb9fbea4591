"""Loading a creditor's portfolio file into the database: the service, and how it drives one.

`portfolio_import` is the service a management command, a Celery task or a web page calls.
Rows are streamed from the file (CSV or XLSX; source.py), checked cell by cell (rows.py),
and the valid ones staged in batches of BATCH_SIZE (COPY on PostgreSQL); staging.py then
merges them with a fixed number of set-based statements, never one `save()` per row. This
module picks the transactions they run in; the names of its helper modules that callers use
(SourceFile, RejectReport, portfolio_get_or_create...) are re-exported here.

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

import itertools
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from debtors.importing.mapping import report_own_columns
from debtors.importing.portfolios import _portfolio_save, portfolio_get_or_create
from debtors.importing.progress import _progress_saving, _ProgressRelay
from debtors.importing.rejects import RejectedCell, RejectReport, _report_duplicate, _report_late_duplicates
from debtors.importing.rows import (
    PARSING_VERSION,
    ParsedRow,
    RowHasher,
    _Batch,
    _known,
    _RowParser,
    unquote_cell,
)
from debtors.importing.source import HEADER_CHARS, ImportFileError, SourceFile, open_import_file
from debtors.importing.staging import PipelinedMerge, Staging, csv_text
from debtors.importing.undo import UndoLog
from debtors.models import Portfolio
from debtors.services import IMPORT_STALLED_AFTER

__all__ = [
    "BATCH_SIZE",
    "CHUNK_ROWS",
    "EDGE_CHUNK_ROWS",
    "HEADER_CHARS",
    "PARSING_VERSION",
    "WRITE_GAP_SECONDS",
    "ImportFileError",
    "ImportResult",
    "ParsedRow",
    "RejectReport",
    "RejectedCell",
    "RowHasher",
    "SourceFile",
    "batches",
    "open_import_file",
    "portfolio_get_or_create",
    "portfolio_import",
    "unquote_cell",
]

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
# Rows merged at a time when the merge runs beside the reading (PostgreSQL): big enough that
# a chunk's fixed statements are a small part of its cost, small enough that two chunks'
# CSV text (being merged, being prepared) stays a few tens of MB.
CHUNK_ROWS = 50_000
# The first chunk and the last are smaller: the merge thread waits for the first one to be
# read, and the last one is merged after the reading has ended, each time on one core alone.
EDGE_CHUNK_ROWS = 10_000
# SQLite: the least time between two of an import's write transactions. A writer waiting for
# the lock (a call being logged) polls it at most every 100 ms (SQLite's busy handler), so a
# gap this long always lets it in; reading a batch usually takes longer anyway.
WRITE_GAP_SECONDS = 0.1


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


def batches(iterable, size: int | None = None):
    size = size or BATCH_SIZE
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


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
