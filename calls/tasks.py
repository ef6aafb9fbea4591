from celery import shared_task

from calls import services


@shared_task(name="calls.tasks.schedule_follow_ups")
def schedule_follow_ups() -> dict:
    return services.follow_ups_schedule().__dict__
