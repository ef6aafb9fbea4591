"""Promise jobs. Thin: one service call each; every one is safe to run twice or at once.

The dashboard's rollup jobs live in supervision.tasks (same Celery names as before).

A database hiccup (a lost connection, a serialisation failure) retries the job with
exponential back-off; the job's own compare-and-set makes the retry harmless.
"""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from debtors.services import debt_snapshots_take
from promises import services

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 5}


@shared_task(name="promises.tasks.flag_lapsed_promises", **RETRY)
def flag_lapsed_promises() -> dict:
    result = services.promises_flag_lapsed()
    return {"kept": result.kept, "partially_kept": result.partially_kept, "broken": result.broken}


@shared_task(name="promises.tasks.send_reminders", **RETRY)
def send_reminders() -> dict:
    result = services.messages_send_due()
    return result.__dict__


@shared_task(name="promises.tasks.snapshot_debt_aging", **RETRY)
def snapshot_debt_aging() -> int:
    return debt_snapshots_take(on=timezone.now().date())
