"""The writing half of the portfolio importer: parsed rows go to a staging table, then a
handful of set-based statements move them into debtors, debts, phones and balance changes.

Why a staging table: a million rows upserted in batches from Python cost a round trip and
an index probe per batch and per row (217 s with bulk_create for a million rows on these machines); staged with
PostgreSQL's COPY and merged with one INSERT … SELECT / UPDATE … FROM per table, the
database does the joins. SQLite runs the same SQL (it has UPDATE … FROM and INSERT … ON
CONFLICT since 3.33) and is filled with executemany instead of COPY.

Rows are merged a chunk at a time (`merge_chunk`), all chunks in one transaction. Two ways
to drive it (see loading.portfolio_import):
- pipelined (PostgreSQL, outside any transaction): `PipelinedMerge` COPYs and merges chunk
  k in a thread while the caller's thread reads and checks the rows of chunk k+1, so Python
  and PostgreSQL work on the two cores at once;
- all at once (SQLite, or inside a caller's transaction): every row is staged first (TEMP
  tables, outside the transaction, so the job's progress can commit meanwhile), then merged
  as one chunk.

The staging tables are TEMP tables: private to the connection, so two imports running at
once in two workers never see each other's rows, and gone when the connection closes.

Semantics, the same whatever the chunks:
- a row is keyed by (customer code, account reference); a key seen earlier in the file
  makes the later row rejected — the first one wins, so no duplicate debtor or debt.
  `import_seen` holds the first row of every key so far (this chunk's included: a row
  number below the chunk's first row means an earlier chunk);
- a customer's details come from their first row in the file (a customer already seen in
  an earlier chunk is not updated again); a column that is not mapped (NULL in staging)
  leaves the stored value alone;
- a debt whose balance changes leaves a BalanceChange; a recalled debt that comes back in a
  file is active again; phones are only ever added;
- created = the row's debt is new; updated = its debt, its debtor or its phones changed;
  unchanged = nothing to write (and nothing is written: rows are compared first), or a row
  the reading thread matched by its stored hash and did not stage (import_stage_key holds
  its key only);
- a debt keeps the staged row's hash (import_hash) when the row is in step with its
  debtor's details after the merge; see rows.RowHasher.

This module holds the staging tables and their filling; the merge is Staging's half from
merging.py (the transaction, merge_chunk, the statements before and after the chunks), whose
steps are in merge_debtors.py and merge_debts.py.
"""

import csv
import io
import logging
import time
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial

from django.db import DatabaseError, transaction

from collections_crm.lib.background import OneInFlight
from debtors.importing.merging import _CHUNK_TABLES, ChunkMerge, ChunkResult

__all__ = ["KEY_COLUMNS", "PHONE_COLUMNS", "ROW_COLUMNS", "ChunkResult", "PipelinedMerge", "Staging", "csv_text"]

ROW_COLUMNS = (
    "row_no",
    "external_id",
    "account_reference",
    "full_name",
    "national_id",
    "email",
    "time_zone",
    "balance",
    "due_date",
    "original_amount",
    "product",
    "currency",
    "row_hash",
)
PHONE_COLUMNS = ("row_no", "external_id", "number")
KEY_COLUMNS = ("row_no", "external_id", "account_reference")
_COLUMNS = {"import_stage_row": ROW_COLUMNS, "import_stage_phone": PHONE_COLUMNS, "import_stage_key": KEY_COLUMNS}
_TABLES = ("import_stage_row", "import_stage_phone", "import_stage_key", "import_seen", *_CHUNK_TABLES)
_NULL = "\\N"
# SQLite's page cache while an import runs, in SQLite's unit (negative: KiB).
IMPORT_SQLITE_CACHE_SIZE = -32_768
logger = logging.getLogger(__name__)


