"""Delivery receipts: each stored once per message and status, applied to the outbox row.

Statuses only move forward (sent → delivered → read; failed only before delivery): receipts
arrive out of order, and a late "delivered" must not undo a "read".
"""

from django.db import IntegrityError, transaction

from conversations.models import DeliveryEvent
from conversations.providers import Receipt
from promises.models import Message

# From which outbox statuses each receipt may move a message.
ADVANCES_FROM = {
    "delivered": ("sending", "sent"),
    "read": ("sending", "sent", "delivered"),
    "failed": ("sending", "sent"),
}
APPLY_ORDER = {"delivered": 0, "read": 1, "failed": 2}


def delivery_receipt_record(receipt: Receipt) -> bool:
    """Store a receipt (False if it was already stored) and apply it if its message is known."""
    message = Message.objects.filter(provider_message_id=receipt.provider_message_id).only("pk", "status").first()
    try:
        with transaction.atomic():
            event = DeliveryEvent.objects.create(
                provider=receipt.provider,
                provider_message_id=receipt.provider_message_id,
                status=receipt.status,
                occurred_at=receipt.occurred_at,
                error_code=receipt.error_code,
                error_reason=receipt.error_reason,
                message=message,
            )
    except IntegrityError:
        return False
    if message is not None:
        _apply(message.pk, [event])
    return True


def _apply(message_id: int, events: list[DeliveryEvent]) -> None:
    for event in sorted(events, key=lambda event: APPLY_ORDER.get(event.status, -1)):
        allowed = ADVANCES_FROM.get(event.status)
        if not allowed:
            continue  # "queued" and "sent" at the provider: our row already says sent
        changes = {"status": event.status, "status_at": event.occurred_at}
        if event.status == "failed":
            code = f"{event.error_code} " if event.error_code else ""
            changes["last_error"] = f"{code}{event.error_reason}".strip()[:500]
        Message.objects.filter(pk=message_id, status__in=allowed).update(**changes)


def delivery_events_apply_for(message) -> int:
    """Receipts that came before the send was recorded: applied when it is (outbox listener)."""
    if not message.provider_message_id:
        return 0
    pending = list(DeliveryEvent.objects.filter(provider_message_id=message.provider_message_id, message__isnull=True))
    if pending:
        DeliveryEvent.objects.filter(pk__in=[event.pk for event in pending]).update(message_id=message.pk)
        _apply(message.pk, pending)
    return len(pending)


def delivery_events_apply_pending() -> int:
    """A receipt and its send recorded at the same moment in two transactions see neither
    the other: the periodic sweep joins them. Returns the receipts applied."""
    applied = 0
    pending = DeliveryEvent.objects.filter(message__isnull=True).values_list("provider_message_id", flat=True)
    ids = set(pending[:5000])
    for message in Message.objects.filter(provider_message_id__in=ids).only("pk", "provider_message_id"):
        applied += delivery_events_apply_for(message)
    return applied
