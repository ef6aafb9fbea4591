"""Promise jobs. Thin: one service call each; every one is safe to run twice or at once."""

from celery import shared_task
from django.utils import timezone

from debtors.services import debt_snapshots_take
from promises import services


@shared_task(name="promises.tasks.flag_lapsed_promises")
def flag_lapsed_promises() -> dict:
    result = services.promises_flag_lapsed()
    return {"kept": result.kept, "partially_kept": result.partially_kept, "broken": result.broken}


@shared_task(name="promises.tasks.send_reminders")
def send_reminders() -> dict:
    result = services.messages_send_due()
    return result.__dict__


@shared_task(name="promises.tasks.snapshot_debt_aging")
def snapshot_debt_aging() -> int:
    return debt_snapshots_take(on=timezone.now().date())
