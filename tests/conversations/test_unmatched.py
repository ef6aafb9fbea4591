"""Messages no debtor's number matches wait in the unmatched inbox until a supervisor attaches them."""

import pytest
from django.urls import reverse

from calls.models import Call, FollowUp
from conversations.models import InboundMessage
from promises.models import Message
from tests import factories
from tests.conversations.conftest import WEDNESDAY, twilio_post, twilio_sms

pytestmark = pytest.mark.usefixtures("providers", "clock")
STRANGER = "+51911222333"


def test_an_unknown_number_lands_in_the_unmatched_inbox(client, diego, sofia, carla):
    twilio_post(client, twilio_sms("SM4001", "Hola, soy la esposa de Diego", sender=STRANGER))
    message = InboundMessage.objects.get()
    assert message.debtor is None and not FollowUp.objects.exists() and not Call.objects.exists()
    client.force_login(sofia)
    page = client.get(reverse("conversations:unmatched")).content.decode()
    assert "Hola, soy la esposa de Diego" in page and STRANGER in page
    client.force_login(carla)
    assert client.get(reverse("conversations:unmatched")).status_code == 404


def test_a_supervisor_attaches_it_by_page_number_and_it_reaches_the_collector(client, diego, sofia, carla):
    twilio_post(client, twilio_sms("SM4002", "Diego paga mañana", sender=STRANGER))
    message = InboundMessage.objects.get()
    client.force_login(sofia)
    response = client.post(reverse("conversations:unmatched_attach", args=[message.pk]), {"identifier": f"#{diego.pk}"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.debtor, message.attached_by, message.attached_at) == (diego, sofia, WEDNESDAY)
    assert FollowUp.objects.get(reason="reply").assigned_to == carla
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "Diego paga mañana" in page and "asignado por" in page


def test_attaching_twice_or_to_a_debtor_out_of_reach_changes_nothing(client, diego, mateo, sofia):
    twilio_post(client, twilio_sms("SM4003", "Hola", sender=STRANGER))
    message = InboundMessage.objects.get()
    client.force_login(sofia)
    url = reverse("conversations:unmatched_attach", args=[message.pk])
    outside = client.post(url, {"identifier": f"#{mateo.pk}"})  # Monterrey's debtor, not Sofía's teams
    assert outside.status_code == 400 and "Ningún deudor que usted pueda ver coincide" in outside.content.decode()
    assert client.post(url, {"identifier": f"#{diego.pk}"}).status_code == 302
    again = client.post(url, {"identifier": f"#{diego.pk}"}, follow=True)
    assert "ya pertenece a un deudor" in again.content.decode()
    assert Call.objects.filter(direction="inbound").count() == 1


def test_a_shared_number_goes_to_the_debtor_we_last_wrote_to(client, diego, carla, portfolio):
    sister = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Dora Díaz Quispe")
    factories.make_phone(debtor=sister, number=diego.phones.get().number.as_e164)
    Message.objects.create(
        debtor=sister,
        channel="sms",
        purpose="reminder",
        recipient="+51987654321",
        language="es",
        body="Hola",
        idempotency_key="r:sister",
        send_after=WEDNESDAY,
        status="sent",
        sent_at=WEDNESDAY,
    )
    twilio_post(client, twilio_sms("SM4004", "Soy Dora, pago el lunes"))
    assert InboundMessage.objects.get().debtor == sister


def test_a_shared_number_we_never_wrote_from_waits_for_a_supervisor(client, diego, carla, portfolio):
    sister = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Dora Díaz Quispe")
    factories.make_phone(debtor=sister, number=diego.phones.get().number.as_e164)
    twilio_post(client, twilio_sms("SM4005", "¿Quién habla?"))
    assert InboundMessage.objects.get().debtor is None


def test_a_collector_cannot_attach(client, diego, carla):
    twilio_post(client, twilio_sms("SM4006", "Hola", sender=STRANGER))
    client.force_login(carla)
    response = client.post(
        reverse("conversations:unmatched_attach", args=[InboundMessage.objects.get().pk]),
        {"identifier": f"#{diego.pk}"},
    )
    assert response.status_code == 404
    assert InboundMessage.objects.get().debtor is None
