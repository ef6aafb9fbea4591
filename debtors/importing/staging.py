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
  debtor's details after the merge; see loading.RowHasher.
"""

import csv
import io
import logging
import time
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from django.db import DatabaseError, transaction

from collections_crm.lib.background import OneInFlight
from debtors.models import BalanceChange, Debt, Debtor, Phone
from debtors.services import QUEUE_FIGURES_SQL

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
_CHUNK_TABLES = ("import_stage_debtor", "import_stage_debt", "import_stage_new_phone", "import_stage_duplicate")
_TABLES = ("import_stage_row", "import_stage_phone", "import_stage_key", "import_seen", *_CHUNK_TABLES)
_NULL = "\\N"
logger = logging.getLogger(__name__)


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # (row, customer code, the earlier row with the same key), for the rejected-rows report.
    duplicates: list[tuple[int, str, int]] = field(default_factory=list)


class Staging:
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
        with self.connection.cursor() as cursor:
            if keys:
                cursor.executemany(
                    "INSERT INTO import_stage_key (row_no, external_id, account_reference) VALUES (%s, %s, %s)", keys
                )
            if not row_values:
                return
            cursor.executemany(
                f"INSERT INTO import_stage_row ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join(['%s'] * len(ROW_COLUMNS))})",
                [tuple(_sqlite_value(value) for value in values) for values in row_values],
            )
            if phone_values:
                cursor.executemany(
                    "INSERT INTO import_stage_phone (row_no, external_id, number) VALUES (%s, %s, %s)", phone_values
                )

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

    def begin(self, *, portfolio, pipelined: bool = False) -> None:
        """Call first inside the import's transaction (`pipelined`: the transaction is the
        import's own, its chunks merged beside the reading)."""
        if self.postgres:
            with self.connection.cursor() as cursor:
                # Server memory for the hash joins and sorts of the merge, for this
                # transaction only: with the default 4 MB they spill to disk in batches.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                # Index probes priced as on cached or solid-state storage, not spinning disks
                # (4): the merge's joins on stored rows are probes of a few rows each.
                cursor.execute("SET LOCAL random_page_cost = 1.1")
                # The staged chunks are analysed for their row counts and the spread of a few
                # flags and keys; a sample of 3,000 rows tells the planner that as well as the
                # default 30,000, at a tenth of the cost (≈ 10 s over a million rows).
                cursor.execute("SET LOCAL default_statistics_target = 10")
                # One merge at a time per portfolio: two files loaded at once into the same
                # portfolio wait for each other instead of racing on the same customers
                # (SQLite has a single writer anyway).
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [6, portfolio.pk])
                # New debtors get their ids before they are inserted (nextval while the
                # chunk's customers are matched), so no second pass hands ids back.
                cursor.execute("SELECT pg_get_serial_sequence('debtors_debtor', 'id')")
                self.debtor_id_sequence = cursor.fetchone()[0]
                if pipelined:
                    self._choose_reference_checks(cursor, portfolio)

    def _choose_reference_checks(self, cursor, portfolio) -> None:
        """How the import's foreign keys are checked (its own transaction only).

        PostgreSQL checks a foreign key with one query per inserted row, ≈ 5 µs each: 3 million
        checks for a million-row file (debtor → portfolio, debt → debtor, phone → debtor), a
        third of what a plain COPY of the same rows costs (docs/benchmarks.md). Every reference
        this import writes is one it has just made or looked up itself, so when the role may
        set session_replication_role (a superuser, or PostgreSQL 15's GRANT SET ON PARAMETER)
        the row-by-row checks are switched off for this transaction only, and what they were
        for is done set-based instead: the rows referred to that existed before the import are
        locked FOR KEY SHARE, exactly as the checks would have locked them, so nobody can
        delete them before the commit (step 6 of merge_chunk). Otherwise the
        checks run at the end of each statement instead of at commit (deferred, they ran after
        the reading had ended, on one core; checked per statement they run in the merge thread
        while the next chunk is read; parents are inserted before children).

        The switch turns off every ordinary trigger for the transaction: the tables an import
        writes have none of their own (a test says so); one added later must be ENABLE ALWAYS.
        """
        if self.role_may_switch_off_row_checks(cursor):
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SELECT 1 FROM debtors_portfolio WHERE id = %s FOR KEY SHARE", [portfolio.pk])
            self.checks_references = True
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        logger.debug("foreign keys checked %s", "set-based by the import" if self.checks_references else "row by row")

    @staticmethod
    def role_may_switch_off_row_checks(cursor) -> bool:
        cursor.execute(
            """SELECT CASE WHEN current_setting('server_version_num')::int >= 150000
                           THEN has_parameter_privilege('session_replication_role', 'SET')
                           ELSE current_setting('is_superuser') = 'on' END"""
        )
        return cursor.fetchone()[0]

    def end(self) -> None:
        """Call after the last merge: every later statement of the transaction is checked by
        PostgreSQL again."""
        if self.checks_references:
            with self.connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
            self.checks_references = False

    def merge_chunk(self, *, portfolio, now: datetime, today: date, undo_run: str | None = None) -> ChunkResult:
        """Write the staged rows into the real tables and empty the staging tables.

        `undo_run` (SQLite, chunks committed one by one): what the chunk creates and the first
        state of what it changes are recorded as ImportUndo rows of that run, in the same
        transaction, so that an import that does not finish can be undone."""
        ops = self.connection.ops
        params = {
            "portfolio": portfolio.pk,
            "now": ops.adapt_datetimefield_value(now),
            "today": ops.adapt_datefield_value(today),
            "zone": portfolio.default_time_zone,
            "run": undo_run,
        }
        result = ChunkResult()
        self._analyze("import_stage_row", "import_stage_phone")
        with self.connection.cursor() as cursor:

            def run(sql, extra=None):
                started = time.perf_counter()
                cursor.execute(sql, {**params, **(extra or {})})
                # Which statement of a slow merge took the time (logged at DEBUG).
                logger.debug("merge %.2f s: %s", time.perf_counter() - started, " ".join(sql.split())[:70])

            # 0. Rows whose key an earlier row had, in this chunk or an earlier one: rejected.
            #    The chunk's keys go into import_seen in file order, the first of each key
            #    only; when all of them went in (the usual case) there is nothing to look for.
            #    The keys of the rows skipped as unchanged (import_stage_key) go in with them:
            #    such a row is the first of its key and of its customer as much as any other.
            cursor.execute("SELECT (SELECT COUNT(*) FROM import_stage_row), (SELECT COUNT(*) FROM import_stage_key)")
            staged, skipped = cursor.fetchone()
            keys = "SELECT row_no, external_id, account_reference FROM import_stage_row"
            if skipped:
                keys += " UNION ALL SELECT row_no, external_id, account_reference FROM import_stage_key"
            run(
                f"""INSERT INTO import_seen (external_id, account_reference, row_no)
                SELECT external_id, account_reference, row_no FROM ({keys}) k WHERE 1 = 1 ORDER BY row_no
                ON CONFLICT DO NOTHING"""
            )
            if cursor.rowcount != staged + skipped:
                run(
                    f"""SELECT s.row_no, s.external_id, seen.row_no
                       FROM ({keys}) s
                       JOIN import_seen seen ON seen.external_id = s.external_id{self.bytewise}
                         AND seen.account_reference = s.account_reference{self.bytewise}
                       WHERE seen.row_no <> s.row_no
                       ORDER BY s.row_no"""
                )
                result.duplicates = cursor.fetchall()
            if result.duplicates:
                cursor.execute("CREATE TEMP TABLE import_stage_duplicate (row_no integer PRIMARY KEY)")
                cursor.executemany(
                    "INSERT INTO import_stage_duplicate (row_no) VALUES (%s)", [(row,) for row, *_ in result.duplicates]
                )
                for table in ("import_stage_row", "import_stage_phone", "import_stage_key"):
                    cursor.execute(f"DELETE FROM {table} WHERE row_no IN (SELECT row_no FROM import_stage_duplicate)")
                    if table == "import_stage_key":
                        skipped -= cursor.rowcount

            # 1. One line per customer (their first row in the chunk), matched with the stored
            #    debtor. A customer with an earlier row (in an earlier chunk, or skipped as
            #    unchanged) keeps the details of that first row (seen). A new debtor's queue
            #    figures are their rows' sums, stored as they are inserted (refreshing them
            #    afterwards would rewrite every row). kept_*: the details the debtor has after
            #    this chunk, against which step 3 tells whether a row is in step with them.
            first_row = (
                f"SELECT DISTINCT ON (external_id{self.bytewise}) * FROM import_stage_row ORDER BY external_id{self.bytewise}, row_no"
                if self.postgres
                else "SELECT s.* FROM import_stage_row s JOIN (SELECT MIN(row_no) AS row_no FROM import_stage_row"
                " GROUP BY external_id) f ON f.row_no = s.row_no"
            )
            stored_debtor = self._probe(
                "debtors_debtor d",
                "d.id, d.full_name, d.national_id, d.email, d.time_zone",
                "d.portfolio_id = %(portfolio)s AND d.external_id = s.external_id",
            )
            new_id = "CAST(NULL AS integer)"
            if self.postgres:
                new_id = f"nextval('{self.debtor_id_sequence}')"
            # OFFSET 0: PostgreSQL would otherwise fold the inner query into the outer one
            # and look `seen` up once for each use.
            fence = " OFFSET 0" if self.postgres else ""
            run(
                f"""CREATE TEMP TABLE import_stage_debtor AS
                SELECT x.external_id, x.full_name, x.national_id, x.email, x.time_zone, x.debtor_id, x.is_new,
                       x.open_balance, x.arrears_since,
                       CASE WHEN x.is_new = 1 THEN 1
                            WHEN x.seen = 1 THEN 0
                            WHEN x.d_full_name <> x.full_name
                              OR (x.national_id IS NOT NULL AND x.d_national_id <> x.national_id)
                              OR (x.email IS NOT NULL AND x.d_email <> x.email)
                              OR (x.time_zone IS NOT NULL AND x.d_time_zone <> x.time_zone) THEN 1
                            ELSE 0 END AS changed,
                       CASE WHEN x.seen = 1 THEN x.d_full_name ELSE x.full_name END AS kept_full_name,
                       CASE WHEN x.seen = 1 THEN x.d_national_id ELSE COALESCE(x.national_id, x.d_national_id, '') END
                           AS kept_national_id,
                       CASE WHEN x.seen = 1 THEN x.d_email ELSE COALESCE(x.email, x.d_email, '') END AS kept_email,
                       CASE WHEN x.seen = 1 THEN x.d_time_zone ELSE COALESCE(x.time_zone, x.d_time_zone, %(zone)s) END
                           AS kept_time_zone
                FROM (
                    SELECT s.external_id, s.full_name, s.national_id, s.email, s.time_zone,
                           COALESCE(d.id, {new_id}) AS debtor_id, CASE WHEN d.id IS NULL THEN 1 ELSE 0 END AS is_new,
                           a.open_balance, a.arrears_since,
                           d.full_name AS d_full_name, d.national_id AS d_national_id, d.email AS d_email,
                           d.time_zone AS d_time_zone,
                           CASE WHEN d.id IS NULL THEN 0
                                WHEN EXISTS (SELECT 1 FROM import_seen p
                                             WHERE p.external_id = s.external_id{self.bytewise} AND p.row_no < s.row_no) THEN 1
                                ELSE 0 END AS seen
                    FROM ({first_row}) s
                    JOIN (SELECT external_id, SUM(balance) AS open_balance,
                                 MIN(CASE WHEN balance > 0 THEN due_date END) AS arrears_since
                          FROM import_stage_row GROUP BY external_id) a ON a.external_id = s.external_id
                    {stored_debtor}{fence}
                ) x"""
            )
            if not self.postgres:
                cursor.execute("CREATE INDEX import_stage_debtor_code ON import_stage_debtor (external_id)")
            self._analyze("import_stage_debtor")

            # 2. Debtors: new ones inserted (PostgreSQL: with the ids taken above; SQLite: ids
            #    looked up afterwards), changed ones updated, the others not touched.
            columns, values, insert_params = _insert_parts(
                Debtor,
                {
                    "portfolio_id": "%(portfolio)s",
                    "external_id": "external_id",
                    "full_name": "full_name",
                    "national_id": "COALESCE(national_id, '')",
                    "email": "COALESCE(email, '')",
                    "time_zone": "COALESCE(time_zone, %(zone)s)",
                    "open_balance": "open_balance",
                    "arrears_since": "arrears_since",
                    "created_at": "%(now)s",
                    "updated_at": "%(now)s",
                },
                self.connection,
            )
            if self.postgres:
                # Ids given (nextval above). In the order of the one index whose keys are
                # spread over the whole table (national ids): each leaf page is then
                # visited once per chunk instead of once per row.
                run(
                    f"""INSERT INTO debtors_debtor (id, {columns}) SELECT debtor_id, {values}
                    FROM import_stage_debtor WHERE is_new = 1 ORDER BY national_id{self.bytewise}""",
                    insert_params,
                )
            else:
                run(
                    f"INSERT INTO debtors_debtor ({columns}) SELECT {values} FROM import_stage_debtor WHERE is_new = 1",
                    insert_params,
                )
                run(
                    """UPDATE import_stage_debtor SET debtor_id = (
                        SELECT d.id FROM debtors_debtor d
                        WHERE d.portfolio_id = %(portfolio)s AND d.external_id = import_stage_debtor.external_id)
                    WHERE is_new = 1"""
                )
            if undo_run:
                run(
                    _UNDO_CREATED.format(
                        kind="debtor", ids="SELECT debtor_id AS row_id FROM import_stage_debtor WHERE is_new = 1"
                    )
                )
                run(
                    _UNDO_DEBTOR_BEFORE.format(
                        ids="SELECT debtor_id FROM import_stage_debtor WHERE is_new = 0 AND changed = 1"
                    )
                )
            run(
                """UPDATE debtors_debtor SET full_name = i.full_name,
                       national_id = COALESCE(i.national_id, debtors_debtor.national_id),
                       email = COALESCE(i.email, debtors_debtor.email),
                       time_zone = COALESCE(i.time_zone, debtors_debtor.time_zone),
                       updated_at = %(now)s
                FROM import_stage_debtor i
                WHERE debtors_debtor.id = i.debtor_id AND i.is_new = 0 AND i.changed = 1"""
            )

            # 3. Every row with its debtor's id and its stored debt, compared. A debtor created
            #    by this chunk has no debts to look up. new_hash: the row's hash, kept on its
            #    debt only when the row is in step with its debtor's details after this chunk
            #    (a later row of a customer may spell the name otherwise: met again, it would
            #    not leave everything as it is, so it is not to be skipped).
            stored_debt = self._probe(
                "debtors_debt t",
                "t.id, t.balance, t.due_date, t.currency, t.recalled_on, t.original_amount, t.product, t.import_hash",
                "i.is_new = 0 AND t.debtor_id = i.debtor_id AND t.account_reference = s.account_reference",
            )
            run(
                f"""CREATE TEMP TABLE import_stage_debt AS
                SELECT s.row_no, s.external_id, i.debtor_id, i.is_new, s.account_reference, s.balance, s.due_date,
                       s.original_amount, s.product, s.currency, t.id AS debt_id, t.balance AS old_balance,
                       CASE WHEN t.id IS NULL THEN 0
                            WHEN t.balance <> s.balance OR t.due_date <> s.due_date OR t.currency <> s.currency
                              OR t.recalled_on IS NOT NULL
                              OR (s.original_amount IS NOT NULL AND t.original_amount <> s.original_amount)
                              OR (s.product IS NOT NULL AND t.product <> s.product) THEN 1
                            ELSE 0 END AS changed,
                       t.import_hash AS old_hash,
                       CASE WHEN s.full_name = i.kept_full_name
                              AND (s.national_id IS NULL OR s.national_id = i.kept_national_id)
                              AND (s.email IS NULL OR s.email = i.kept_email)
                              AND (s.time_zone IS NULL OR s.time_zone = i.kept_time_zone)
                            THEN s.row_hash END AS new_hash
                FROM import_stage_row s
                JOIN import_stage_debtor i ON i.external_id = s.external_id
                {stored_debt}"""
            )
            # 4. Phones the debtor does not have yet (a new debtor has none: no look-up; the
            #    OR stops at the first term).
            run(
                """CREATE TEMP TABLE import_stage_new_phone AS
                SELECT MIN(p.row_no) AS row_no, i.debtor_id, i.is_new, p.number
                FROM import_stage_phone p
                JOIN import_stage_debtor i ON i.external_id = p.external_id
                WHERE i.is_new = 1
                   OR NOT EXISTS (SELECT 1 FROM debtors_phone o WHERE o.debtor_id = i.debtor_id AND o.number = p.number)
                GROUP BY i.debtor_id, i.is_new, p.number"""
            )
            if not self.postgres:
                cursor.execute("CREATE INDEX import_stage_new_phone_row ON import_stage_new_phone (row_no)")
            self._analyze("import_stage_debt", "import_stage_new_phone")

            # 5. Counts, before anything changes what "before" was.
            run(
                """SELECT
                    COUNT(*) FILTER (WHERE sd.debt_id IS NULL),
                    COUNT(*) FILTER (WHERE sd.debt_id IS NOT NULL AND (sd.changed = 1 OR i.changed = 1
                        OR EXISTS (SELECT 1 FROM import_stage_new_phone p WHERE p.row_no = sd.row_no))),
                    COUNT(*)
                FROM import_stage_debt sd JOIN import_stage_debtor i ON i.external_id = sd.external_id"""
            )
            result.created, result.updated, total = cursor.fetchone()
            result.unchanged = total - result.created - result.updated + skipped

            # 6. With the row-by-row checks off: stored debtors about to get a new debt or
            #    phone are locked as those checks would have locked them (new debtors are
            #    this transaction's own; changed debts are locked by their UPDATE below).
            if self.checks_references:
                run(
                    """SELECT 1 FROM debtors_debtor d WHERE d.id IN (
                        SELECT sd.debtor_id FROM import_stage_debt sd WHERE sd.is_new = 0 AND sd.debt_id IS NULL
                        UNION
                        SELECT debtor_id FROM import_stage_new_phone WHERE is_new = 0)
                    FOR KEY SHARE"""
                )
            if undo_run:
                # Their queue figures are written again in step 9.
                run(
                    _UNDO_DEBTOR_BEFORE.format(
                        ids="SELECT debtor_id FROM import_stage_debt WHERE is_new = 0 AND (changed = 1 OR debt_id IS NULL)"
                    )
                )
                run(
                    _UNDO_DEBT_BEFORE.format(
                        ids=f"SELECT sd.debt_id FROM import_stage_debt sd WHERE sd.changed = 1 OR ({_HASH_ONLY})"
                    )
                )
            # 7. The debts, then their balance changes (the debts they refer to are locked by
            #    the UPDATE by then).
            # With them, unchanged rows that were read all the same (no hash yet, another one,
            # or one no longer valid): the same values again, and their hash, with updated_at,
            # so that the next import skips them.
            run(
                f"""UPDATE debtors_debt SET balance = sd.balance, due_date = sd.due_date, currency = sd.currency,
                       original_amount = COALESCE(sd.original_amount, debtors_debt.original_amount),
                       product = COALESCE(sd.product, debtors_debt.product),
                       recalled_on = NULL, updated_at = %(now)s, import_hash = sd.new_hash
                FROM import_stage_debt sd
                WHERE debtors_debt.id = sd.debt_id AND (sd.changed = 1 OR {_HASH_ONLY})"""
            )
            run(
                """INSERT INTO debtors_balancechange (debt_id, old_balance, new_balance, at, source)
                SELECT debt_id, old_balance, balance, %(now)s, %(source)s FROM import_stage_debt
                WHERE debt_id IS NOT NULL AND old_balance <> balance""",
                {"source": BalanceChange.Source.IMPORT},
            )
            columns, values, insert_params = _insert_parts(
                Debt,
                {
                    "debtor_id": "debtor_id",
                    "account_reference": "account_reference",
                    "product": "COALESCE(product, '')",
                    "original_amount": "COALESCE(original_amount, balance)",
                    "balance": "balance",
                    "currency": "currency",
                    "due_date": "due_date",
                    "recalled_on": "NULL",
                    "created_at": "%(now)s",
                    "updated_at": "%(now)s",
                    "import_hash": "new_hash",
                },
                self.connection,
            )
            run(
                f"INSERT INTO debtors_debt ({columns}) SELECT {values} FROM import_stage_debt WHERE debt_id IS NULL",
                insert_params,
            )
            if undo_run:
                # A new debtor's debts and phones go with the debtor; a stored debtor's new ones
                # are recorded one by one.
                run(
                    _UNDO_CREATED.format(
                        kind="balancechange",
                        ids="""SELECT b.id AS row_id FROM debtors_balancechange b
                    JOIN import_stage_debt sd ON b.debt_id = sd.debt_id
                    WHERE sd.old_balance <> sd.balance AND b.at = %(now)s""",
                    )
                )
                run(
                    _UNDO_CREATED.format(
                        kind="debt",
                        ids="""SELECT t.id AS row_id FROM debtors_debt t
                    JOIN import_stage_debt sd ON t.debtor_id = sd.debtor_id AND t.account_reference = sd.account_reference
                    WHERE sd.is_new = 0 AND sd.debt_id IS NULL""",
                    )
                )

            # 8. New phones (the same number twice in a chunk is added once: grouped above; no
            #    ON CONFLICT needed under the lock, and a plain INSERT is cheaper), in number
            #    order for the same reason as the debtors' national ids.
            columns, values, insert_params = _insert_parts(
                Phone, {"debtor_id": "debtor_id", "number": "number", "created_at": "%(now)s"}, self.connection
            )
            run(
                f"INSERT INTO debtors_phone ({columns}) SELECT {values} FROM import_stage_new_phone ORDER BY number{self.bytewise}",
                insert_params,
            )
            if undo_run:
                run(
                    _UNDO_CREATED.format(
                        kind="phone",
                        ids="""SELECT p.id AS row_id FROM debtors_phone p
                    JOIN import_stage_new_phone n ON p.debtor_id = n.debtor_id AND p.number = n.number
                    WHERE n.is_new = 0""",
                    )
                )

            # 9. Customers who were there before this chunk and whose debts changed: their
            #    queue figures again, from all their debts (a file need not list every account).
            run(
                f"""{QUEUE_FIGURES_SQL} WHERE id IN (
                    SELECT sd.debtor_id FROM import_stage_debt sd
                    WHERE sd.is_new = 0 AND (sd.changed = 1 OR sd.debt_id IS NULL))"""
            )
            for table in _CHUNK_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            if self.postgres:
                # Emptied for good: a DELETE would leave the dead rows for every later chunk's
                # scans to step over (nothing vacuums temp tables).
                cursor.execute("TRUNCATE import_stage_row, import_stage_phone, import_stage_key")
            else:
                cursor.execute("DELETE FROM import_stage_row")
                cursor.execute("DELETE FROM import_stage_phone")
                if skipped:
                    cursor.execute("DELETE FROM import_stage_key")
        return result

    def recall_absent(self, *, portfolio, now: datetime, today: date, undo_run: str | None = None) -> int:
        """ "The whole portfolio": debts of customers absent from the file are recalled (after
        the last chunk). Returns the number of debts recalled. `undo_run`: as merge_chunk's."""
        ops = self.connection.ops
        params = {
            "portfolio": portfolio.pk,
            "now": ops.adapt_datetimefield_value(now),
            "today": ops.adapt_datefield_value(today),
            "run": undo_run,
        }
        absent = f"NOT EXISTS (SELECT 1 FROM import_seen i WHERE i.external_id = d.external_id{self.bytewise})"
        with self.connection.cursor() as cursor:
            if undo_run:
                absent_ids = f"SELECT d.id FROM debtors_debtor d WHERE d.portfolio_id = %(portfolio)s AND {absent}"
                cursor.execute(_UNDO_DEBTOR_BEFORE.format(ids=absent_ids), params)
                cursor.execute(
                    _UNDO_DEBT_BEFORE.format(
                        ids=f"SELECT id FROM debtors_debt WHERE recalled_on IS NULL AND debtor_id IN ({absent_ids})"
                    ),
                    params,
                )
            cursor.execute(
                f"""UPDATE debtors_debt SET recalled_on = %(today)s, updated_at = %(now)s, import_hash = NULL
                WHERE recalled_on IS NULL AND debtor_id IN (
                    SELECT d.id FROM debtors_debtor d WHERE d.portfolio_id = %(portfolio)s AND {absent})""",
                params,
            )
            recalled = cursor.rowcount
            if recalled:
                # Every debt of an absent customer is recalled now: nothing of theirs is open.
                cursor.execute(
                    f"""UPDATE debtors_debtor SET open_balance = 0, arrears_since = NULL
                    WHERE id IN (SELECT d.id FROM debtors_debtor d WHERE d.portfolio_id = %(portfolio)s AND {absent})
                    AND (open_balance <> 0 OR arrears_since IS NOT NULL)""",
                    params,
                )
        return recalled

    def known_row_hashes(self, portfolio) -> array:
        """The row hashes a re-import may count unchanged unread (Debt.import_hash), sorted.

        Only those still valid: the debt not recalled, and its debtor not written since the
        import that kept the hash (a name, a hold or a phone changed by hand; a later import's
        row for another account of theirs). 8 bytes each: 8 MB for a million debts.
        """
        sql = """SELECT t.import_hash FROM debtors_debt t JOIN debtors_debtor d ON d.id = t.debtor_id
                 WHERE d.portfolio_id = %s AND t.import_hash IS NOT NULL AND t.recalled_on IS NULL
                   AND d.updated_at <= t.updated_at
                 ORDER BY t.import_hash"""
        hashes = array("q")
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            if self.postgres:
                # As text through COPY, parsed as it comes: a plain fetch would hold a million
                # tuples at once.
                sink = _IntegerSink(hashes)
                cursor.cursor.copy_expert(
                    f"COPY ({cursor.cursor.mogrify(sql, [portfolio.pk]).decode()}) TO STDOUT", sink
                )
                sink.close()
            else:
                cursor.execute(sql, [portfolio.pk])
                while rows := cursor.fetchmany(10_000):
                    hashes.extend(row[0] for row in rows)
        logger.debug("%d known row hashes read in %.2f s", len(hashes), time.perf_counter() - started)
        return hashes

    def _probe(self, table: str, columns: str, condition: str) -> str:
        """A LEFT JOIN that looks each staged row up in a stored table by its unique key
        (`table` with its alias, the `columns` wanted, the `condition` over both).

        On PostgreSQL a LATERAL subquery with LIMIT 1: one index probe per staged row. As a
        plain join the planner prices a scan of the whole table below 50,000 probes, so the
        whole, growing, table was read again for every chunk (O(n²) over a file); a term on
        the staged row alone (is_new = 0) skips the probe altogether.
        """
        alias = table.split()[-1]
        if self.postgres:
            return f"LEFT JOIN LATERAL (SELECT {columns} FROM {table} WHERE {condition} LIMIT 1) {alias} ON TRUE"
        return f"LEFT JOIN {table} ON {condition}"

    def _analyze(self, *tables) -> None:
        # Autovacuum never analyses temp tables: without statistics the planner guesses a
        # thousand rows and picks nested loops over a million.
        if self.postgres:
            started = time.perf_counter()
            with self.connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ANALYZE {table}")
            logger.debug("analyzed %s in %.2f s", ", ".join(tables), time.perf_counter() - started)


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


