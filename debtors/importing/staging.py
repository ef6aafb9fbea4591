"""The writing half of the portfolio importer: parsed rows go to a staging table, then a
handful of set-based statements move them into debtors, debts, phones and balance changes.

Why a staging table: a million rows upserted in batches from Python cost a round trip and
an index probe per batch and per row (217 s with bulk_create, see PERF-NOTES); staged with
PostgreSQL's COPY and merged with one INSERT … SELECT / UPDATE … FROM per table, the
database does the joins as hash joins. SQLite runs the same SQL (it has UPDATE … FROM and
INSERT … ON CONFLICT since 3.33) and is filled with executemany instead of COPY.

The staging tables are TEMP tables: private to the connection, so two imports running at
once in two workers never see each other's rows, and gone when the connection closes.
They are filled outside the import's transaction (each COPY commits on its own), so the
job's progress row can be committed between batches; nothing real is written until
`merge()`, which runs in one transaction.

Semantics (the same as the batched loader it replaced):
- a row is keyed by (customer code, account reference); a key seen earlier in the file
  makes the later row rejected — the first one wins, so no duplicate debtor or debt;
- a customer's details come from their first row in the file; a column that is not mapped
  (NULL in staging) leaves the stored value alone;
- a debt whose balance changes leaves a BalanceChange; a recalled debt that comes back in a
  file is active again; phones are only ever added;
- created = the row's debt is new; updated = its debt, its debtor or its phones changed;
  unchanged = nothing to write (and nothing is written: rows are compared first).
"""

import csv
import io
from datetime import date, datetime

from django.db import connection, transaction

from debtors.models import BalanceChange, Debt, Debtor, Phone

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
)
_TABLES = ("import_stage_row", "import_stage_phone", "import_stage_debtor", "import_stage_debt", "import_stage_new_phone")
_NULL = "\\N"


