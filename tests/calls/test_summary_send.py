"""Sending the closing summary to the debtor: by a channel they consented to, once, on the history."""

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from calls.services import call_summary_routes, call_summary_send
from promises.models import Message
from tests import factories
from tests.calls.conftest import local

LIMA = "America/Lima"
WEDNESDAY = local("2026-11-18 10:00", LIMA)
SATURDAY = local("2026-11-21 10:00", LIMA)  # Peru: no collection contact on Saturdays
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def consent(phone, *channels):
    for channel in channels:
        setattr(phone, f"{channel}_consent", True)
        setattr(phone, f"{channel}_consent_source", "contrato")
        setattr(phone, f"{channel}_consent_at", WEDNESDAY)
    phone.save()
    return phone


def log_promise(client, debtor, phone, **extra):
    data = {
        "phone": phone.pk,
        "outcome": "right_party",
        "commitment": "promise",
        "promise_amount": "400",
        "promise_date": "2026-11-27",
        **extra,
    }
    return client.post(reverse("calls:log", args=[debtor.pk]), data, **HTMX)


def send_url(call) -> str:
    return reverse("calls:summary_send", args=[call.pk])


@pytest.fixture
def phone(diego):
    return consent(diego.phones.get(), "sms")


def test_after_a_promise_the_panel_offers_the_consented_channels_and_says_why_not_the_others(
    client, carla, diego, phone
):
    client.cookies["django_language"] = "en"
    client.force_login(carla)
    html = log_promise(client, diego, phone).content.decode()
    send = html[html.index('id="summary-send"') :]
    assert "Send by SMS" in send and "+51987654321" in send
    assert "Send by WhatsApp" not in send and "Send by E-mail" not in send
    assert "None of the debtor&#x27;s own numbers has consent for WhatsApp." in send
    assert "There is no e-mail address on file for the debtor." in send
    # The new call is on the history at once, swapped in out of band.
    assert 'id="timeline" class="card" aria-labelledby="timeline-title" hx-swap-oob="true"' in html


def test_the_summary_is_queued_in_the_outbox_in_the_debtors_language_and_shows_on_the_history(client, carla, portfolio):
    jane = factories.make_debtor(
        portfolio=portfolio, assigned_to=carla, full_name="Jane Doe", language="en", email="jane@example.org"
    )
    factories.make_debt(debtor=jane)
    phone = factories.make_phone(debtor=jane, number="+51911222333")
    client.force_login(carla)  # carla works in Spanish
    log_promise(client, jane, phone)
    call = jane.calls.get()

    html = client.post(send_url(call), {"channel": "email"}, **HTMX).content.decode()

    message = Message.objects.get()
    assert (message.channel, message.purpose, message.recipient, message.status) == (
        "email",
        "summary",
        "jane@example.org",
        "queued",
    )
    assert message.send_after == WEDNESDAY
    assert message.body.startswith("Hello Jane, this is what we agreed today about your account with Banco Andino:")
    assert "You will pay 400.00 PEN on 11/27/2026." in message.body
    assert jane.external_id in message.body
    assert message.subject == "Our agreement about your account with Banco Andino"
    assert message.promise == call.promises.get()
    timeline = html[html.index('id="timeline"') :]
    assert "jane@example.org" in timeline and 'class="timeline-message"' in timeline


def test_sending_twice_queues_one_message(client, carla, diego, phone):
    client.cookies["django_language"] = "en"
    client.force_login(carla)
    log_promise(client, diego, phone)
    call = diego.calls.get()
    client.post(send_url(call), {"channel": "sms"}, **HTMX)
    html = client.post(send_url(call), {"channel": "sms"}, **HTMX).content.decode()
    assert Message.objects.count() == 1
    assert "it is not sent twice" in html
    assert call_summary_send(call=call, channel="sms", by=carla).created is False


def test_a_channel_without_consent_is_refused_with_its_reason(client, carla, diego, phone):
    client.cookies["django_language"] = "en"
    client.force_login(carla)
    log_promise(client, diego, phone)
    html = client.post(send_url(diego.calls.get()), {"channel": "whatsapp"}, **HTMX).content.decode()
    assert "None of the debtor&#x27;s own numbers has consent for WhatsApp." in html
    assert not Message.objects.exists()


def test_a_hold_refuses_every_channel_with_the_hold_as_reason(carla, diego, phone):
    call = factories.make_call(
        debtor=diego, collector=carla, phone=phone, outcome="right_party", commitment="callback", callback_at=SATURDAY
    )
    diego.hold_cease = True
    diego.save()
    with translation.override("en"):
        routes = {route.channel: route for route in call_summary_routes(call=call, at=WEDNESDAY)}
    assert not routes["sms"].allowed
    assert routes["sms"].refusal == "The debtor asked us to stop contacting them."


def test_when_messages_are_not_lawful_now_the_summary_waits_for_the_next_lawful_moment(carla, diego, phone, clock):
    call = factories.make_call(
        debtor=diego, collector=carla, phone=phone, outcome="right_party", commitment="send_documents"
    )
    clock.move_to(SATURDAY)
    sent = call_summary_send(call=call, channel="sms", by=carla)
    assert sent.created
    assert sent.message.send_after > SATURDAY
    assert sent.message.send_after.astimezone(SATURDAY.tzinfo).weekday() == 0  # Monday


def test_a_call_without_an_agreement_has_no_summary_to_send(client, carla, diego, phone):
    client.cookies["django_language"] = "en"
    client.force_login(carla)
    html = client.post(
        reverse("calls:log", args=[diego.pk]),
        {"phone": phone.pk, "outcome": "right_party", "commitment": "none", "no_commitment_reason": "Colgó"},
        **HTMX,
    ).content.decode()
    assert 'id="summary-send"' not in html
    response = client.post(send_url(diego.calls.get()), {"channel": "sms"})
    assert response.status_code == 302
    assert not Message.objects.exists()


def test_another_collectors_call_is_not_found(client, carla, cris, mateo):
    phone = consent(factories.make_phone(debtor=mateo, number="+51900111222"), "sms")
    call = factories.make_call(
        debtor=mateo, collector=cris, phone=phone, outcome="right_party", commitment="send_documents"
    )
    client.force_login(carla)
    assert client.post(send_url(call), {"channel": "sms"}, **HTMX).status_code == 404
    assert client.get(send_url(call)).status_code in (404, 405)
    assert not Message.objects.exists()


def test_the_outbox_sends_the_summary_once(carla, diego, phone, settings, tmp_path):
    from promises.services import messages_send_due

    settings.VAR_DIR = tmp_path
    call = factories.make_call(debtor=diego, collector=carla, phone=phone, outcome="right_party", commitment="promise")
    factories.make_promise(debtor=diego, collector=carla, amount=Decimal("400.00"), call=call)
    call_summary_send(call=call, channel="sms", by=carla)
    assert messages_send_due().sent == 1
    assert messages_send_due().sent == 0
    assert Message.objects.get().status == "sent"
    assert len((tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()) == 1
