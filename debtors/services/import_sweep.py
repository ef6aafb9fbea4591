"""Import jobs whose worker went away: the heartbeat a running import writes, and the sweep
that fails the jobs whose heartbeat stopped, queues again those never started, and deletes
uploads whose mapping was never confirmed."""

import logging
import threading
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from debtors.models import ImportJob

logger = logging.getLogger(__name__)

# A worker writes a running job's heartbeat this often (_ImportHeartbeat, the only writer)...
IMPORT_HEARTBEAT_SECONDS = 30
# ...so a running job silent for this long lost its worker. The heartbeat commits on its own
# connection: on PostgreSQL through the longest merge, on SQLite between two chunks.
IMPORT_STALLED_AFTER = timedelta(minutes=10)
# Uploads waiting for their mapping to be confirmed (imports/pending/) are kept this long.
PENDING_UPLOAD_MAX_AGE = timedelta(days=1)


class _ImportHeartbeat:
    """While an import runs, a thread of its own (hence a connection of its own, committing
    at once) writes the job's heartbeat, including through the long merge at the end when no
    progress is reported."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"import-heartbeat-{job_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.thread.join()

    def _run(self) -> None:
        from django.db import connection as own_connection

        try:
            while not self.stopping.wait(IMPORT_HEARTBEAT_SECONDS):
                try:
                    ImportJob.objects.filter(pk=self.job_id, status=ImportJob.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:  # SQLite busy with the import's own write: next beat
                    logger.warning("could not write the heartbeat of import %s", self.job_id, exc_info=True)
        finally:
            own_connection.close()


def import_jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Every few minutes (debtors.tasks.sweep_import_jobs), three kinds of leftovers:

    1. running jobs whose worker stopped (no heartbeat for IMPORT_STALLED_AFTER) are marked
       failed with a message saying so, and the admin can load the same file again from the
       job's page; nothing of theirs stays saved (one transaction on PostgreSQL; on SQLite the
       chunks they committed are undone here, undo.import_undo_sweep);
    2. pending jobs that waited as long (their message was lost, e.g. a broker restarted
       without persistence) are queued again; a job already started ignores it;
    3. uploads whose mapping was never confirmed (imports/pending/) older than
       PENDING_UPLOAD_MAX_AGE are deleted.
    Returns the count of each.
    """
    from debtors.importing.undo import import_undo_sweep
    from debtors.tasks import run_import_job

    now = now or timezone.now()
    stalled_before = now - IMPORT_STALLED_AFTER
    stalled = ImportJob.objects.filter(status=ImportJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stalled_before) | Q(heartbeat_at__isnull=True, started_at__lt=stalled_before)
    )
    failed = 0
    # The message in each admin's language, as the job's own messages are.
    for language in stalled.order_by().values_list("language", flat=True).distinct():
        with translation.override(language):
            failed += stalled.filter(language=language).update(
                status=ImportJob.Status.FAILED,
                finished_at=now,
                error_message=str(
                    _(
                        "The worker loading this file stopped (it was restarted or ran out of memory), so nothing was"
                        " saved. Load it again: the file is kept."
                    )
                ),
            )
    # What killed imports had committed (SQLite commits chunk by chunk) is undone.
    import_undo_sweep(now=now, silent_for=IMPORT_STALLED_AFTER)
    waiting = list(
        ImportJob.objects.filter(status=ImportJob.Status.PENDING, created_at__lt=stalled_before).values_list(
            "pk", flat=True
        )
    )
    for job_id in waiting:
        transaction.on_commit(lambda job_id=job_id: run_import_job.delay(job_id))
    return {
        "failed": failed,
        "requeued": len(waiting),
        "uploads_deleted": _pending_uploads_delete(older_than=now - PENDING_UPLOAD_MAX_AGE),
    }


def _pending_uploads_delete(*, older_than: datetime) -> int:
    folder = "imports/pending"
    try:
        _folders, names = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    deleted = 0
    for name in names:
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) < older_than:
                default_storage.delete(path)
                deleted += 1
        except (FileNotFoundError, NotImplementedError):
            continue  # gone meanwhile, or a storage that cannot tell its files' age
    return deleted