class Staging:
    """Temp tables for one import on the current connection; use as a context manager."""

    def __init__(self):
        self.vendor = connection.vendor
        self.postgres = self.vendor == "postgresql"

    def __enter__(self):
        self.drop()
        numeric = "numeric(14, 2)" if self.postgres else "NUMERIC"
        text = "text"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""CREATE TEMP TABLE import_stage_row (
                    row_no integer {"PRIMARY KEY" if not self.postgres else "NOT NULL"},
                    external_id {text} NOT NULL, account_reference {text} NOT NULL, full_name {text} NOT NULL,
                    national_id {text}, email {text}, time_zone {text},
                    balance {numeric} NOT NULL, due_date date NOT NULL, original_amount {numeric},
                    product {text}, currency {text} NOT NULL)"""
            )
            cursor.execute(
                f"CREATE TEMP TABLE import_stage_phone (row_no integer NOT NULL, external_id {text} NOT NULL, number {text} NOT NULL)"
            )
        return self

    def __exit__(self, *exc_info):
        self.drop()

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for table in _TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")

    # --- Filling ---------------------------------------------------------------------------

    def add(self, rows) -> None:
        """Stage a batch of ParsedRow (rows that passed the per-cell checks)."""
        if not rows:
            return
        null = _NULL if self.postgres else None
        row_values = []
        for row in rows:
            debtor, debt = row.debtor, row.debt
            original_amount = debt["original_amount"]
            row_values.append((
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
            ))
        phone_values = [(row.number, row.external_id, number) for row in rows for number in row.phones]
        if self.postgres:
            self._copy("import_stage_row", ROW_COLUMNS, row_values)
            self._copy("import_stage_phone", ("row_no", "external_id", "number"), phone_values)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO import_stage_row ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join(['%s'] * len(ROW_COLUMNS))})",
                    [tuple(_sqlite_value(value) for value in values) for values in row_values],
                )
                if phone_values:
                    cursor.executemany(
                        "INSERT INTO import_stage_phone (row_no, external_id, number) VALUES (%s, %s, %s)", phone_values
                    )

    def _copy(self, table: str, columns, values) -> None:
        if not values:
            return
        # CSV through the csv module (C code) is the cheapest way to quote a million rows;
        # NULL is spelled \\N so that an empty cell stays an empty string.
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(values)
        buffer.seek(0)
        with connection.cursor() as cursor:
            # psycopg2's cursor under Django's wrapper; COPY streams the buffer in chunks.
            cursor.cursor.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')", buffer, size=1 << 20
            )

    # --- Merging ---------------------------------------------------------------------------

    def duplicates(self) -> list[tuple[int, str, int]]:
        """Rows whose (customer code, account) an earlier row already had: (row, code, first row).

        They are removed from staging; the caller reports them as rejected.
        """
        self._analyze("import_stage_row", "import_stage_phone")
        with transaction.atomic(), connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SET LOCAL work_mem = '256MB'")  # the GROUP BY of a million keys
            cursor.execute(
                """SELECT s.row_no, s.external_id, f.first_row
                   FROM import_stage_row s
                   JOIN (SELECT external_id, account_reference, MIN(row_no) AS first_row
                         FROM import_stage_row GROUP BY external_id, account_reference HAVING COUNT(*) > 1) f
                     ON f.external_id = s.external_id AND f.account_reference = s.account_reference
                   WHERE s.row_no <> f.first_row
                   ORDER BY s.row_no"""
            )
            found = cursor.fetchall()
            if found:
                cursor.execute("CREATE TEMP TABLE import_stage_duplicate (row_no integer PRIMARY KEY)")
                cursor.executemany("INSERT INTO import_stage_duplicate (row_no) VALUES (%s)", [(row,) for row, *_ in found])
                for table in ("import_stage_row", "import_stage_phone"):
                    cursor.execute(f"DELETE FROM {table} WHERE row_no IN (SELECT row_no FROM import_stage_duplicate)")
                cursor.execute("DROP TABLE import_stage_duplicate")
        return found

    def merge(self, *, portfolio, now: datetime, today: date, whole_portfolio: bool) -> dict:
        """Write the staged rows into the real tables; returns the counts. Call inside a transaction."""
        ops = connection.ops
        at = ops.adapt_datetimefield_value(now)
        params = {"portfolio": portfolio.pk, "now": at, "today": ops.adapt_datefield_value(today), "zone": portfolio.default_time_zone}
        with connection.cursor() as cursor:
            if self.postgres:
                # Server memory for the hash joins and the sort of a million staged rows, for
                # this transaction only: with the default 4 MB they spill to disk in batches.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                # One merge at a time per portfolio: two files loaded at once into the same
                # portfolio wait for each other instead of racing on the same customers
                # (SQLite has a single writer anyway).
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [6, portfolio.pk])
            run = lambda sql, extra=None: cursor.execute(sql, {**params, **(extra or {})})  # noqa: E731

            # 1. One line per customer (their first row), matched with the stored debtor.
            first_row = (
                "SELECT DISTINCT ON (external_id) * FROM import_stage_row ORDER BY external_id, row_no"
                if self.postgres
                else "SELECT s.* FROM import_stage_row s JOIN (SELECT MIN(row_no) AS row_no FROM import_stage_row"
                " GROUP BY external_id) f ON f.row_no = s.row_no"
            )
            run(
                f"""CREATE TEMP TABLE import_stage_debtor AS
                SELECT s.external_id, s.full_name, s.national_id, s.email, s.time_zone, d.id AS debtor_id,
                       CASE WHEN d.id IS NULL THEN 1
                            WHEN d.full_name <> s.full_name
                              OR (s.national_id IS NOT NULL AND d.national_id <> s.national_id)
                              OR (s.email IS NOT NULL AND d.email <> s.email)
                              OR (s.time_zone IS NOT NULL AND d.time_zone <> s.time_zone) THEN 1
                            ELSE 0 END AS changed
                FROM ({first_row}) s
                LEFT JOIN debtors_debtor d ON d.portfolio_id = %(portfolio)s AND d.external_id = s.external_id"""
            )
            if not self.postgres:
                cursor.execute("CREATE INDEX import_stage_debtor_code ON import_stage_debtor (external_id)")
            self._analyze("import_stage_debtor")

            # 2. Debtors: new ones inserted, changed ones updated, the others not touched.
            columns, values, insert_params = _insert_parts(
                Debtor,
                {
                    "portfolio_id": "%(portfolio)s",
                    "external_id": "external_id",
                    "full_name": "full_name",
                    "national_id": "COALESCE(national_id, '')",
                    "email": "COALESCE(email, '')",
                    "time_zone": "COALESCE(time_zone, %(zone)s)",
                    "created_at": "%(now)s",
                    "updated_at": "%(now)s",
                },
            )
            run(
                f"INSERT INTO debtors_debtor ({columns}) SELECT {values} FROM import_stage_debtor WHERE debtor_id IS NULL",
                insert_params,
            )
            run(
                """UPDATE debtors_debtor SET full_name = i.full_name,
                       national_id = COALESCE(i.national_id, debtors_debtor.national_id),
                       email = COALESCE(i.email, debtors_debtor.email),
                       time_zone = COALESCE(i.time_zone, debtors_debtor.time_zone),
                       updated_at = %(now)s
                FROM import_stage_debtor i
                WHERE debtors_debtor.id = i.debtor_id AND i.changed = 1"""
            )

            # 3. Every row with its debtor's id and its stored debt, compared.
            run(
                """CREATE TEMP TABLE import_stage_debt AS
                SELECT s.row_no, s.external_id, d.id AS debtor_id, s.account_reference, s.balance, s.due_date,
                       s.original_amount, s.product, s.currency, t.id AS debt_id, t.balance AS old_balance,
                       CASE WHEN t.id IS NULL THEN 0
                            WHEN t.balance <> s.balance OR t.due_date <> s.due_date OR t.currency <> s.currency
                              OR t.recalled_on IS NOT NULL
                              OR (s.original_amount IS NOT NULL AND t.original_amount <> s.original_amount)
                              OR (s.product IS NOT NULL AND t.product <> s.product) THEN 1
                            ELSE 0 END AS changed
                FROM import_stage_row s
                JOIN debtors_debtor d ON d.portfolio_id = %(portfolio)s AND d.external_id = s.external_id
                LEFT JOIN debtors_debt t ON t.debtor_id = d.id AND t.account_reference = s.account_reference"""
            )
            # 4. Phones the debtor does not have yet.
            run(
                """CREATE TEMP TABLE import_stage_new_phone AS
                SELECT MIN(p.row_no) AS row_no, d.id AS debtor_id, p.number
                FROM import_stage_phone p
                JOIN debtors_debtor d ON d.portfolio_id = %(portfolio)s AND d.external_id = p.external_id
                WHERE NOT EXISTS (SELECT 1 FROM debtors_phone o WHERE o.debtor_id = d.id AND o.number = p.number)
                GROUP BY d.id, p.number"""
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
            created, updated, total = cursor.fetchone()

            # 6. Balance changes, then the debts themselves.
            run(
                """INSERT INTO debtors_balancechange (debt_id, old_balance, new_balance, at, source)
                SELECT debt_id, old_balance, balance, %(now)s, %(source)s FROM import_stage_debt
                WHERE debt_id IS NOT NULL AND old_balance <> balance""",
                {"source": BalanceChange.Source.IMPORT},
            )
            run(
                """UPDATE debtors_debt SET balance = sd.balance, due_date = sd.due_date, currency = sd.currency,
                       original_amount = COALESCE(sd.original_amount, debtors_debt.original_amount),
                       product = COALESCE(sd.product, debtors_debt.product),
                       recalled_on = NULL, updated_at = %(now)s
                FROM import_stage_debt sd
                WHERE debtors_debt.id = sd.debt_id AND sd.changed = 1"""
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
                },
            )
            run(f"INSERT INTO debtors_debt ({columns}) SELECT {values} FROM import_stage_debt WHERE debt_id IS NULL", insert_params)

            # 7. New phones (the same number twice in a file is added once: grouped above; no
            #    ON CONFLICT needed under the lock, and a plain INSERT is cheaper).
            columns, values, insert_params = _insert_parts(
                Phone, {"debtor_id": "debtor_id", "number": "number", "created_at": "%(now)s"}
            )
            run(
                f"INSERT INTO debtors_phone ({columns}) SELECT {values} FROM import_stage_new_phone",
                insert_params,
            )

            # 8. "The whole portfolio": debts of customers absent from the file are recalled.
            recalled = 0
            if whole_portfolio:
                run(
                    """UPDATE debtors_debt SET recalled_on = %(today)s, updated_at = %(now)s
                    WHERE recalled_on IS NULL AND debtor_id IN (
                        SELECT d.id FROM debtors_debtor d WHERE d.portfolio_id = %(portfolio)s
                        AND NOT EXISTS (SELECT 1 FROM import_stage_debtor i WHERE i.external_id = d.external_id))"""
                )
                recalled = cursor.rowcount
        return {"created": created, "updated": updated, "unchanged": total - created - updated, "recalled": recalled}

    def _analyze(self, *tables) -> None:
        # Autovacuum never analyses temp tables: without statistics the planner guesses a
        # thousand rows and picks nested loops over a million.
        if self.postgres:
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ANALYZE {table}")


def _sqlite_value(value):
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _insert_parts(model, given: dict[str, str]) -> tuple[str, str, dict]:
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
