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
