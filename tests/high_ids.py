"""Ids as a real install has them: above 1,000, and different in every table.

With small ids a localised "1 234" never shows up, and a promise id that happens to equal its
debtor's id hides a mixed-up column; tests that print, link or export ids use the `high_ids`
fixture (registered in tests/conftest.py).
"""

import pytest
from django.apps import apps
from django.db import connection


def _models():
    return sorted(
        (
            model
            for model in apps.get_models()
            if model._meta.managed
            and not model._meta.proxy
            and model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
        ),
        key=lambda model: model._meta.db_table,
    )


def raise_id_sequences(start: int = 1_000) -> dict:
    """The next id of every table above `start`, each table in its own thousand (2002, 3003, …).

    Returns what `restore_id_sequences` needs to put PostgreSQL's sequences back: they do not
    roll back with the test's transaction, and the rest of the suite expects its usual ids."""
    quote = connection.ops.quote_name
    saved = {}
    with connection.cursor() as cursor:
        for number, model in enumerate(_models(), start=1):
            table, column = model._meta.db_table, model._meta.pk.column
            # Never below a row already there: rows made before the call keep their ids.
            cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")
            value = max(start + 1_000 * number + number, cursor.fetchone()[0] + 1)
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
                sequence = cursor.fetchone()[0]
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                saved[sequence] = cursor.fetchone()
                cursor.execute("SELECT setval(%s, GREATEST(%s, nextval(%s)), false)", [sequence, value, sequence])
            else:  # SQLite: Django's tables use AUTOINCREMENT, whose counters live in sqlite_sequence
                cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [value - 1, table])
                if cursor.rowcount == 0:
                    cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, value - 1])
    return saved


def restore_id_sequences(saved: dict) -> None:
    """PostgreSQL's sequences as they were (SQLite's counters roll back with the test)."""
    with connection.cursor() as cursor:
        for sequence, (last_value, is_called) in saved.items():
            cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])


@pytest.fixture
def high_ids(db):
    saved = raise_id_sequences()
    yield
    restore_id_sequences(saved)