class Staging(ChunkMerge):
    """Temp tables for one import on `connection`; use as a context manager."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        # Keys are compared byte by byte where only equality and a fixed order matter (the
        # import's own key table, sorts before inserting into byte-ordered indexes): cheaper
        # than the database's locale-aware collation. SQLite compares bytes already.
        self.bytewise = ' COLLATE "C"' if self.postgres else ""
        # True while this import checks its own references set-based (see begin()).
        self.checks_references = False
        self.debtor_id_sequence: str | None = None

    def __enter__(self):
        self.drop()
        if self.postgres:
            # The keys of a million rows and the staged chunks live in temp tables, which use
            # the session's own buffers (8 MB by default): with more, they stay in memory.
            # Settable only before the session's first temp table; then the default stays. In
            # a savepoint: inside a transaction the refusal would otherwise abort it (a worker's
            # second import on the same connection).
            try:
                with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
                    cursor.execute("SET temp_buffers = '256MB'")
            except DatabaseError:
                pass
        else:
            # SQLite's page cache is 2 MB a connection by default: the merge re-reads the debtor
            # and debt indexes a chunk at a time. With 32 MB while the import runs, 100,000 rows
            # merge in 2.4 s instead of 3.2 s on these machines; given back on exit.
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                self.sqlite_cache_size = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA cache_size = {IMPORT_SQLITE_CACHE_SIZE}")
        numeric = "numeric(14, 2)" if self.postgres else "NUMERIC"
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"""CREATE TEMP TABLE import_stage_row (
                    row_no integer {"PRIMARY KEY" if not self.postgres else "NOT NULL"},
                    external_id text NOT NULL, account_reference text NOT NULL, full_name text NOT NULL,
                    national_id text, email text, time_zone text,
                    balance {numeric} NOT NULL, due_date date NOT NULL, original_amount {numeric},
                    product text, currency text NOT NULL, row_hash bigint)"""
            )
            cursor.execute(
                "CREATE TEMP TABLE import_stage_phone (row_no integer NOT NULL, external_id text NOT NULL, number text NOT NULL)"
            )
            # Rows counted unchanged by their stored hash, not parsed: only their keys, for the
            # duplicates, the customers' first rows and "the whole portfolio".
            cursor.execute(
                "CREATE TEMP TABLE import_stage_key (row_no integer NOT NULL, external_id text NOT NULL, account_reference text NOT NULL)"
            )
            cursor.execute(
                f"""CREATE TEMP TABLE import_seen (external_id text{self.bytewise} NOT NULL,
                    account_reference text{self.bytewise} NOT NULL,
                    row_no integer NOT NULL, PRIMARY KEY (external_id, account_reference))"""
            )
        return self

    def __exit__(self, *exc_info):
        try:
            self.drop()
            if not self.postgres:
                with self.connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA cache_size = {int(self.sqlite_cache_size)}")
        except DatabaseError:
            if exc_info[0] is None:
                raise  # otherwise the import's own error is the one to report

    def drop(self) -> None:
        with self.connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(f"DROP TABLE IF EXISTS {', '.join(_TABLES)}")
                return
            # SQLite drops one table a statement: only those there are.
            cursor.execute(
                f"SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name IN ({', '.join(['%s'] * len(_TABLES))})",
                _TABLES,
            )
            for (table,) in cursor.fetchall():
                cursor.execute(f"DROP TABLE {table}")

    # --- Filling ---------------------------------------------------------------------------

    def encode(self, rows) -> tuple[list[tuple], list[tuple]]:
        """A batch of ParsedRow (rows that passed the per-cell checks) as staging rows."""
        null = _NULL if self.postgres else None
        row_values = []
        for row in rows:
            debtor, debt = row.debtor, row.debt
            original_amount = debt["original_amount"]
            row_values.append(
                (
                    row.number,
                    row.external_id,
                    row.account_reference,
                    debtor["full_name"],
                    debtor.get("national_id", null),
                    debtor.get("email", null),
                    debtor.get("time_zone", null),
                    debt["balance"],
                    debt["due_date"],
                    null if original_amount is None else original_amount,
                    debt.get("product", null),
                    debt["currency"],
                    null if row.row_hash is None else row.row_hash,
                )
            )
        phone_values = [(row.number, row.external_id, number) for row in rows for number in row.phones]
        return row_values, phone_values

    def add(self, rows) -> None:
        """Stage a batch of ParsedRow, and the keys (row_no, external_id, account_reference) of
        the rows skipped as unchanged (the batch's `skipped`)."""
        keys = getattr(rows, "skipped", ())
        if not rows and not keys:
            return
        row_values, phone_values = self.encode(rows)
        if self.postgres:
            self.copy(csv_text(row_values), csv_text(phone_values), csv_text(keys))
            return
        with self._sqlite_batch() as cursor:
            for table, values in (
                ("import_stage_key", keys),
                ("import_stage_row", row_values),
                ("import_stage_phone", phone_values),
            ):
                if values:
                    columns = _COLUMNS[table]
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                        values,  # Decimals and dates: Django's sqlite3 adapters write them as text
                    )

    @contextmanager
    def _sqlite_batch(self):
        """A cursor whose statements commit together. In autocommit mode each row of an
        executemany is a transaction of its own: 17 µs a row in WAL mode on these machines,
        against 2 µs in one. The transaction is DEFERRED (atomic() would begin IMMEDIATE,
        taking the database's write lock): it writes only TEMP tables, so the desk's writers
        are not held back while a batch is staged. Inside a caller's transaction, that one."""
        with self.connection.cursor() as cursor:
            if self.connection.in_atomic_block:
                yield cursor
                return
            cursor.execute("BEGIN DEFERRED")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def copy(self, rows_csv: str, phones_csv: str, keys_csv: str = "") -> None:
        """COPY rows already written as CSV (csv_text) into the staging tables (PostgreSQL)."""
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            for table, columns, text in (
                ("import_stage_row", ROW_COLUMNS, rows_csv),
                ("import_stage_phone", PHONE_COLUMNS, phones_csv),
                ("import_stage_key", KEY_COLUMNS, keys_csv),
            ):
                if text:
                    # psycopg2's cursor under Django's wrapper; one read of the whole buffer.
                    cursor.cursor.copy_expert(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')",
                        io.StringIO(text),
                        size=len(text) + 1,
                    )
        logger.debug("staged by COPY in %.2f s", time.perf_counter() - started)

    # --- Merging ---------------------------------------------------------------------------


