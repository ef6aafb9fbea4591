"""Our requests to Twilio and to the WhatsApp Cloud API, checked byte for byte against their
published formats by a local fake; refusals that no retry can change fail at once."""

import base64
import json
from datetime import timedelta

import pytest

from conversations.models import InboundMessage
from promises import services as outbox
from promises.models import Message
from tests.conversations.conftest import DIEGO_NUMBER, TWILIO_ACCOUNT, WEDNESDAY, consent
from tests.conversations.fake_provider import serve

pytestmark = pytest.mark.usefixtures("providers", "clock")


@pytest.fixture
def twilio_api(providers):
    fake, stop = serve((201, {"sid": "SM" + "a" * 32, "status": "queued"}))
    providers.TWILIO_API_URL = fake.url
    providers.SMS_PROVIDER = "twilio"
    providers.WHATSAPP_PROVIDER = "twilio"
    yield fake
    stop()


@pytest.fixture
def meta_api(providers):
    fake, stop = serve(
        (
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": "51987654321", "wa_id": "51987654321"}],
                "messages": [{"id": "wamid.HBgLNTE5ODc2NTQzMjEVAgARGBI"}],
            },
        )
    )
    providers.WHATSAPP_CLOUD_API_URL = fake.url + "/v21.0"
    providers.WHATSAPP_PROVIDER = "whatsapp_cloud"
    yield fake
    stop()


def _queue(debtor, *, channel="sms", body="Hola Diego, su pago vence el viernes.", **fields):
    phone = debtor.phones.get()
    consent(phone, channel)
    if channel == "whatsapp" and not fields.get("template_name"):
        # The debtor wrote an hour ago: WhatsApp's window for free text is open.
        InboundMessage.objects.create(
            provider="whatsapp_cloud",
            provider_message_id="wamid.window",
            channel="whatsapp",
            sender=DIEGO_NUMBER,
            body="Hola",
            received_at=WEDNESDAY - timedelta(hours=1),
            debtor=debtor,
        )
    return Message.objects.create(
        debtor=debtor,
        phone=phone,
        channel=channel,
        purpose="reminder",
        recipient=DIEGO_NUMBER,
        language="es",
        body=body,
        idempotency_key=f"test:{channel}:{Message.objects.count()}",
        send_after=WEDNESDAY,
        **fields,
    )


def test_an_sms_through_twilio_is_the_documented_form_post(twilio_api, diego):
    message = _queue(diego)
    assert outbox.messages_send_due(now=WEDNESDAY).sent == 1
    [request] = twilio_api.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{TWILIO_ACCOUNT}:12345".encode()).decode()
    assert request.body == (
        b"To=%2B51987654321&From=%2B15005550006"
        b"&Body=Hola+Diego%2C+su+pago+vence+el+viernes."
        b"&StatusCallback=https%3A%2F%2Fcrm.example.com%2Fhooks%2Fmessages%2Ftwilio%2F"
    )
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_message_id == "SM" + "a" * 32


def test_whatsapp_through_twilio_prefixes_both_numbers_and_a_template_goes_as_content(twilio_api, diego):
    _queue(diego, channel="whatsapp", template_name="HX" + "b" * 32, template_params=["Diego", "S/ 1,000.00"])
    outbox.messages_send_due(now=WEDNESDAY)
    [request] = twilio_api.requests
    assert request.body == (
        b"To=whatsapp%3A%2B51987654321&From=whatsapp%3A%2B14155238886"
        b"&ContentSid=HX"
        + b"b"
        * 32
        + b"&ContentVariables=%7B%221%22%3A+%22Diego%22%2C+%222%22%3A+%22S%2F+1%2C000.00%22%7D"
        b"&StatusCallback=https%3A%2F%2Fcrm.example.com%2Fhooks%2Fmessages%2Ftwilio%2F"
    )


def test_a_messaging_service_sends_instead_of_a_number(twilio_api, diego, providers):
    providers.TWILIO_SMS_FROM = "MG" + "c" * 32
    _queue(diego)
    outbox.messages_send_due(now=WEDNESDAY)
    assert b"&MessagingServiceSid=MG" + b"c" * 32 + b"&" in twilio_api.requests[0].body


def test_an_invalid_number_at_twilio_fails_at_once_with_twilios_words(twilio_api, diego):
    twilio_api.answers.append(
        (400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})
    )
    message = _queue(diego)
    result = outbox.messages_send_due(now=WEDNESDAY)
    message.refresh_from_db()
    assert result.failed == 1 and message.status == "failed" and message.attempts == 1
    assert "21211" in message.last_error and "not a valid phone number" in message.last_error


def test_a_twilio_outage_is_retried_with_back_off(twilio_api, diego):
    twilio_api.answers.append((503, {"code": 20503, "message": "Service unavailable"}))
    message = _queue(diego)
    assert outbox.messages_send_due(now=WEDNESDAY).retried == 1
    message.refresh_from_db()
    assert message.status == "queued" and message.send_after == WEDNESDAY + timedelta(minutes=1)
    assert outbox.messages_send_due(now=WEDNESDAY + timedelta(minutes=1)).sent == 1


def test_a_whatsapp_text_is_the_cloud_apis_json(meta_api, diego):
    message = _queue(diego, channel="whatsapp", body="Hola Diego 👋")
    outbox.messages_send_due(now=WEDNESDAY)
    [request] = meta_api.requests
    assert request.path == "/v21.0/106540352242922/messages"
    assert request.headers["authorization"] == "Bearer EAAG-token"
    assert request.headers["content-type"] == "application/json"
    assert (
        request.body
        == (
            '{"messaging_product":"whatsapp","recipient_type":"individual","to":"51987654321",'
            '"type":"text","text":{"preview_url":false,"body":"Hola Diego 👋"}}'
        ).encode()
    )
    message.refresh_from_db()
    assert message.provider_message_id == "wamid.HBgLNTE5ODc2NTQzMjEVAgARGBI"


def test_a_whatsapp_template_names_its_language_and_fills_its_body(meta_api, diego):
    _queue(diego, channel="whatsapp", template_name="recordatorio_pago", template_params=["Diego", "S/ 250.00"])
    outbox.messages_send_due(now=WEDNESDAY)
    assert json.loads(meta_api.requests[0].body) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "51987654321",
        "type": "template",
        "template": {
            "name": "recordatorio_pago",
            "language": {"code": "es"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Diego"}, {"type": "text", "text": "S/ 250.00"}],
                }
            ],
        },
    }


def test_outside_the_24_hour_window_meta_refuses_for_good(meta_api, diego):
    meta_api.answers.append(
        (400, {"error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}})
    )
    message = _queue(diego, channel="whatsapp")
    assert outbox.messages_send_due(now=WEDNESDAY).failed == 1
    message.refresh_from_db()
    assert "131047" in message.last_error


def test_metas_rate_limit_is_retried(meta_api, diego):
    meta_api.answers.append((429, {"error": {"message": "Rate limit hit", "code": 130429}}))
    _queue(diego, channel="whatsapp")
    assert outbox.messages_send_due(now=WEDNESDAY).retried == 1
