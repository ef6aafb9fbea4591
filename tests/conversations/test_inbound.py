"""A debtor writes back: the message is stored once, lands on their desk and raises a follow-up;
a forged request stores nothing; an unknown number waits for a supervisor."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse

from calls.models import Call, FollowUp
from calls.policy import check_contact
from conversations.models import InboundMessage
from conversations.providers import twilio
from tests import factories
from tests.conversations.conftest import (
    DIEGO_NUMBER,
    WEDNESDAY,
    meta_change,
    meta_post,
    meta_text,
    twilio_post,
    twilio_sms,
)

pytestmark = pytest.mark.usefixtures("providers", "clock")


def test_the_signature_matches_twilios_documented_example():
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    assert twilio.signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params) == (
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


def test_a_reply_lands_on_the_debtors_timeline_and_tops_the_collectors_queue(client, diego, carla):
    # Carla has an older callback due: the debtor who wrote still comes first.
    factories.make_follow_up(debtor=diego, assigned_to=carla, due_at=WEDNESDAY - timedelta(days=2))
    other = factories.make_debtor(portfolio=diego.portfolio, assigned_to=carla, full_name="Olga Otero")
    factories.make_debt(debtor=other)
    factories.make_follow_up(debtor=other, assigned_to=carla, due_at=WEDNESDAY - timedelta(days=3))

    response = twilio_post(client, twilio_sms("SM0001", "Hola, puedo pagar el viernes"))

    assert response.status_code == 200 and b"<Response>" in response.content
    message = InboundMessage.objects.get()
    assert (message.debtor, message.sender, message.channel) == (diego, DIEGO_NUMBER, "sms")
    follow_up = FollowUp.objects.get(reason=FollowUp.Reason.REPLY)
    assert (follow_up.debtor, follow_up.assigned_to, follow_up.due_at) == (diego, carla, WEDNESDAY)
    contact = Call.objects.get(direction="inbound")
    assert (contact.outcome, contact.channel, contact.collector) == ("message_received", "sms", None)

    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "Hola, puedo pagar el viernes" in page and "El deudor escribió" in page
    queue = client.get(reverse("calls:queue")).content.decode()
    assert queue.index("Diego") < queue.index("Olga Otero")
    assert "El deudor respondió" in queue


def test_a_webhook_sent_twice_stores_one_message_and_one_follow_up(client, diego):
    for _attempt in range(2):
        assert twilio_post(client, twilio_sms("SM0002", "¿Cuánto debo?")).status_code == 200
    assert InboundMessage.objects.count() == 1
    assert Call.objects.filter(direction="inbound").count() == 1
    assert FollowUp.objects.filter(reason=FollowUp.Reason.REPLY).count() == 1


def test_more_messages_keep_one_open_reply_follow_up(client, diego):
    twilio_post(client, twilio_sms("SM0003", "Hola"))
    twilio_post(client, twilio_sms("SM0004", "¿Me llaman?"))
    assert InboundMessage.objects.filter(debtor=diego).count() == 2
    assert FollowUp.objects.filter(reason=FollowUp.Reason.REPLY, status="open").count() == 1


@pytest.mark.parametrize("signature", ["", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "not base64 at all"])
def test_a_forged_twilio_request_is_refused_and_logged_with_nothing_stored(client, diego, caplog, signature):
    with caplog.at_level(logging.WARNING, logger="conversations.webhooks"):
        response = twilio_post(client, twilio_sms("SM0005", "BAJA"), signature=signature)
    assert response.status_code == 403
    assert not InboundMessage.objects.exists() and not FollowUp.objects.exists()
    assert diego.phones.get().sms_consent is False
    assert "provider=twilio" in caplog.text


def test_a_signed_request_from_another_twilio_account_is_refused(client, diego, settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    assert twilio_post(client, twilio_sms("SM0006", "Hola")).status_code == 403
    assert not InboundMessage.objects.exists()


def test_twilio_webhooks_are_refused_while_no_auth_token_is_configured(client, diego, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    assert twilio_post(client, twilio_sms("SM0007", "Hola"), signature="anything").status_code == 403


def test_a_whatsapp_cloud_message_is_matched_from_the_wa_id(client, diego):
    response = meta_post(client, meta_change(messages=[meta_text("wamid.AAA1", "Ya pagué ayer")]))
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.debtor, message.channel, message.provider, message.received_at) == (
        diego,
        "whatsapp",
        "whatsapp_cloud",
        WEDNESDAY,
    )


def test_a_whatsapp_cloud_request_with_a_bad_signature_stores_nothing(client, diego):
    payload = meta_change(messages=[meta_text("wamid.AAA2", "Hola")])
    assert meta_post(client, payload, signature="sha256=" + "0" * 64).status_code == 403
    assert meta_post(client, payload, signature="").status_code == 403
    assert not InboundMessage.objects.exists()


def test_a_signed_body_that_is_not_json_is_a_bad_request(client, providers):
    import hashlib
    import hmac

    raw = b"{not json"
    signature = "sha256=" + hmac.new(b"meta-app-secret", raw, hashlib.sha256).hexdigest()
    response = client.post(
        "/hooks/messages/whatsapp_cloud/", data=raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )
    assert response.status_code == 400


def test_meta_subscribes_with_our_verify_token_only(client):
    url = "/hooks/messages/whatsapp_cloud/"
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_an_unknown_provider_is_not_found(client):
    assert client.post("/hooks/messages/nexmo/", data={}).status_code == 404


def test_a_debtors_own_message_is_not_counted_as_one_of_our_attempts(client, diego, portfolio):
    """Chile allows two non-voice actions a week: five messages from the debtor use none of them."""
    portfolio.contact_policy_preset = "cl"
    portfolio.country = "CL"
    portfolio.save()
    diego.time_zone = "America/Santiago"
    diego.save()
    phone = diego.phones.get()
    phone.sms_consent, phone.sms_consent_source, phone.sms_consent_at = True, "Contract", WEDNESDAY
    phone.save()
    for number in range(5):
        twilio_post(client, twilio_sms(f"SM10{number}", f"Mensaje {number}"))
    assert Call.objects.filter(debtor=diego, direction="inbound").count() == 5
    verdict = check_contact(diego, "sms", WEDNESDAY, phone=phone)
    assert verdict.allowed, [reason.message for reason in verdict.reasons]


def test_a_payload_of_another_shape_stores_nothing_and_breaks_nothing(client, diego):
    for payload in ({"entry": "x"}, {"entry": [1, None, {"changes": "y"}]}, {"entry": [{"changes": [{"value": []}]}]}):
        assert meta_post(client, payload).status_code == 200
    assert not InboundMessage.objects.exists()


def test_characters_no_database_holds_are_dropped_not_the_message(client, diego):
    meta_post(client, meta_change(messages=[meta_text("wamid.N1", "pago\u0000 el \ud800viernes")]))
    twilio_post(client, twilio_sms("SM9001", "hola\x00 ya pagué"))
    bodies = set(InboundMessage.objects.values_list("body", flat=True))
    assert bodies == {"pago el viernes", "hola ya pagué"}


def test_an_overlong_provider_id_is_kept_to_its_column(client, diego):
    sid = "SM" + "9" * 300
    assert twilio_post(client, twilio_sms(sid, "Hola")).status_code == 200
    assert InboundMessage.objects.get().provider_message_id == sid[:200]
