"""Delivery receipts: queued → sent → delivered → read, failed with the provider's reason; in
any order, twice, or before our send is recorded."""

from datetime import timedelta

import pytest
from django.urls import reverse

from conversations.models import DeliveryEvent
from conversations.services import delivery_events_apply_pending
from promises import services as outbox
from promises.models import Message
from tests.conversations.conftest import (
    DIEGO_NUMBER,
    WEDNESDAY,
    consent,
    meta_change,
    meta_post,
    twilio_post,
)
from tests.conversations.fake_provider import serve

pytestmark = pytest.mark.usefixtures("providers", "clock")
SID = "SM" + "d" * 32


def _sent(debtor, provider_id=SID, channel="sms") -> Message:
    consent(debtor.phones.get(), channel)
    return Message.objects.create(
        debtor=debtor,
        phone=debtor.phones.get(),
        channel=channel,
        purpose="reminder",
        recipient=DIEGO_NUMBER,
        language="es",
        body="Recordatorio",
        idempotency_key=f"r:{provider_id}",
        send_after=WEDNESDAY,
        status="sent",
        sent_at=WEDNESDAY,
        provider_message_id=provider_id,
    )


def _twilio_status(status, sid=SID, **extra):
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": DIEGO_NUMBER,
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def _meta_status(wamid, status, at, **extra):
    return {
        "id": wamid,
        "status": status,
        "timestamp": str(int(at.timestamp())),
        "recipient_id": "51987654321",
        **extra,
    }


def test_twilio_receipts_move_the_message_forward_and_never_back(client, diego):
    message = _sent(diego)
    twilio_post(client, _twilio_status("delivered"))
    message.refresh_from_db()
    assert message.status == "delivered"
    twilio_post(client, _twilio_status("sent"))  # late and out of order
    twilio_post(client, _twilio_status("delivered"))  # again
    message.refresh_from_db()
    assert message.status == "delivered"
    assert DeliveryEvent.objects.filter(message=message).count() == 2


def test_read_before_delivered_stays_read(client, diego):
    message = _sent(diego, provider_id="wamid.R1", channel="whatsapp")
    meta_post(client, meta_change(statuses=[_meta_status("wamid.R1", "read", WEDNESDAY + timedelta(minutes=3))]))
    meta_post(client, meta_change(statuses=[_meta_status("wamid.R1", "delivered", WEDNESDAY + timedelta(minutes=1))]))
    message.refresh_from_db()
    assert message.status == "read" and message.status_at == WEDNESDAY + timedelta(minutes=3)


def test_a_failure_keeps_the_providers_code_and_reason_and_shows_on_the_timeline(client, diego, carla):
    message = _sent(diego, provider_id="wamid.F1", channel="whatsapp")
    failure = _meta_status(
        "wamid.F1",
        "failed",
        WEDNESDAY,
        errors=[
            {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "Receiver is not on WhatsApp"}}
        ],
    )
    meta_post(client, meta_change(statuses=[failure]))
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error == "131026 Message undeliverable · Receiver is not on WhatsApp"
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "Receiver is not on WhatsApp" in page


def test_twilio_undelivered_is_a_failure_with_its_error_code(client, diego):
    message = _sent(diego)
    twilio_post(client, _twilio_status("undelivered", ErrorCode="30003"))
    message.refresh_from_db()
    assert message.status == "failed" and message.last_error.startswith("30003")


def test_a_receipt_that_overtakes_the_send_is_applied_when_the_send_is_recorded(client, diego, providers):
    fake, stop = serve((201, {"sid": SID, "status": "queued"}))
    providers.TWILIO_API_URL, providers.SMS_PROVIDER = fake.url, "twilio"
    try:
        consent(diego.phones.get(), "sms")
        message = Message.objects.create(
            debtor=diego,
            phone=diego.phones.get(),
            channel="sms",
            purpose="reminder",
            recipient=DIEGO_NUMBER,
            language="es",
            body="Recordatorio",
            idempotency_key="r:early",
            send_after=WEDNESDAY,
        )
        twilio_post(client, _twilio_status("delivered"))  # Twilio answered fast; we had not yet written it down
        assert DeliveryEvent.objects.get().message is None
        outbox.messages_send_due(now=WEDNESDAY)
    finally:
        stop()
    message.refresh_from_db()
    assert message.status == "delivered"
    assert DeliveryEvent.objects.get().message == message


def test_the_sweep_joins_a_receipt_and_a_send_recorded_at_the_same_moment(client, diego):
    twilio_post(client, _twilio_status("read"))
    message = _sent(diego)  # recorded without the listener seeing the receipt (another transaction)
    assert delivery_events_apply_pending() == 1
    message.refresh_from_db()
    assert message.status == "read"
    assert delivery_events_apply_pending() == 0


def test_a_receipt_for_nobodys_message_is_kept_and_harmless(client, db):
    assert twilio_post(client, _twilio_status("delivered", sid="SM" + "e" * 32)).status_code == 200
    assert DeliveryEvent.objects.get().message is None
