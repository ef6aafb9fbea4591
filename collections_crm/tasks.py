from celery import shared_task

from collections_crm import services


@shared_task(name="collections_crm.tasks.heartbeat")
def heartbeat() -> str:
    """Beat sends this every minute; the admin home shows when a worker last ran it."""
    return services.heartbeat_record(name="worker").at.isoformat()
