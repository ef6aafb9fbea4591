"""Supervision jobs: the dashboard's rollups. Thin, and safe to run twice or at once.

Their Celery names are the ones they had when they lived in promises.tasks: the beat schedule
and any worker or tool outside the code call them by those names.
"""

from celery import shared_task

from promises.tasks import RETRY
from supervision import services


@shared_task(name="promises.tasks.refresh_dashboard_rollups", **RETRY)
def refresh_dashboard_rollups() -> dict:
    result = services.promise_rollups_refresh()
    return result.__dict__


@shared_task(name="promises.tasks.refresh_balance_rollups", **RETRY)
def refresh_balance_rollups() -> dict:
    result = services.balance_rollups_refresh()
    return result.__dict__
