"""Merging the staged rows of a chunk into debtors, debts, phones and balance changes.

`ChunkMerge` is the merging half of `staging.Staging`: the transaction's settings and lock
(`begin`, `end`), `merge_chunk` (which runs the steps of merge_debtors and merge_debts), and
the statements before and after the chunks: the row hashes a re-import may skip, and "the
whole portfolio". The semantics are described in staging's docstring.
"""

import logging
import time
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime

from debtors.importing.merge_debtors import DebtorSteps
from debtors.importing.merge_debts import DebtSteps
from debtors.importing.merge_sql import _UNDO_DEBT_BEFORE, _UNDO_DEBTOR_BEFORE

_CHUNK_TABLES = ("import_stage_debtor", "import_stage_debt", "import_stage_new_phone", "import_stage_duplicate")
logger = logging.getLogger(__name__)


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # (row, customer code, the earlier row with the same key), for the rejected-rows report.
    duplicates: list[tuple[int, str, int]] = field(default_factory=list)


class ChunkMerge(DebtorSteps, DebtSteps):
    """The merge's methods of Staging (which sets `connection`, `postgres`, `bytewise`,
    `checks_references` and `debtor_id_sequence`)."""

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

            # 1–2. The chunk's customers, and the debtors written (merge_debtors); 3–5. every
            #    row compared with its stored debt, and counted; 6–9. debts, balance changes,
            #    phones and queue figures written (merge_debts).
            self._merge_debtors(cursor, run, undo_run)
            self._compare_rows(cursor, run, result, skipped)
            self._write_rows(run, undo_run)
            # The chunk's own tables go; the staging tables are emptied for the next chunk.
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
