"""WhatsApp takes free text only within 24 hours of the debtor's last message: a reminder
outside them goes as its approved template, or fails at once saying what is missing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from conversations.models import MessageTemplate
from promises import services as outbox
from promises.models import Message
from tests import factories
from tests.conversations.conftest import WEDNESDAY, consent, meta_change, meta_post, meta_text
from tests.conversations.fake_provider import serve

pytestmark = pytest.mark.usefixtures("providers", "clock")


@pytest.fixture
def meta_api(providers):
    fake, stop = serve((200, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.T1"}]}))
    providers.WHATSAPP_CLOUD_API_URL = fake.url + "/v21.0"
    providers.WHATSAPP_PROVIDER = "whatsapp_cloud"
    yield fake
    stop()


@pytest.fixture
def reminder(diego, carla):
    consent(diego.phones.get(), "whatsapp")
    promise = factories.make_promise(
        debtor=diego, collector=carla, amount=Decimal("250.00"), due_date=date(2026, 11, 20)
    )
    result = type("Result", (), {"reminder_messages": 0, "no_lawful_moment": 0})()
    outbox.reminder_messages_queue(
        promises=[promise],
        now=WEDNESDAY,
        result=result,
        lawful_moments=lambda rows, channel: [WEDNESDAY for _row in rows],
    )
    return Message.objects.get(purpose="reminder")


def _template(**fields):
    template = MessageTemplate(
        name="Recordatorio de pago",
        provider_name="recordatorio_pago",
        language="es",
        channel="whatsapp",
        purpose="reminder",
        body="Hola {{1}}, le recordamos su pago de {{2}} del {{3}}.",
        placeholders=["first_name", "amount", "due_date"],
        **fields,
    )
    template.full_clean()
    template.save()
    return template


def test_outside_the_window_a_reminder_goes_as_its_template(meta_api, reminder):
    _template()
    assert outbox.messages_send_due(now=WEDNESDAY).sent == 1
    [request] = meta_api.requests
    assert request.body == (
        b'{"messaging_product":"whatsapp","recipient_type":"individual","to":"51987654321","type":"template",'
        b'"template":{"name":"recordatorio_pago","language":{"code":"es"},"components":[{"type":"body",'
        b'"parameters":[{"type":"text","text":"Diego"},{"type":"text","text":"250,00 PEN"},'
        b'{"type":"text","text":"20/11/2026"}]}]}}'
    )
    reminder.refresh_from_db()
    assert reminder.body == "Hola Diego, le recordamos su pago de 250,00 PEN del 20/11/2026."
    assert reminder.template_name == "recordatorio_pago"


def test_inside_the_window_the_reminder_goes_as_written(client, meta_api, reminder):
    _template()
    meta_post(client, meta_change(messages=[meta_text("wamid.IN1", "Hola", at=WEDNESDAY - timedelta(hours=3))]))
    outbox.messages_send_due(now=WEDNESDAY)
    assert b'"type":"text"' in meta_api.requests[0].body


def test_without_a_template_it_fails_at_once_and_says_what_to_add(meta_api, reminder):
    result = outbox.messages_send_due(now=WEDNESDAY)
    reminder.refresh_from_db()
    assert result.failed == 1 and reminder.status == "failed" and not meta_api.requests
    assert "no hay una plantilla aprobada" in reminder.last_error


def test_the_development_providers_send_free_text_as_before(reminder):
    assert outbox.messages_send_due(now=WEDNESDAY).sent == 1
    reminder.refresh_from_db()
    assert reminder.template_name == ""