# Staged rows whose debt stays as it is but whose stored hash is to be written (sd: import_stage_debt).
_HASH_ONLY = "sd.changed = 0 AND sd.debt_id IS NOT NULL AND (sd.new_hash IS NOT NULL OR sd.old_hash IS NOT NULL)"

# What a chunk records for undoing it (SQLite only: see debtors.models.ImportUndo). The first
# record of a row wins (ON CONFLICT DO NOTHING): its state before the import's first change.
_UNDO_CREATED = """INSERT INTO debtors_importundo (run, kind, row_id, before)
    SELECT %(run)s, '{kind}', created.row_id, NULL FROM ({ids}) created WHERE 1 = 1 ON CONFLICT DO NOTHING"""
_UNDO_DEBTOR_BEFORE = """INSERT INTO debtors_importundo (run, kind, row_id, before)
    SELECT %(run)s, 'debtor', d.id, json_object('full_name', d.full_name, 'national_id', d.national_id, 'email', d.email,
        'time_zone', d.time_zone, 'open_balance', d.open_balance, 'arrears_since', d.arrears_since,
        'updated_at', d.updated_at)
    FROM debtors_debtor d WHERE d.id IN ({ids}) ON CONFLICT DO NOTHING"""
_UNDO_DEBT_BEFORE = """INSERT INTO debtors_importundo (run, kind, row_id, before)
    SELECT %(run)s, 'debt', t.id, json_object('balance', t.balance, 'due_date', t.due_date, 'currency', t.currency,
        'original_amount', t.original_amount, 'product', t.product, 'recalled_on', t.recalled_on,
        'updated_at', t.updated_at, 'import_hash', t.import_hash)
    FROM debtors_debt t WHERE t.id IN ({ids}) ON CONFLICT DO NOTHING"""


