"""Ids as a real install has them: above 1,000, and different in every table.

With small ids a localised "1 234" never shows up, and a promise id that happens to equal its
debtor's id hides a mixed-up column; tests that print, link or export ids start from here.
"""

from django.apps import apps
from django.db import connection


def raise_id_sequences(start: int = 1_000) -> None:
    """The next id of every table above `start`, each table in its own thousand (2002, 3003, …)."""
    models = sorted(
        (
            model
            for model in apps.get_models()
            if model._meta.managed
            and not model._meta.proxy
            and model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
        ),
        key=lambda model: model._meta.db_table,
    )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for number, model in enumerate(models, start=1):
            table, column = model._meta.db_table, model._meta.pk.column
            # Never below a row already there: rows made before the call keep their ids, and
            # PostgreSQL's sequences do not roll back with the test's transaction.
            cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")
            value = max(start + 1_000 * number + number, cursor.fetchone()[0] + 1)
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), GREATEST(%s, nextval(pg_get_serial_sequence(%s, %s))), false)",
                    [table, column, value, table, column],
                )
            else:  # SQLite: Django's tables use AUTOINCREMENT, whose counters live in sqlite_sequence
                cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [value - 1, table])
                if cursor.rowcount == 0:
                    cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, value - 1])
