import base64
import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine

LIMA = ZoneInfo("America/Lima")
# Wednesday 18 November 2026, 10:00 in Lima: inside Peru's contact hours.
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
TWILIO_TOKEN = "12345"
TWILIO_ACCOUNT = "AC" + "0" * 32
APP_SECRET = "meta-app-secret"
BASE_URL = "https://crm.example.com"
DIEGO_NUMBER = "+51987654321"


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def providers(settings, tmp_path):
    """Both real providers configured (keys as in their docs' examples), the file outbox in tmp."""
    settings.VAR_DIR = tmp_path
    settings.MESSAGING_WEBHOOK_BASE_URL = BASE_URL
    settings.TWILIO_ACCOUNT_SID = TWILIO_ACCOUNT
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_SMS_FROM = "+15005550006"
    settings.TWILIO_WHATSAPP_FROM = "+14155238886"
    settings.WHATSAPP_CLOUD_TOKEN = "EAAG-token"
    settings.WHATSAPP_CLOUD_PHONE_NUMBER_ID = "106540352242922"
    settings.WHATSAPP_CLOUD_APP_SECRET = APP_SECRET
    settings.WHATSAPP_CLOUD_VERIFY_TOKEN = "verify-me"
    return settings


def twilio_signature(url: str, params: dict) -> str:
    """Written out here from Twilio's documented algorithm, apart from the code under test."""
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()


def twilio_post(client, params: dict, *, signature: str | None = None):
    path = "/hooks/messages/twilio/"
    signature = twilio_signature(BASE_URL + path, params) if signature is None else signature
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def twilio_sms(sid: str, body: str, sender: str = DIEGO_NUMBER, **extra) -> dict:
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": "+15005550006",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": TWILIO_ACCOUNT,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def meta_post(client, payload: dict, *, signature: str | None = None):
    raw = json.dumps(payload).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        "/hooks/messages/whatsapp_cloud/",
        data=raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def meta_change(*, messages=(), statuses=()) -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Diego"}, "wa_id": DIEGO_NUMBER.lstrip("+")}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def meta_text(wamid: str, body: str, *, at: datetime = WEDNESDAY, sender: str = DIEGO_NUMBER) -> dict:
    return {
        "from": sender.lstrip("+"),
        "id": wamid,
        "timestamp": str(int(at.timestamp())),
        "type": "text",
        "text": {"body": body},
    }


def consent(phone, *channels):
    for channel in channels:
        setattr(phone, f"{channel}_consent", True)
        setattr(phone, f"{channel}_consent_source", "Contract clause 12")
        setattr(phone, f"{channel}_consent_at", WEDNESDAY)
    phone.save()