class _IntegerSink:
    """A file for COPY … TO STDOUT that appends the integers it is written, one a line, to an array."""

    def __init__(self, target: array):
        self.target = target
        self.tail = ""

    def write(self, data) -> None:
        text = self.tail + (data.decode() if isinstance(data, bytes) else data)
        cut = text.rfind("\n") + 1
        self.target.extend(map(int, text[:cut].split()))
        self.tail = text[cut:]

    def close(self) -> None:
        if self.tail.strip():
            self.target.extend(map(int, self.tail.split()))
        self.tail = ""


def csv_text(values) -> str:
    # CSV through the csv module (C code) is the cheapest way to quote a million rows;
    # NULL is spelled \\N so that an empty cell stays an empty string.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(values)
    return buffer.getvalue()


def _sqlite_value(value):
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _insert_parts(model, given: dict[str, str], connection) -> tuple[str, str, dict]:
    """Columns and SELECT expressions for an INSERT … SELECT into `model`'s table.

    `given` maps a column to an SQL expression over the staging table; every other concrete
    column gets the model field's default as a parameter, so a field added to the model
    later (with a default) does not break the import.
    """
    columns, values, params = [], [], {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(model_field.column)
        if model_field.column in given:
            values.append(given[model_field.column])
        else:
            name = f"default_{model_field.column}"
            params[name] = model_field.get_db_prep_save(model_field.get_default(), connection)
            values.append(f"%({name})s")
    return ", ".join(columns), ", ".join(values), params
