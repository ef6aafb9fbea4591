"""The dashboard shows how messages fare: delivered, read, answered, failed, per channel and template."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from conversations.models import InboundMessage
from promises.models import Message

LIMA = ZoneInfo("America/Lima")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


def _message(debtor, n, *, channel="whatsapp", status="sent", template="", sent=True):
    return Message.objects.create(
        debtor=debtor,
        channel=channel,
        purpose="reminder",
        recipient="+51987654321",
        language="es",
        body="Hola",
        idempotency_key=f"m:{debtor.pk}:{n}",
        send_after=WEDNESDAY,
        created_at=WEDNESDAY - timedelta(hours=n),
        status=status,
        sent_at=WEDNESDAY - timedelta(hours=n) if sent else None,
        template_name=template,
    )


def _answer(debtor, n, at, channel="whatsapp"):
    InboundMessage.objects.create(
        provider="whatsapp_cloud",
        provider_message_id=f"wamid.{debtor.pk}.{n}",
        channel=channel,
        sender="+51987654321",
        body="Ok",
        received_at=at,
        debtor=debtor,
    )


def test_rates_per_channel_and_template_in_the_supervisors_scope(client, sofia, diego, mateo):
    _message(diego, 1, status="read", template="saldo_pendiente")
    _message(diego, 2, status="delivered", template="saldo_pendiente")
    _message(diego, 3, status="sent", template="saldo_pendiente")
    _message(diego, 4, status="failed", template="saldo_pendiente")
    _message(diego, 5, status="blocked", template="saldo_pendiente", sent=False)
    _answer(diego, 1, WEDNESDAY - timedelta(minutes=30))  # within 3 days of messages 1–4
    _message(diego, 6, channel="sms", status="delivered")
    _message(mateo, 1, status="read", template="saldo_pendiente")  # Monterrey: not Sofía's

    client.force_login(sofia)
    response = client.get(reverse("promises:messaging_figures"), HTTP_HX_REQUEST="true")

    rows = {(row["channel"], row["template_name"]): row for row in response.context["rows"]}
    whatsapp = rows[("whatsapp", "saldo_pendiente")]
    assert (whatsapp["made"], whatsapp["sent"], whatsapp["delivered"], whatsapp["read"]) == (5, 4, 2, 1)
    assert (whatsapp["failed"], whatsapp["blocked"], whatsapp["replied"]) == (1, 1, 4)
    assert whatsapp["delivered_rate"] == 0.5
    assert rows[("sms", "")]["delivered"] == 1 and rows[("sms", "")]["replied"] == 0  # the answer came by WhatsApp
    page = response.content.decode()
    assert "saldo_pendiente" in page and "50" in page and "<html" not in page


def test_an_answer_after_the_window_or_before_the_message_does_not_count(client, sofia, diego):
    _message(diego, 1)
    _answer(diego, 1, WEDNESDAY - timedelta(hours=2))  # before the message
    _answer(diego, 2, WEDNESDAY - timedelta(hours=1) + timedelta(days=4))  # four days after
    client.force_login(sofia)
    [row] = client.get(reverse("promises:messaging_figures")).context["rows"]
    assert row["replied"] == 0


def test_the_dashboard_loads_them_after_its_own_figures_and_collectors_cannot(client, sofia, carla):
    client.force_login(sofia)
    dashboard = client.get(reverse("promises:dashboard")).content.decode()
    assert f'hx-get="{reverse("promises:messaging_figures")}?' in dashboard
    page = client.get(reverse("promises:messaging_figures"))
    assert page.status_code == 200 and "Mensajes: entrega y respuestas" in page.content.decode()
    client.force_login(carla)
    assert client.get(reverse("promises:messaging_figures")).status_code == 404
