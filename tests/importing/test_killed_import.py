"""An import that does not finish leaves nothing behind: not its rows, not the changes it made
to stored rows, not a new portfolio or creditor. On SQLite the import commits chunk by chunk
(so the desk can write between chunks) and what it committed is undone; on PostgreSQL its one
transaction is rolled back. These tests commit (transactional)."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone, translation

from debtors import services
from debtors.importing import loading
from debtors.importing.loading import ImportFileError, portfolio_get_or_create, portfolio_import
from debtors.models import BalanceChange, Creditor, Debt, Debtor, ImportJob, ImportUndo, Phone, Portfolio
from debtors.tasks import run_import_job

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "Código de cliente;Nombre;Celular;Nro. de crédito;Saldo;Fecha de vencimiento"


def csv_file(rows) -> bytes:
    return ("\n".join([HEADER, *(";".join(map(str, row)) for row in rows)]) + "\n").encode()


def state():
    """What a person sees of the portfolio: every debtor, debt and phone as stored."""
    return (
        sorted(Debtor.objects.values_list("external_id", "full_name", "open_balance", "arrears_since", "updated_at")),
        sorted(Debt.objects.values_list("account_reference", "balance", "due_date", "recalled_on", "updated_at")),
        sorted(Phone.objects.values_list("debtor__external_id", "number")),
        BalanceChange.objects.count(),
    )


def test_an_import_that_fails_half_way_puts_every_stored_row_back(monkeypatch, tmp_path):
    monkeypatch.setattr(loading, "BATCH_SIZE", 2)
    lima = portfolio_get_or_create(portfolio="Tarjetas", creditor="Banco Andino", country="PE")
    first = [(f"C-{n}", f"Cliente {n}", f"98765432{n}", f"CR-{n}", f"{100 + n},00", "31/08/2026") for n in range(1, 7)]
    path = tmp_path / "octubre.csv"
    path.write_bytes(csv_file(first))
    portfolio_import(file=path, portfolio=lima)
    before = state()

    # Next month: new balances and names, a new account and phone for stored customers, new
    # customers, and the customers absent from the file recalled (the whole portfolio)...
    second = [(f"C-{n}", f"Nombre nuevo {n}", "912345678", f"CR-{n}", f"{50 + n},00", "30/09/2026") for n in (1, 2, 3)]
    second += [("C-1", "Nombre nuevo 1", "", "CR-9", "10,00", "30/09/2026")]
    second += [(f"N-{n}", f"Nuevo {n}", "912345000", f"NR-{n}", "70,00", "30/09/2026") for n in range(1, 5)]
    path.write_bytes(csv_file(second))
    real_recall = loading.Staging.recall_absent

    def recall_then_fail(self, **arguments):  # ...and the worker fails after every chunk was written
        real_recall(self, **arguments)
        raise OSError("disk full")

    monkeypatch.setattr(loading.Staging, "recall_absent", recall_then_fail)
    with pytest.raises(OSError):
        portfolio_import(file=path, portfolio=lima, whole_portfolio=True)

    assert state() == before
    assert not ImportUndo.objects.exists()


def test_a_file_unreadable_half_way_into_a_new_portfolio_leaves_no_portfolio(monkeypatch, tmp_path):
    monkeypatch.setattr(loading, "BATCH_SIZE", 2)
    rows = [(f"C-{n}", f"Cliente {n}", "987654321", f"CR-{n}", "100,00", "31/08/2026") for n in range(1, 9)]
    path = tmp_path / "cartera.csv"
    path.write_bytes(csv_file(rows))
    real_rows = loading.SourceFile.rows

    def rows_then_broken(self):
        for number, (index, cells) in enumerate(real_rows(self)):
            if number == 6:  # three chunks are written by now
                raise ImportFileError("El archivo se cortó.")
            yield index, cells

    monkeypatch.setattr(loading.SourceFile, "rows", rows_then_broken)
    new = portfolio_get_or_create(portfolio="Consumo", creditor="Caja Sur", country="PE", save=False)
    with pytest.raises(ImportFileError):
        portfolio_import(file=path, portfolio=new)
    assert not Portfolio.objects.exists() and not Creditor.objects.exists() and not Debtor.objects.exists()


# A worker running one job, slowed down (0.3 s after each chunk, 5 rows a chunk) so that it
# can be killed half-way; it says "merged" once three chunks are merged.
WORKER = """
import os, sys, time
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "collections_crm.settings"
import django
from django.conf import settings
django.setup()
settings.DATABASES["default"]["NAME"] = sys.argv[1]
settings.MEDIA_ROOT = sys.argv[2]
from debtors import services
from debtors.importing import loading
from debtors.importing.staging import Staging
loading.BATCH_SIZE = loading.CHUNK_ROWS = loading.EDGE_CHUNK_ROWS = 5
real_merge, merged = Staging.merge_chunk, []
def slow_merge(self, **arguments):
    result = real_merge(self, **arguments)
    merged.append(1)
    if len(merged) == 3:
        print("merged", flush=True)
    time.sleep(0.3)
    return result
