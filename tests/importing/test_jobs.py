"""Import jobs: created by admins only, run by a worker with the commands' engine, progress kept."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from debtors import services
from debtors.models import Debtor, ImportJob, ImportMapping
from debtors.services import import_sweep
from debtors.tasks import run_import_job

pytestmark = pytest.mark.django_db

CSV = (
    "Cartera de Banco Andino\r\n\r\n"
    "Código de cliente;Apellidos y nombres;Teléfono;Saldo deudor;Fecha de vencimiento\r\n"
    "C-001;Muñoz Pérez, José;987 654 321;1.234,56;31/08/2026\r\n"
    "C-002;Ríos, Ana;912345678;500,00;15/09/2026\r\n"
    "C-003;Quispe, Rosa;12;no sé;01/10/2026\r\n"
).encode("cp1252")


def create(user, portfolio, content=CSV, name="cartera.csv", **options):
    return services.import_job_create(
        user=user, kind="portfolio", file=ContentFile(content, name=name), portfolio=portfolio, **options
    )


def test_an_admins_job_runs_on_commit_and_records_counts_and_report(ana, lima, django_capture_on_commit_callbacks):
    with mock.patch.object(run_import_job, "delay", side_effect=lambda pk: run_import_job(pk)):
        with django_capture_on_commit_callbacks(execute=True):
            job = create(ana, lima)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count) == (2, 0, 0, 1)
    assert job.rows_done == job.rows_total == 3
    assert job.report.name.startswith("imports/") and job.report.size > 0
    assert job.created_by == ana and job.started_at and job.finished_at
    assert Debtor.objects.filter(portfolio=lima).count() == 2


@pytest.mark.parametrize("persona", ["sofia", "carla"])
def test_only_admins_may_start_an_import(persona, request, lima):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        create(user, lima)
    assert not ImportJob.objects.exists()


def test_a_file_that_cannot_be_read_fails_the_job_with_one_clear_message(ana, lima):
    job = create(ana, lima, content=b"\x00\x01\x02 binary", name="cartera.csv")
    with translation.override("en"):
        run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "not a CSV" in job.error_message or "cannot be read" in job.error_message
    assert not Debtor.objects.exists()


def test_running_a_job_twice_loads_it_once(ana, lima):
    job = create(ana, lima)
    assert run_import_job(job.pk) == "done"
    with mock.patch("debtors.importing.loading.portfolio_import") as engine:
        assert run_import_job(job.pk) == "done"
    engine.assert_not_called()


def test_a_confirmed_mapping_is_saved_for_the_creditor(ana, lima):
    mapping = {
        "external_id": "Código de cliente",
        "full_name": "Apellidos y nombres",
        "balance": "Saldo deudor",
        "due_date": "Fecha de vencimiento",
    }
    create(ana, lima, mapping=mapping)
    assert ImportMapping.objects.get(creditor=lima.creditor, kind="portfolio").mapping == mapping


def test_the_task_writes_rows_done_of_total_between_batches(ana, lima, monkeypatch):
    from debtors.importing.staging import Staging

    monkeypatch.setattr("debtors.importing.loading.BATCH_SIZE", 1)
    job = create(ana, lima)
    seen = []
    real_add = Staging.add

    def add(self, rows):
        seen.append(ImportJob.objects.values_list("status", "rows_done", "rows_total").get(pk=job.pk))
        return real_add(self, rows)

    monkeypatch.setattr(Staging, "add", add)
    run_import_job(job.pk)

    # Before each batch is staged the job shows the rows read so far, out of the file's rows.
    assert seen == [("running", 0, None), ("running", 1, 3), ("running", 2, 3)]
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.percent) == ("done", 3, 3, 100)


def test_time_left_follows_the_pace_so_far(ana, lima):
    from datetime import datetime

    import time_machine

    with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False):
        job = ImportJob(
            kind="portfolio",
            portfolio=lima,
            status=ImportJob.Status.RUNNING,
            started_at=datetime(2026, 11, 23, 11, 59, 30, tzinfo=UTC),
            rows_total=1000,
            rows_done=250,
        )
        assert job.seconds_left == 90  # 250 rows in 30 s: 750 more take 90 s
        assert job.percent == 25


def test_once_every_row_is_read_the_page_says_they_are_being_saved(client, ana, lima, monkeypatch):
    """The merge after reading reports no rows; the page says so instead of freezing at 99 %."""
    from debtors.importing.staging import Staging

    job = create(ana, lima)
    pages = []
    real_merge = Staging.merge_chunk

    def merge(self, *args, **kwargs):
        client.force_login(ana)
        pages.append(
            client.get(reverse("debtors:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
        )
        return real_merge(self, *args, **kwargs)

    monkeypatch.setattr(Staging, "merge_chunk", merge)
    run_import_job(job.pk)

    assert len(pages) == 1
    assert "guardándolas en la base de datos" in pages[0]  # ana works in Spanish, the default
    assert "value=" not in pages[0].split("<progress", 1)[1].split(">", 1)[0]  # an indeterminate bar
    assert "quedan unos" not in pages[0]  # no time left from the reading pace


# --- A worker that stops, a message that is lost, an upload left behind --------------------

SWEEP_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _running(job, *, heartbeat):
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=SWEEP_AT - timedelta(hours=1), heartbeat_at=heartbeat, rows_done=40
    )


def test_a_job_whose_worker_stopped_is_marked_failed_and_can_be_loaded_again(
    client, ana, lima, django_capture_on_commit_callbacks
):
    with mock.patch.object(run_import_job, "delay"):
        lost, alive = create(ana, lima), create(ana, lima, name="otra.csv")
    _running(lost, heartbeat=SWEEP_AT - timedelta(minutes=11))
    _running(alive, heartbeat=SWEEP_AT - timedelta(minutes=2))  # a long merge, its heartbeat still beating

    ImportJob.objects.filter(pk=lost.pk).update(language="en")  # the admin who loaded it reads English
    with translation.override("es"):  # the worker's own language
        swept = services.import_jobs_sweep(now=SWEEP_AT)

    assert swept["failed"] == 1
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert lost.status == ImportJob.Status.FAILED and lost.finished_at == SWEEP_AT
    assert "stopped" in lost.error_message and "nothing was saved" in lost.error_message
    assert alive.status == ImportJob.Status.RUNNING

    client.force_login(ana)
    page = client.get(reverse("debtors:import_detail", args=[lost.pk])).content.decode()
    assert "Cargar este archivo otra vez" in page  # ana's pages are in Spanish
    with mock.patch.object(run_import_job, "delay", side_effect=lambda pk: run_import_job(pk)):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("debtors:import_run_again", args=[lost.pk]))
    assert response.status_code == 302
    lost.refresh_from_db()
    assert lost.status == ImportJob.Status.DONE and lost.error_message == ""
    assert (lost.created_count, lost.rejected_count, lost.rows_done) == (2, 1, 3)
    assert Debtor.objects.filter(portfolio=lima).count() == 2


def test_a_running_job_from_before_heartbeats_counts_from_its_start(ana, lima):
    with mock.patch.object(run_import_job, "delay"):
        job = create(ana, lima)
    _running(job, heartbeat=None)  # started an hour before the sweep
    assert services.import_jobs_sweep(now=SWEEP_AT)["failed"] == 1


def test_only_a_failed_job_is_loaded_again_and_only_by_an_admin(client, ana, sofia, lima):
    with mock.patch.object(run_import_job, "delay"):
        job = create(ana, lima)
    with pytest.raises(ValidationError):
        services.import_job_run_again(user=ana, job=job)  # still pending
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    job.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.import_job_run_again(user=sofia, job=job)
    client.force_login(sofia)
    assert client.post(reverse("debtors:import_run_again", args=[job.pk])).status_code == 403
    assert client.get(reverse("debtors:import_run_again", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_a_pending_job_whose_message_was_lost_is_queued_again(ana, lima, django_capture_on_commit_callbacks):
    with mock.patch.object(run_import_job, "delay"):
        waiting, fresh = create(ana, lima), create(ana, lima, name="otra.csv")
    ImportJob.objects.filter(pk=waiting.pk).update(created_at=SWEEP_AT - timedelta(minutes=30))
    ImportJob.objects.filter(pk=fresh.pk).update(created_at=SWEEP_AT - timedelta(minutes=1))

    with mock.patch.object(run_import_job, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            swept = services.import_jobs_sweep(now=SWEEP_AT)

    assert swept["requeued"] == 1
    delay.assert_called_once_with(waiting.pk)


def test_uploads_never_confirmed_are_deleted_after_a_day(ana, lima, settings):
    import os

    from django.core.files.storage import default_storage

    old = default_storage.save("imports/pending/abc-cartera.csv", ContentFile(b"x"))
    new = default_storage.save("imports/pending/def-cartera.csv", ContentFile(b"y"))
    day_and_a_half_ago = (SWEEP_AT - timedelta(hours=36)).timestamp()
    os.utime(default_storage.path(old), (day_and_a_half_ago, day_and_a_half_ago))
    an_hour_ago = (SWEEP_AT - timedelta(hours=1)).timestamp()
    os.utime(default_storage.path(new), (an_hour_ago, an_hour_ago))

    assert services.import_jobs_sweep(now=SWEEP_AT)["uploads_deleted"] == 1
    assert not default_storage.exists(old) and default_storage.exists(new)


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_a_heartbeat_while_it_loads(ana, lima, monkeypatch):
    import time

    monkeypatch.setattr(import_sweep, "IMPORT_HEARTBEAT_SECONDS", 0.05)  # read where the heartbeat runs
    with mock.patch.object(run_import_job, "delay"):
        job = create(ana, lima)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, heartbeat_at=None)
    with import_sweep._ImportHeartbeat(job.pk):
        deadline = time.monotonic() + 5
        while ImportJob.objects.get(pk=job.pk).heartbeat_at is None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert ImportJob.objects.get(pk=job.pk).heartbeat_at is not None
