from celery import shared_task

from calls import services
from promises.tasks import RETRY


@shared_task(name="calls.tasks.schedule_follow_ups", **RETRY)
def schedule_follow_ups() -> dict:
    return services.follow_ups_schedule().__dict__


@shared_task(name="calls.tasks.refresh_contactability", **RETRY)
def refresh_contactability() -> int:
    return services.contactability_refresh()
