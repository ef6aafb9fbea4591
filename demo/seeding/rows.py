"""Writing the demo's rows: ids handed out in advance, table locks, INSERT or COPY per table.

bulk_create spends ~60 µs of Python per row preparing values (measured: ~95 µs a call
row on PostgreSQL), which makes a million debtors a half-hour job. The demo writes plain
rows instead: ids handed out before the rows exist, so children point at their parents
without a round trip, and one COPY per table and chunk on PostgreSQL.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import operator
from collections.abc import Callable
from datetime import datetime

from django.db.models import Model

from calls.models import Call, FollowUp
from collections_crm.lib.background import OneInFlight
from debtors.models import Debt, Debtor, Phone
from promises.models import Arrangement, Payment, PaymentAllocation, Promise, PromiseEvent


class IdAllocator:
    """Primary keys for rows that do not exist yet, reserved in blocks per table.

    Make one per seeding transaction, after lock_tables_for_seeding(): while the tables
    are locked nobody else takes ids from them, so a block can be a plain range. Ids
    reserved but not used are skipped by the sequence (a gap, as after a rollback).
    """

    def __init__(self, connection, *, block: int, before_query: Callable[[], None] = lambda: None):
        self.connection = connection
        self.block = block
        self.before_query = before_query
        self.free: dict[type[Model], list[int]] = {}
        self.highest_taken: dict[type[Model], int] = {}

    def take(self, model: type[Model]) -> int:
        free = self.free.get(model)
        if not free:
            free = self.free[model] = self._reserve(model)
        return free.pop()

    def top_up(self, model_classes, *, minimum: int) -> None:
        """Reserve a block for every table with fewer than `minimum` ids left.

        Called while the connection is idle, so that take() does not have to query in
        the middle of a chunk (and wait for the COPY in flight).
        """
        for model in model_classes:
            free = self.free.get(model, [])
            if len(free) < minimum:
                # Older ids sit at the end of the list, so pop() keeps handing them out first.
                self.free[model] = self._reserve(model) + free

    def _reserve(self, model: type[Model]) -> list[int]:
        table, pk = model._meta.db_table, model._meta.pk.column
        self.before_query()
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                # Move the sequence past the block: later inserts by anyone start after it.
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                    [table, pk, table, pk, self.block],
                )
                highest = cursor.fetchone()[0] - self.block
            else:
                # SQLite has no sequence to move: continue after the highest id ever used
                # (sqlite_sequence also remembers deleted ones) or handed out by this allocator.
                highest = self.highest_taken.get(model)
                if highest is None:
                    quote = self.connection.ops.quote_name
                    cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
                    highest = cursor.fetchone()[0]
                    cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
                    highest = max(highest, cursor.fetchone()[0])
                self.highest_taken[model] = highest + self.block
        return list(range(highest + self.block, highest, -1))  # pop() hands them out in ascending order


def lock_tables_for_seeding(connection, *, check_foreign_keys_now: bool) -> None:
    """Keep other writers out of the seeded tables until the transaction ends.

    SQLite already holds the database's write lock (transaction_mode IMMEDIATE). On
    PostgreSQL, SHARE ROW EXCLUSIVE blocks inserts but not reads, so the ids handed out
    by IdAllocator stay ours, and a second seed_demo run waits here instead of racing.

    `check_foreign_keys_now` (only for a transaction of our own, as the setting lasts
    until it ends): foreign keys are checked after each statement instead of at commit,
    so the server's queue of pending checks does not grow with the portfolio, and the
    checks run while the next chunk is being generated.
    """
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in MODELS_IN_ORDER)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        if check_foreign_keys_now:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


TEXT_FIELDS = ("CharField", "TextField", "EmailField", "SlugField", "URLField")


class RowWriter:
    """Inserts rows of one model given as {attname: value}; model defaults fill the rest.

    On PostgreSQL, copy_data() turns rows into CSV for COPY (see BackgroundCopy); other
    databases get an executemany with each value prepared by its field, as Django does.
    """

    def __init__(self, model: type[Model], connection, now: datetime):
        self.model = model
        self.connection = connection
        self.fields = list(model._meta.concrete_fields)
        self.defaults = {
            f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            for f in self.fields
        }
        self.known = frozenset(self.defaults)
        self.in_column_order = operator.itemgetter(*self.defaults)
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in self.fields)
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(self.fields))})"
        # CSV writes None as an empty unquoted field, which COPY reads as NULL; in NOT NULL
        # columns FORCE_NOT_NULL reads it as an empty string instead. str() spells every
        # other value the way PostgreSQL reads it (dates, Decimals, booleans, durations).
        not_null = ", ".join(quote(f.column) for f in self.fields if not f.null)
        force_not_null = f", FORCE_NOT_NULL ({not_null})" if not_null else ""
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv{force_not_null})"
        self.json_fields = {f.attname: i for i, f in enumerate(self.fields) if f.get_internal_type() == "JSONField"}
        # An empty string in a nullable text column would come back as NULL: refuse it.
        self.nullable_text = [f.attname for f in self.fields if f.null and f.get_internal_type() in TEXT_FIELDS]

    def _in_column_order(self, rows: list[dict]) -> list[tuple]:
        defaults, known = self.defaults, self.known
        for row in rows:
            if not row.keys() <= known:
                raise ValueError(f"{self.model.__name__} has no field {sorted(row.keys() - known)}")
        return [self.in_column_order({**defaults, **row}) for row in rows]

    def copy_data(self, rows: list[dict]) -> str:
        values = self._in_column_order(rows)
        if self.nullable_text and any(row.get(name) == "" for row in rows for name in self.nullable_text):
            raise ValueError(f"{self.model.__name__}: COPY cannot tell '' from NULL in {self.nullable_text}")
        for index, row in enumerate(rows):
            # Only rows that set a JSON field (its default is None here) need it spelled as JSON.
            if self.json_fields.keys() & row.keys():
                spelled = list(values[index])
                for column in self.json_fields.values():
                    if spelled[column] is not None:
                        spelled[column] = json.dumps(spelled[column])
                values[index] = tuple(spelled)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(values)
        return buffer.getvalue()

    def insert(self, rows: list[dict]) -> None:
        fields, connection = self.fields, self.connection
        prepared = [
            [None if v is None else f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
            for row in self._in_column_order(rows)
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.insert_sql, prepared)


class BackgroundCopy:
    """Runs one chunk's COPY statements in a thread while the next chunk is generated.

    PostgreSQL then inserts and checks foreign keys on one core while Python builds rows
    on the other; the driver lets go of the GIL while it waits for the server. The thread
    uses the same database connection, so the rows land in the seeding transaction;
    nothing else may use that connection until wait() returns.
    """

    def __init__(self, connection):
        self.raw_connection = connection.connection  # the driver's connection, shared with this thread
        self.in_flight: OneInFlight[None] = OneInFlight(name="seed_demo-copy")

    def submit(self, statements: list[tuple[str, str]]) -> None:
        self.in_flight.submit(functools.partial(self._copy, statements))

    def wait(self) -> None:
        self.in_flight.wait()

    def _copy(self, statements: list[tuple[str, str]]) -> None:
        with self.raw_connection.cursor() as cursor:
            for sql, data in statements:
                if hasattr(cursor, "copy_expert"):  # psycopg2
                    # One read of the whole buffer: the driver takes the GIL for every
                    # read, and each take can wait for the generating thread to yield.
                    cursor.copy_expert(sql, io.StringIO(data), size=len(data) + 1)
                else:  # psycopg 3
                    with cursor.copy(sql) as copy:
                        copy.write(data)


# Insert order: parents before children, as foreign keys may be checked after each statement.
MODELS_IN_ORDER = (
    Debtor,
    Debt,
    Phone,
    Call,
    Arrangement,
    Promise,
    PromiseEvent,
    Payment,
    PaymentAllocation,
    FollowUp,
)
ROW_NAMES = {
    Debtor: "debtors",
    Debt: "debts",
    Phone: "phones",
    Call: "calls",
    Arrangement: "arrangements",
    Promise: "promises",
    PromiseEvent: "promise events",
    Payment: "payments",
    PaymentAllocation: "payment allocations",
    FollowUp: "follow-ups",
}
