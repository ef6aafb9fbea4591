"""Providers that deliver outbox messages: SMS and WhatsApp through a provider interface,
e-mail through Django's mail backends.

Every provider receives the message's idempotency key. `lookup(key)` answers "did you
already get this one?" so that a retry after a crash marks the message sent instead of
sending it again; a provider that cannot answer returns None and the outbox does not resend.
"""

import json
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string


class ProviderError(Exception):
    """The provider refused or could not be reached; the outbox retries with back-off."""


class PermanentProviderError(ProviderError):
    """The provider refused for good (an invalid or unsubscribed number): no retry."""


@dataclass
class Outgoing:
    channel: str
    recipient: str
    subject: str
    body: str
    idempotency_key: str
    # An approved template's name and placeholder values (WhatsApp outside the 24-hour
    # window); providers without templates send `body`.
    template_name: str = ""
    template_params: tuple[str, ...] = ()
    language: str = ""
    # (file name, bytes, content type) of each attachment: e-mail only.
    attachments: tuple[tuple[str, bytes, str], ...] = ()


def _as_dict(message: Outgoing) -> dict:
    """The message as JSON for the development providers; template fields only when used."""
    fields = {
        key: value
        for key, value in message.__dict__.items()
        if key not in ("template_params", "language", "attachments")
    }
    if not message.template_name:
        del fields["template_name"]
    else:
        fields["template_params"] = list(message.template_params)
        fields["language"] = message.language
    return fields


class Provider(ABC):
    can_lookup = False
    # WhatsApp through Meta (directly or through Twilio) takes free text only within 24 hours
    # of the debtor's last message; outside them an approved template.
    templates_outside_window = False

    @abstractmethod
    def send(self, message: Outgoing) -> str:
        """Deliver the message; return the provider's id for it."""

    def lookup(self, idempotency_key: str) -> str | None:
        return None


class FileProvider(Provider):
    """Default for SMS and WhatsApp: one JSON line per message in var/outbox/<channel>.jsonl."""

    can_lookup = True

    def __init__(self, channel: str):
        self.path = Path(settings.VAR_DIR) / "outbox" / f"{channel}.jsonl"

    def send(self, message: Outgoing) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(_as_dict(message), ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")
            outbox.flush()
        return f"file:{message.idempotency_key}"

    def lookup(self, idempotency_key: str) -> str | None:
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as outbox:
            for line in outbox:
                if json.loads(line)["idempotency_key"] == idempotency_key:
                    return f"file:{idempotency_key}"
        return None


class ConsoleProvider(Provider):
    def send(self, message: Outgoing) -> str:
        print(f"[{message.channel} → {message.recipient}] {message.body}")  # noqa: T201 - the console is the point
        return f"console:{message.idempotency_key}"


class HttpProvider(Provider):
    """A generic HTTP gateway: POST JSON to MESSAGING_HTTP_URL with a bearer token and an
    Idempotency-Key header; GET {url}/{key} answers 200 with {"id": …} if it has the message."""

    can_lookup = True

    def __init__(self, channel: str):
        self.channel = channel
        self.url = settings.MESSAGING_HTTP_URL.rstrip("/")
        self.token = settings.MESSAGING_HTTP_TOKEN
        self.timeout = settings.MESSAGING_HTTP_TIMEOUT

    def _request(self, method: str, url: str, payload: dict | None = None, key: str = "") -> dict | None:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {self.token}")
        if key:
            request.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - URL from settings
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            if method == "GET" and error.code == 404:
                return None
            raise ProviderError(f"{error.code} {error.reason}") from error
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise ProviderError(str(error)) from error

    def send(self, message: Outgoing) -> str:
        answer = self._request("POST", self.url, _as_dict(message), key=message.idempotency_key) or {}
        return str(answer.get("id", message.idempotency_key))

    def lookup(self, idempotency_key: str) -> str | None:
        answer = self._request("GET", f"{self.url}/{idempotency_key}")
        return str(answer.get("id", idempotency_key)) if answer is not None else None


class EmailProvider(Provider):
    """Django's configured mail backend. SMTP cannot say whether it already has a message."""

    def send(self, message: Outgoing) -> str:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.recipient],
            headers={"X-Idempotency-Key": message.idempotency_key},
        )
        for name, content, content_type in message.attachments:
            email.attach(name, content, content_type)
        email.send(fail_silently=False)
        return f"email:{message.idempotency_key}"


_BY_NAME = {"file": FileProvider, "console": ConsoleProvider, "http": HttpProvider}


def provider_register(name: str, provider_class: type[Provider]) -> None:
    """A provider that an app above this one implements (Twilio, WhatsApp Cloud API), made
    available under a short name for SMS_PROVIDER / WHATSAPP_PROVIDER."""
    _BY_NAME[name] = provider_class


def provider_for(channel: str) -> Provider:
    if channel == "email":
        return EmailProvider()
    name = {"sms": settings.SMS_PROVIDER, "whatsapp": settings.WHATSAPP_PROVIDER}[channel]
    provider_class = _BY_NAME.get(name) or import_string(name)
    return provider_class(channel) if provider_class is not ConsoleProvider else provider_class()