class PipelinedMerge:
    """COPYs and merges one chunk in a thread while the caller's thread prepares the next.

    The thread uses the caller's connection, inside the caller's transaction (PostgreSQL's
    driver lets go of the GIL while it waits for the server); the caller must not use the
    connection between submit() and wait(). At most one chunk is in flight: wait() hands
    back its result, or raises its error.
    """

    def __init__(self, staging: Staging, *, portfolio, now: datetime, today: date):
        self.staging = staging
        self.merge_arguments = {"portfolio": portfolio, "now": now, "today": today}
        self.in_flight: OneInFlight[ChunkResult] = OneInFlight(name="import-merge", connection=staging.connection)

    def submit(self, rows_csv: str, phones_csv: str, keys_csv: str = "") -> ChunkResult | None:
        """Start merging a chunk; returns the previous chunk's result (None for the first)."""
        return self.in_flight.submit(partial(self._merge, rows_csv, phones_csv, keys_csv))

    def wait(self) -> ChunkResult | None:
        return self.in_flight.wait()

    def _merge(self, rows_csv: str, phones_csv: str, keys_csv: str) -> ChunkResult:
        self.staging.copy(rows_csv, phones_csv, keys_csv)
        return self.staging.merge_chunk(**self.merge_arguments)


def csv_text(values) -> str:
    # CSV through the csv module (C code) is the cheapest way to quote a million rows;
    # NULL is spelled \\N so that an empty cell stays an empty string.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(values)
    return buffer.getvalue()
