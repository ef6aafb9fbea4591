"""Meta's WhatsApp Cloud API.

Sending: POST {graph}/{phone-number-id}/messages with a bearer token and a JSON body: a
"text" message inside the 24-hour customer-service window, a "template" outside it. The
answer names the message "wamid…". Receiving: JSON webhooks whose raw body is signed in
X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 with the app secret); the subscription
is confirmed once by a GET echoing hub.challenge when hub.verify_token matches.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.conf import settings

from conversations.providers.common import Incoming, Receipt, WebhookRejected, http_post
from conversations.providers.numbers import e164_or_empty
from promises.messaging import Outgoing, Provider

NAME = "whatsapp_cloud"
SIGNATURE_PREFIX = "sha256="
# Refusals no retry can change: re-engagement needed (outside the 24-hour window), not a
# WhatsApp user, template missing or malformed, recipient blocked the business.
PERMANENT_CODES = frozenset({131047, 131026, 132000, 132001, 132005, 132012, 131051, 131021, 100})
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056})


def signature(app_secret: str, raw_body: bytes) -> str:
    return SIGNATURE_PREFIX + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify(*, raw_body: bytes, header: str) -> None:
    secret = settings.WHATSAPP_CLOUD_APP_SECRET
    if not secret or not header:
        raise WebhookRejected("missing signature" if secret else "WHATSAPP_CLOUD_APP_SECRET is not set")
    if not hmac.compare_digest(signature(secret, raw_body), header):
        raise WebhookRejected("bad signature")


def subscription_challenge(params) -> str | None:
    """The challenge to echo when Meta confirms the subscription with our verify token."""
    token = settings.WHATSAPP_CLOUD_VERIFY_TOKEN
    if (
        token
        and params.get("hub.mode") == "subscribe"
        and hmac.compare_digest(params.get("hub.verify_token", ""), token)
    ):
        return params.get("hub.challenge", "")
    return None


def _moment(timestamp) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(tz=UTC)


def _text_of(message: dict) -> str:
    kind = str(message.get("type", ""))
    if kind == "text":
        return str(_object(message.get("text")).get("body", ""))
    if kind == "button":
        return str(_object(message.get("button")).get("text", ""))
    if kind == "interactive":
        interactive = _object(message.get("interactive"))
        reply = _object(interactive.get("button_reply")) or _object(interactive.get("list_reply"))
        return str(reply.get("title", ""))
    caption = _object(message.get(kind)).get("caption", "")
    return f"[{kind}] {caption}".strip()


def _objects(value) -> list[dict]:
    """The JSON objects of a list (anything else in Meta's payload shape is skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def parse(payload: dict) -> tuple[list[Incoming], list[Receipt]]:
    incoming, receipts = [], []
    for entry in _objects(payload.get("entry")):
        for change in _objects(entry.get("changes")):
            value = _object(change.get("value"))
            ours = str(_object(value.get("metadata")).get("display_phone_number") or "")
            for message in _objects(value.get("messages")):
                if not message.get("id"):
                    continue
                incoming.append(
                    Incoming(
                        provider=NAME,
                        provider_message_id=str(message["id"]),
                        channel="whatsapp",
                        sender=e164_or_empty(str(message.get("from", ""))),
                        recipient=str(ours),
                        body=_text_of(message),
                        received_at=_moment(message.get("timestamp")),
                    )
                )
            for status in _objects(value.get("statuses")):
                if not status.get("id") or status.get("status") not in ("sent", "delivered", "read", "failed"):
                    continue
                error = (_objects(status.get("errors")) or [{}])[0]
                details = str(_object(error.get("error_data")).get("details", ""))
                receipts.append(
                    Receipt(
                        provider=NAME,
                        provider_message_id=str(status["id"]),
                        status=status["status"],
                        occurred_at=_moment(status.get("timestamp")),
                        error_code=str(error.get("code", "")),
                        error_reason=" · ".join(part for part in (str(error.get("title", "")), details) if part),
                    )
                )
    return incoming, receipts


def _permanent(status: int, answer: dict) -> bool:
    code = (answer.get("error") or {}).get("code") if isinstance(answer.get("error"), dict) else None
    return status != 429 and code not in RATE_LIMIT_CODES and (code in PERMANENT_CODES or status in (400, 404))


class WhatsAppCloudProvider(Provider):
    templates_outside_window = True

    def __init__(self, channel: str = "whatsapp"):
        self.url = f"{settings.WHATSAPP_CLOUD_API_URL.rstrip('/')}/{settings.WHATSAPP_CLOUD_PHONE_NUMBER_ID}/messages"

    @staticmethod
    def request_body(message: Outgoing) -> bytes:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.recipient.lstrip("+")}
        if message.template_name:
            parameters = [{"type": "text", "text": value} for value in message.template_params]
            template = {"name": message.template_name, "language": {"code": message.language or "es"}}
            if parameters:
                template["components"] = [{"type": "body", "parameters": parameters}]
            payload.update(type="template", template=template)
        else:
            payload.update(type="text", text={"preview_url": False, "body": message.body})
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

    def send(self, message: Outgoing) -> str:
        answer = http_post(
            self.url,
            self.request_body(message),
            {"Authorization": f"Bearer {settings.WHATSAPP_CLOUD_TOKEN}", "Content-Type": "application/json"},
            timeout=settings.MESSAGING_HTTP_TIMEOUT,
            permanent=_permanent,
        )
        sent = answer.get("messages") or [{}]
        return str(sent[0].get("id") or message.idempotency_key)
