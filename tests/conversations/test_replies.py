"""The collector answers from the debtor page: free text inside WhatsApp's 24-hour window, an
approved template outside it; always through the contact policy and the outbox."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from calls.models import FollowUp
from conversations.models import MessageTemplate
from conversations.services import reply_send
from promises import services as outbox
from promises.models import Message
from tests.conversations.conftest import (
    LIMA,
    WEDNESDAY,
    consent,
    meta_change,
    meta_post,
    meta_text,
    twilio_post,
    twilio_sms,
)

pytestmark = pytest.mark.usefixtures("providers", "clock")


@pytest.fixture
def template(db):
    template = MessageTemplate(
        name="Saldo pendiente",
        provider_name="saldo_pendiente",
        language="es",
        channel="whatsapp",
        body="Hola {{1}}, le escribe {{2}} de {{3}}: su saldo es {{4}}. ¿Conversamos?",
        placeholders=["first_name", "collector", "creditor", "balance"],
    )
    template.full_clean()
    template.save()
    return template


def _reply(client, debtor, **data):
    phone = debtor.phones.get()
    fields = {"phone": phone.pk, "key": "k1", **data}
    return client.post(
        reverse("calls:reply", args=[debtor.pk]), {f"reply-{name}": value for name, value in fields.items()}
    )


def test_inside_the_window_the_collector_answers_with_free_text(client, diego, carla):
    consent(diego.phones.get(), "whatsapp")
    meta_post(client, meta_change(messages=[meta_text("wamid.W1", "¿Cuánto debo?")]))
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "texto libre hasta" in page

    response = _reply(client, diego, channel="whatsapp", text="Hola Diego, su saldo es S/ 1,000.00.")

    assert response.status_code == 302
    message = Message.objects.get(purpose="reply")
    assert (message.channel, message.body, message.status, message.send_after) == (
        "whatsapp",
        "Hola Diego, su saldo es S/ 1,000.00.",
        "queued",
        WEDNESDAY,
    )
    # The debtor has been answered: the "debtor replied" follow-up is done.
    assert FollowUp.objects.get(reason="reply").status == "done"
    assert outbox.messages_send_due(now=WEDNESDAY).sent == 1


def test_outside_the_window_free_text_is_refused_and_the_text_is_kept(client, diego, carla):
    consent(diego.phones.get(), "whatsapp")
    client.force_login(carla)
    response = _reply(client, diego, channel="whatsapp", text="Hola Diego")
    assert response.status_code == 400
    page = response.content.decode()
    assert "últimas 24 horas" in page and "Hola Diego</textarea>" in page
    assert not Message.objects.exists()


def test_outside_the_window_an_approved_template_goes_with_its_values(client, diego, carla, template):
    consent(diego.phones.get(), "whatsapp")
    client.force_login(carla)
    assert _reply(client, diego, channel="whatsapp", template=template.pk).status_code == 302
    message = Message.objects.get(purpose="reply")
    assert message.template_name == "saldo_pendiente"
    assert message.template_params == ["Diego", "Carla Cobos", diego.portfolio.creditor.name, "1 000,00 PEN"]
    assert message.body.startswith("Hola Diego, le escribe Carla Cobos de ")


def test_the_same_form_sent_twice_queues_one_message(client, diego, carla):
    consent(diego.phones.get(), "sms")
    client.force_login(carla)
    _reply(client, diego, channel="sms", text="Le llamo a las 4")
    _reply(client, diego, channel="sms", text="Le llamo a las 4")
    assert Message.objects.filter(purpose="reply").count() == 1


def test_a_number_without_consent_for_the_channel_is_refused(diego, carla):
    phone = diego.phones.get()
    consent(phone, "whatsapp")
    with pytest.raises(ValidationError) as refusal:
        reply_send(debtor=diego, by=carla, channel="sms", phone=phone, text="Hola", key="x")
    assert "consentimiento" in str(refusal.value)


def test_a_hold_refuses_the_reply_with_its_reason(diego, carla):
    phone = diego.phones.get()
    consent(phone, "sms")
    diego.hold_cease = True
    diego.save()
    with pytest.raises(ValidationError):
        reply_send(debtor=diego, by=carla, channel="sms", phone=phone, text="Hola", key="x")
    assert not Message.objects.exists()


def test_after_hours_the_reply_waits_for_the_first_lawful_moment(client, diego, carla, clock):
    consent(diego.phones.get(), "sms")
    late = datetime(2026, 11, 18, 21, 30, tzinfo=LIMA)  # after Peru's 20:00 limit
    clock.move_to(late)
    client.force_login(carla)
    response = _reply(client, diego, channel="sms", text="Mañana le llamo")
    assert response.status_code == 302
    message = Message.objects.get(purpose="reply")
    assert message.send_after == datetime(2026, 11, 19, 7, 0, tzinfo=LIMA)
    notice = client.get(response.url).content.decode()
    assert "primer momento permitido" in notice


def test_a_collector_of_another_team_cannot_write_to_the_debtor(client, diego, cris):
    consent(diego.phones.get(), "sms")
    client.force_login(cris)
    assert _reply(client, diego, channel="sms", text="Hola").status_code == 404
    assert not Message.objects.exists()


def test_a_template_must_name_each_placeholder_it_uses(db):
    template = MessageTemplate(
        name="Mal",
        provider_name="mal",
        language="es",
        channel="whatsapp",
        body="Hola {{1}} y {{3}}",
        placeholders=["first_name", "balance"],
    )
    with pytest.raises(ValidationError) as refusal:
        template.full_clean()
    assert "body" in refusal.value.message_dict


def test_a_debtor_without_consented_numbers_shows_no_reply_box(client, diego, carla):
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "Escribir al deudor" not in page
    consent(diego.phones.get(), "sms")
    assert "Escribir al deudor" in client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()


def test_a_reply_to_a_reminder_shows_on_the_desk(client, diego, carla, clock):
    """The whole story: a reminder goes out, the debtor answers it, the collector sees it first."""
    consent(diego.phones.get(), "sms")
    Message.objects.create(
        debtor=diego,
        phone=diego.phones.get(),
        channel="sms",
        purpose="reminder",
        recipient="+51987654321",
        language="es",
        body="Su pago vence el viernes",
        idempotency_key="reminder:1",
        send_after=WEDNESDAY,
    )
    outbox.messages_send_due(now=WEDNESDAY)
    clock.move_to(WEDNESDAY + timedelta(minutes=20))
    twilio_post(client, twilio_sms("SM3001", "Ok, pago el viernes sin falta"))
    client.force_login(carla)
    queue = client.get(reverse("calls:queue")).content.decode()
    assert "El deudor respondió" in queue and "Diego" in queue
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    history = page.split('id="timeline"')[1]
    assert history.index("Ok, pago el viernes sin falta") < history.index("Su pago vence el viernes")