Staging.merge_chunk = slow_merge
services.import_job_run(job_id=int(sys.argv[3]))
"""


def test_a_worker_killed_mid_import_leaves_no_rows_nor_new_portfolio_and_the_job_failed(ana, monkeypatch, settings):
    rows = [(f"C-{n:03d}", f"Cliente {n}", "987654321", f"CR-{n:03d}", "100,00", "31/08/2026") for n in range(1, 201)]
    monkeypatch.setattr(run_import_job, "delay", lambda job_id: None)  # the worker below takes it
    with translation.override("en"):  # the job's messages are in the language it was started in
        job = services.import_job_create(
            user=ana,
            kind="portfolio",
            file=ContentFile(csv_file(rows), name="cartera.csv"),
            portfolio=portfolio_get_or_create(portfolio="Consumo", creditor="Caja Sur", country="PE", save=False),
        )
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(connection.settings_dict["NAME"]), str(settings.MEDIA_ROOT), str(job.pk)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DEBUG": "1"},
    )
    never_hang = threading.Timer(120, worker.kill)  # a worker that never gets there fails the test
    never_hang.start()
    try:
        said = worker.stdout.readline()
        assert said == "merged\n", worker.stderr.read()
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        never_hang.cancel()
        worker.kill()
        worker.wait()
        worker.stdout.close()
        worker.stderr.close()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING  # as a killed worker leaves it
    if connection.vendor == "sqlite":  # chunks committed one by one: some rows are there until the sweep
        assert Debtor.objects.exists()

    services.import_jobs_sweep(now=timezone.now() + services.IMPORT_STALLED_AFTER + timedelta(minutes=1))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "nothing was saved" in job.error_message
    assert not Debtor.objects.exists() and not Debt.objects.exists() and not Phone.objects.exists()
    assert not Portfolio.objects.exists() and not Creditor.objects.exists()
    assert not ImportUndo.objects.exists()
    assert job.can_run_again  # the file and the new portfolio's details are kept


def test_a_second_import_into_a_portfolio_being_loaded_waits_its_turn(tmp_path):
    lima = portfolio_get_or_create(portfolio="Tarjetas", creditor="Banco Andino", country="PE")
    # Another worker is loading a file into it (its last chunk committed a moment ago).
    ImportUndo.objects.create(
        run="a" * 32,
        kind="run",
        row_id=0,
        before={"alive_at": timezone.now().isoformat(), "done": False, "portfolio": lima.pk},
    )
    path = tmp_path / "otra.csv"
    path.write_bytes(csv_file([("C-1", "Ana", "987654321", "CR-1", "100,00", "31/08/2026")]))
    if connection.vendor == "sqlite":  # chunks of two imports would interleave: the second is refused
        with (
            translation.override("en"),
            pytest.raises(ImportFileError, match="Another file is being loaded into this portfolio"),
        ):
            portfolio_import(file=path, portfolio=lima)
        assert not Debtor.objects.exists()
    else:  # one transaction each, queued on the portfolio's advisory lock
        assert portfolio_import(file=path, portfolio=lima).created == 1
    assert list(ImportUndo.objects.values_list("run", flat=True)) == ["a" * 32]
