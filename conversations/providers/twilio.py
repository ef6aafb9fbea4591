"""Twilio Programmable Messaging: SMS, and WhatsApp through Twilio.

Sending: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded, HTTP Basic
auth with the account SID and auth token; a template goes as ContentSid + ContentVariables
(Twilio's Content API). Receiving: form-encoded webhooks signed in X-Twilio-Signature:
base64(HMAC-SHA1(auth token, the URL Twilio called + each parameter's name and value, sorted
by name)). An inbound message carries SmsStatus "received"; anything else is a status
callback for a message we sent.
"""

import base64
import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings

from conversations.providers.common import Incoming, Receipt, WebhookRejected, http_post
from conversations.providers.numbers import e164_or_empty
from promises.messaging import Outgoing, Provider

NAME = "twilio"
WHATSAPP_PREFIX = "whatsapp:"
# Twilio's message statuses, as our delivery statuses.
STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}
# Refusals that no retry can change: invalid or unreachable number, unsubscribed recipient
# (21610: the debtor texted STOP to Twilio), WhatsApp outside its 24-hour window (63016).
PERMANENT_CODES = frozenset({21211, 21212, 21408, 21612, 21614, 21610, 63016})


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature for a form POST to `url` (Twilio's "Webhooks security" algorithm)."""
    payload = url + "".join(f"{name}{value}" for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(*, url: str, params: list[tuple[str, str]], header: str) -> None:
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not header:
        raise WebhookRejected("missing signature" if token else "TWILIO_AUTH_TOKEN is not set")
    if not hmac.compare_digest(signature(token, url, params), header):
        raise WebhookRejected("bad signature")
    account = dict(params).get("AccountSid", "")
    if settings.TWILIO_ACCOUNT_SID and account != settings.TWILIO_ACCOUNT_SID:
        raise WebhookRejected("another account")


def parse(params: list[tuple[str, str]], *, now: datetime) -> tuple[list[Incoming], list[Receipt]]:
    fields = dict(params)
    sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
    if not sid:
        return [], []
    status = fields.get("SmsStatus") or fields.get("MessageStatus") or ""
    if status == "received":
        sender = fields.get("From", "")
        channel = "whatsapp" if sender.startswith(WHATSAPP_PREFIX) else "sms"
        body = fields.get("Body", "")
        if not body and fields.get("NumMedia", "0") not in ("", "0"):
            body = f"[{fields.get('MediaContentType0', 'media')}]"
        incoming = Incoming(
            provider=NAME,
            provider_message_id=sid,
            channel=channel,
            sender=e164_or_empty(sender.removeprefix(WHATSAPP_PREFIX)),
            recipient=fields.get("To", "").removeprefix(WHATSAPP_PREFIX),
            body=body,
            received_at=now,
        )
        return [incoming], []
    ours = STATUSES.get(fields.get("MessageStatus", status))
    if ours is None:
        return [], []
    receipt = Receipt(
        provider=NAME,
        provider_message_id=sid,
        status=ours,
        occurred_at=now,
        error_code=fields.get("ErrorCode", "") if ours == "failed" else "",
        error_reason=(fields.get("ErrorMessage", "") if ours == "failed" else "")[:500],
    )
    return [], [receipt]


def status_callback_url() -> str:
    base = settings.MESSAGING_WEBHOOK_BASE_URL.rstrip("/")
    return f"{base}/hooks/messages/{NAME}/" if base else ""


class TwilioProvider(Provider):
    def __init__(self, channel: str):
        self.channel = channel
        self.templates_outside_window = channel == "whatsapp"
        self.account = settings.TWILIO_ACCOUNT_SID
        sender = settings.TWILIO_WHATSAPP_FROM if channel == "whatsapp" else settings.TWILIO_SMS_FROM
        self.sender = sender
        self.url = f"{settings.TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/{self.account}/Messages.json"

    def _address(self, number: str) -> str:
        return f"{WHATSAPP_PREFIX}{number}" if self.channel == "whatsapp" else number

    def request_body(self, message: Outgoing) -> bytes:
        params = [("To", self._address(message.recipient))]
        # A Messaging Service (MG…) picks the sender itself; a number is sent as From.
        params.append(
            ("MessagingServiceSid", self.sender)
            if self.sender.startswith("MG")
            else ("From", self._address(self.sender))
        )
        if message.template_name:
            variables = {str(index): value for index, value in enumerate(message.template_params, start=1)}
            params += [
                ("ContentSid", message.template_name),
                ("ContentVariables", json.dumps(variables, ensure_ascii=False)),
            ]
        else:
            params.append(("Body", message.body))
        if callback := status_callback_url():
            params.append(("StatusCallback", callback))
        return urlencode(params).encode()

    def send(self, message: Outgoing) -> str:
        credentials = base64.b64encode(f"{self.account}:{settings.TWILIO_AUTH_TOKEN}".encode()).decode()
        answer = http_post(
            self.url,
            self.request_body(message),
            {
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            timeout=settings.MESSAGING_HTTP_TIMEOUT,
            permanent=lambda status, answer: status != 429 and answer.get("code") in PERMANENT_CODES,
        )
        return str(answer.get("sid") or message.idempotency_key)
