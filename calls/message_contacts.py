"""The outbox's sent messages as contacts on the debtor's ledger, the attempts the contact
policy counts. The outbox (promises, a layer below) is handed these at start-up."""

from django.utils import timezone

from calls.models import Call
from calls.policy import check_contact
from collections_crm.lib.timezones import debtor_zone
from promises.services import OutboxContact, outbox_contact_register


def message_contact_record(message, at) -> None:
    """A message the provider accepted, as an outbound contact with no collector."""
    Call.objects.create(
        debtor_id=message.debtor_id,
        collector=None,
        phone_id=message.phone_id,
        channel=message.channel,
        direction=Call.Direction.OUTBOUND,
        started_at=at,
        outcome=Call.Outcome.MESSAGE_SENT,
        local_time=timezone.localtime(at, debtor_zone(message.debtor)).isoformat(),
        local_time_zone=message.debtor.time_zone,
        notes=message.body[:1000],
    )


def outbox_contact_connect() -> None:
    outbox_contact_register(OutboxContact(check=check_contact, record=message_contact_record))
