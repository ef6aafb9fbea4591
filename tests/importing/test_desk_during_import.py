"""The desk keeps working while a large file is imported.

SQLite has one writer at a time: an import that held the write lock for its whole merge made
every call logged meanwhile wait, and past the busy timeout fail with "database is locked".
These tests commit (transactional) and use threads with their own connections on the
file-based test database, as a web process and a worker do.
"""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from rest_framework.test import APIClient

from calls.models import Call
from collections_crm.users import services as user_services
from collections_crm.users.services import api_token_issue
from debtors.importing import loading
from debtors.importing.loading import portfolio_import
from debtors.importing.staging import Staging
from debtors.models import Debtor, ImportUndo
from tests import factories
from tests.api.conftest import WEDNESDAY

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 800
DESK_CALLS = 12
# What one row costs a merge here, inside its transaction: the ROWS of this file merged in
# one transaction hold the write lock 4 s, twice the desk's busy timeout below.
SECONDS_A_ROW = 0.005


def portfolio_file(tmp_path):
    path = tmp_path / "cartera.csv"
    lines = ["Código de cliente;Nombre;Celular;Saldo;Fecha de vencimiento"]
    lines += [f"N-{n:04d};Cliente {n};9{n:08d};{100 + n},00;31/12/2026" for n in range(1, ROWS + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_calls_and_reads_made_during_a_large_import_all_succeed(tmp_path, monkeypatch, carla, portfolio):
    desk = []
    for n in range(DESK_CALLS):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
        factories.make_debt(debtor=debtor)
        desk.append((debtor.pk, factories.make_phone(debtor=debtor, number=f"+5198765{n:04d}").pk))
    _token, key = api_token_issue(user=carla, name="Dialer")
    monkeypatch.setattr(user_services, "API_TOKEN_TOUCH_INTERVAL", timedelta(0))  # every read writes too
    monkeypatch.setattr(loading, "BATCH_SIZE", 20)
    if connection.vendor == "sqlite":  # the desk gives up after 2 s instead of 20
        monkeypatch.setitem(connections["default"].settings_dict["OPTIONS"], "timeout", 2)

    merging = threading.Event()
    real_merge = Staging.merge_chunk

    def costly_merge(self, **arguments):
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM import_stage_row")
            rows = cursor.fetchone()[0]
        result = real_merge(self, **arguments)
        merging.set()
        time.sleep(rows * SECONDS_A_ROW)  # still inside the merge's transaction
        return result

    monkeypatch.setattr(Staging, "merge_chunk", costly_merge)
    answers, errors, import_running = [], [], []
    importing = threading.Event()

    def collector_at_the_desk():
        from django.db import connection as own_connection

        try:
            merging.wait(timeout=30)
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            for debtor, phone in desk:
                read = client.get("/api/v1/debtors/", {"page_size": 5})
                logged = client.post(
                    "/api/v1/calls/", {"debtor": debtor, "phone": phone, "outcome": "no_answer"}, format="json"
                )
                answers.append((read.status_code, logged.status_code))
                import_running.append(importing.is_set())
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(repr(error))
        finally:
            own_connection.close()

    with time_machine.travel(WEDNESDAY, tick=False):  # calls to Peru are lawful then
        desk_thread = threading.Thread(target=collector_at_the_desk)
        desk_thread.start()
        importing.set()
        try:
            result = portfolio_import(file=portfolio_file(tmp_path), portfolio=portfolio)
        finally:
            importing.clear()
            desk_thread.join()

    assert errors == []
    assert answers == [(200, 201)] * DESK_CALLS
    assert import_running.count(True) >= DESK_CALLS // 2, import_running  # made while the import ran
    assert Call.objects.filter(debtor_id__in=[debtor for debtor, _phone in desk]).count() == DESK_CALLS
    assert (result.created, result.rejected) == (ROWS, 0)
    assert Debtor.objects.filter(portfolio=portfolio).count() == ROWS + DESK_CALLS
    assert not ImportUndo.objects.exists()  # a finished import forgets what it would have undone


def test_staging_a_batch_leaves_the_database_free_for_the_desk(tmp_path, monkeypatch, portfolio):
    # Rows are staged in a transaction of their own (one commit a batch, not one a row), which
    # writes only the import's TEMP tables: a call logged meanwhile must not wait for it.
    if connection.vendor == "sqlite":  # the desk gives up after 1 s instead of 20
        monkeypatch.setitem(connections["default"].settings_dict["OPTIONS"], "timeout", 1)
    written, errors = [], []

    def desk_write():
        from django.db import connection as own_connection

        try:
            written.append(factories.make_debtor(portfolio=portfolio, full_name=f"Escrito {len(written)}").pk)
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(repr(error))
        finally:
            own_connection.close()

    class RowsThatLetTheDeskWrite(list):
        """Staging reads its rows while it writes them: after the first, the desk writes."""

        def __iter__(self):
            for index, row in enumerate(list.__iter__(self)):
                if index == 1:
                    desk = threading.Thread(target=desk_write)
                    desk.start()
                    desk.join()
                yield row

    real_encode = Staging.encode

    def encode(self, rows):
        row_values, phone_values = real_encode(self, rows)
        return RowsThatLetTheDeskWrite(row_values), phone_values

    monkeypatch.setattr(Staging, "encode", encode)
    result = portfolio_import(file=portfolio_file(tmp_path), portfolio=portfolio)

    assert errors == []
    assert len(written) == -(-ROWS // loading.BATCH_SIZE)  # once a batch, each committed at once
    assert (result.created, result.rejected) == (ROWS, 0)
