"""Conversation jobs. Thin: one service call each; safe to run twice or at once."""

from celery import shared_task
from django.db import DatabaseError

from conversations.services import delivery_events_apply_pending

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 5}


@shared_task(name="conversations.tasks.apply_pending_receipts", **RETRY)
def apply_pending_receipts() -> int:
    return delivery_events_apply_pending()
