"""Ids as a database in use has them: each table's next id far above 1,000, and different per table.

A fresh test database numbers every table from 1, so a debtor, its phone and its call can share
an id and a template that prints "1 024" for 1024 goes unnoticed. `push_id_sequences` moves the
sequences on (PostgreSQL `setval`, SQLite `sqlite_sequence`), never back.
"""

from django.db import connection


def push_id_sequences(starts: dict) -> None:
    """{Model: first id} for each model: the next row of that table gets at least that id."""
    with connection.cursor() as cursor:
        for model, start in starts.items():
            table = model._meta.db_table
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(%s, (SELECT COALESCE(MAX(id), 0) FROM {quoted})))",
                    [table, start - 1],
                )
            else:
                cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [start - 1, table])
                if cursor.rowcount == 0:
                    cursor.execute(
                        f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, MAX(%s, COALESCE(MAX(id), 0)) FROM {quoted}",
                        [table, start - 1],
                    )


def realistic_ids() -> None:
    """The tables the desk writes, each at its own height above 1,000."""
    from calls.models import Call, FollowUp, FollowUpEvent
    from debtors.models import Debt, Debtor, Phone
    from promises.models import Promise

    push_id_sequences(
        {Debtor: 2_981, Debt: 4_507, Phone: 3_702, Call: 14_233, FollowUp: 52_118, FollowUpEvent: 7_040, Promise: 8_145}
    )
