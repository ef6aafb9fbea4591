"""What a provider's webhook carries, in the provider's neutral shape, and the HTTP call both
providers make to send."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from collections_crm.lib.unstorable import without_unstorable
from promises.messaging import PermanentProviderError, ProviderError


class WebhookRejected(Exception):
    """The request is not from the provider (bad or missing signature, wrong account)."""


@dataclass(frozen=True)
class Incoming:
    provider: str
    provider_message_id: str
    channel: str
    sender: str  # E.164
    recipient: str
    body: str
    received_at: datetime

    def __post_init__(self):
        # What the database can hold, within the columns' sizes: nothing the debtor wrote is
        # refused for a NUL or a lone surrogate in it.
        _fit(self, provider_message_id=200, sender=32, recipient=64, body=None)


@dataclass(frozen=True)
class Receipt:
    provider: str
    provider_message_id: str
    status: str  # DeliveryEvent.Status
    occurred_at: datetime
    error_code: str = ""
    error_reason: str = ""

    def __post_init__(self):
        _fit(self, provider_message_id=200, error_code=32, error_reason=500)


def _fit(instance, **sizes) -> None:
    for name, size in sizes.items():
        value = without_unstorable(str(getattr(instance, name)))
        object.__setattr__(instance, name, value[:size] if size else value)


def http_post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, permanent) -> dict:
    """POST and read the JSON answer. `permanent(status, answer)` says whether a refusal is
    final (a bad number: retrying cannot help) rather than worth a retry (rate limit, outage)."""
    request = urllib.request.Request(url, data=body, method="POST")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URL from settings
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read() or b"{}")
        except ValueError:
            answer = {}
        reason = f"{error.code} {describe(answer) or error.reason}"
        raise (PermanentProviderError if permanent(error.code, answer) else ProviderError)(reason) from error
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise ProviderError(str(error)) from error


def describe(answer: dict) -> str:
    """The provider's own words for a refusal: Twilio's {code, message}, Meta's {error: …}."""
    error = answer.get("error") if isinstance(answer.get("error"), dict) else answer
    code, message = error.get("code"), error.get("message")
    return " ".join(str(part) for part in (code, message) if part)
