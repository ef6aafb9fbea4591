import io

from django.db import connection


def test_database_url() -> str:
    """The URL of the database the running test uses, for a subprocess to share it."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = params["USER"]
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


def xlsx_workbook(header: list, rows: list[list]) -> io.BytesIO:
    """An .xlsx file in memory: a header row, then the rows (real dates and numbers stay so)."""
    from openpyxl import Workbook

    book = Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def start_ids_above(floor: int = 2000) -> None:
    """Make every table's next id exceed `floor`, as on a database that has been in use a while.

    Ids of four digits and more are where a localised number ("2 996", "2,996") would break a
    link or a form value; tests of pages and forms start there."""
    from django.apps import apps

    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            pk = model._meta.pk
            if not pk.get_internal_type().endswith("AutoField"):
                continue
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), GREATEST(%s, (SELECT COALESCE(MAX(" + connection.ops.quote_name(pk.column) + "), 0) FROM " + connection.ops.quote_name(table) + ")))",
                    [table, pk.column, floor],
                )
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT %s, MAX(%s, COALESCE(MAX(" + connection.ops.quote_name(pk.column) + "), 0)) FROM " + connection.ops.quote_name(table),
                    [table, floor],
                )
