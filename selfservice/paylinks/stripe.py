"""A small client for Stripe's Checkout Sessions API and its webhook signatures.

Standard library only (urllib, hmac): one endpoint and one signature scheme do not earn
stripe-python's dependency. Written to Stripe's published API format:

- requests are form encoded with bracketed keys (`line_items[0][price_data][currency]`),
  authenticated with `Authorization: Bearer <secret key>` and made safe to retry with
  `Idempotency-Key`;
- amounts are integers in the currency's minor unit (https://docs.stripe.com/currencies);
- webhooks carry `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`, the hex being
  HMAC-SHA256(endpoint secret, "<t>." + raw body) (https://docs.stripe.com/webhooks).
"""

import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.client import HTTPException

API_BASE = "https://api.stripe.com"

# https://docs.stripe.com/currencies#zero-decimal: the amount is sent as is, not times 100.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
# https://docs.stripe.com/currencies#three-decimal: times 1000, and the last digit must be 0
# (Stripe's payment partners take two decimals), so 5.124 KWD cannot be charged.
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Two-decimal in the API but charged in whole units only since 2023 (the card networks' rule):
# Stripe refuses an ISK amount not divisible by 100.
WHOLE_UNIT_CURRENCIES = frozenset({"ISK"})

# Stripe's documented limits on metadata (https://docs.stripe.com/api/metadata).
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 40
METADATA_VALUE_MAX_LENGTH = 500
IDEMPOTENCY_KEY_MAX_LENGTH = 255

_CURRENCY = re.compile(r"[a-z]{3}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class StripeError(Exception):
    """Stripe refused the request or could not be reached.

    The message is Stripe's own `error.message` when it gave one; never the API key.
    `status` is the HTTP status (None when Stripe was not reached); `type` and `code` are
    Stripe's error type and code when it gave them."""

    def __init__(self, message: str, *, status: int | None = None, type: str = "", code: str = "", param: str = ""):
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.param = param


class SignatureError(Exception):
    """A webhook's Stripe-Signature does not prove it came from Stripe, or came too late."""


def _exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def minor_units(amount: Decimal, currency: str) -> int:
    """The integer Stripe takes for `amount` in `currency`: PEN 123.45 → 12345, CLP 5000 → 5000.

    Raises ValueError for an amount the currency cannot carry (CLP 10.50, PEN 1.005) rather
    than rounding a debtor's payment."""
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"Not an amount: {amount}")
    code = currency.upper()
    scaled = amount.scaleb(_exponent(code))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{code} {amount} has more decimals than {code} allows")
    value = int(scaled)
    if code in THREE_DECIMAL_CURRENCIES and value % 10:
        raise ValueError(f"Stripe charges {code} in steps of 0.01, not {amount}")
    if code in WHOLE_UNIT_CURRENCIES and value % 100:
        raise ValueError(f"Stripe charges {code} in whole units, not {amount}")
    return value


def from_minor_units(value: int, currency: str) -> Decimal:
    """The amount Stripe's integer stands for: (12345, PEN) → 123.45, (5000, CLP) → 5000."""
    return Decimal(int(value)).scaleb(-_exponent(currency))


@dataclass(frozen=True)
class CheckoutRequest:
    amount: Decimal
    currency: str  # ISO 4217, any case
    description: str  # the line item's product name, shown on Stripe's page
    success_url: str
    cancel_url: str
    client_reference_id: str
    metadata: dict[str, str]
    idempotency_key: str
    expires_at: datetime | None = None
    customer_email: str = ""
    locale: str = "auto"


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    status: str  # open, complete, expired
    payment_status: str  # unpaid, paid, no_payment_required
    amount_total: int | None
    currency: str
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_stripe(cls, obj: dict) -> "CheckoutSession":
        """From a `checkout.session` object: the API's answer or a webhook's data.object."""
        try:
            return cls(
                id=obj["id"],
                url=obj.get("url") or "",
                status=obj.get("status") or "",
                payment_status=obj.get("payment_status") or "",
                amount_total=obj.get("amount_total"),
                currency=obj.get("currency") or "",
                raw=obj,
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise StripeError("Stripe's answer is not a Checkout Session") from error


def checkout_form(request: CheckoutRequest) -> list[tuple[str, str]]:
    """The form fields of POST /v1/checkout/sessions, in a stable order.

    One line item with inline price_data (no Product or Price to create first). Empty
    optional fields are left out: Stripe refuses an empty string where it expects a value.
    payment_method_types is left out: it is optional, and without it Checkout offers the
    methods enabled in the Dashboard."""
    currency = request.currency.strip().lower()
    if not _CURRENCY.fullmatch(currency):
        raise ValueError(f"Not an ISO currency code: {request.currency!r}")
    unit_amount = minor_units(request.amount, currency)
    if unit_amount <= 0:
        raise ValueError(f"Stripe cannot charge {request.amount} {currency.upper()}")
    if not request.description:
        raise ValueError("A checkout needs a description: Stripe shows it as the product's name")
    if not request.success_url:
        raise ValueError("A checkout needs a success_url")

    fields = [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", currency),
        ("line_items[0][price_data][unit_amount]", str(unit_amount)),
        ("line_items[0][price_data][product_data][name]", request.description),
        ("line_items[0][quantity]", "1"),
        ("success_url", request.success_url),
    ]
    if request.cancel_url:
        fields.append(("cancel_url", request.cancel_url))
    if request.client_reference_id:
        fields.append(("client_reference_id", request.client_reference_id))
    fields += _metadata_fields(request.metadata)
    if request.expires_at is not None:
        if request.expires_at.utcoffset() is None:
            raise ValueError("expires_at must be an aware datetime")
        fields.append(("expires_at", str(int(request.expires_at.timestamp()))))
    if request.customer_email:
        fields.append(("customer_email", request.customer_email))
    if request.locale:
        fields.append(("locale", request.locale))
    return fields


def _metadata_fields(metadata: dict[str, str]) -> list[tuple[str, str]]:
    if len(metadata) > METADATA_MAX_KEYS:
        raise ValueError(f"Stripe keeps at most {METADATA_MAX_KEYS} metadata keys")
    fields = []
    # Sorted, so that equal requests encode to equal bodies: a retry under the same
    # Idempotency-Key must send the same parameters or Stripe refuses it.
    for key in sorted(metadata):
        value = metadata[key]
        if not key or len(key) > METADATA_KEY_MAX_LENGTH or "[" in key or "]" in key:
            raise ValueError(f"Not a Stripe metadata key: {key!r}")
        if not isinstance(value, str) or len(value) > METADATA_VALUE_MAX_LENGTH:
            raise ValueError(f"Metadata {key!r} must be a string of at most {METADATA_VALUE_MAX_LENGTH} characters")
        fields.append((f"metadata[{key}]", value))
    return fields


def checkout_session_create(
    request: CheckoutRequest,
    *,
    api_key: str,
    api_base: str = API_BASE,
    timeout: float = 10.0,
    stripe_version: str = "",
) -> CheckoutSession:
    """Create a Checkout Session; the debtor pays on the page at its `url`.

    Safe to retry with the same request: Stripe answers a repeated Idempotency-Key with the
    first session (for 24 hours). Raises StripeError when Stripe refuses or is unreachable."""
    if not api_key:
        raise ValueError("No Stripe API key")
    if not request.idempotency_key or len(request.idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValueError(f"An Idempotency-Key of 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters is required")
    body = urllib.parse.urlencode(checkout_form(request)).encode("ascii")
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "Idempotency-Key": request.idempotency_key,
    }
    if stripe_version:
        headers["Stripe-Version"] = stripe_version
    answer = _post(f"{api_base.rstrip('/')}/v1/checkout/sessions", body, headers, timeout=timeout, api_key=api_key)
    return CheckoutSession.from_stripe(answer)


def _post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, api_key: str) -> dict:
    http_request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:  # noqa: S310 - URL from settings
            raw = response.read()
    except urllib.error.HTTPError as error:
        # `from None`: the HTTPError's own traceback adds nothing to Stripe's words.
        raise _refusal(error, api_key) from None
    except (urllib.error.URLError, TimeoutError, HTTPException, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise StripeError(_without(f"Stripe could not be reached: {reason}", api_key)) from error
    try:
        answer = json.loads(raw)
    except ValueError as error:
        raise StripeError("Stripe's answer is not JSON") from error
    if not isinstance(answer, dict):
        raise StripeError("Stripe's answer is not a JSON object")
    return answer


def _refusal(error: urllib.error.HTTPError, api_key: str) -> StripeError:
    try:
        answer = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        answer = {}
    detail = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(detail, dict):
        detail = {}
    message = detail.get("message") or f"Stripe answered HTTP {error.code}"
    return StripeError(
        # Stripe masks a wrong key in its message ("sk_test_***…1234"); mask it again here in
        # case an answer ever quotes it whole, since these messages reach logs.
        _without(str(message), api_key),
        status=error.code,
        type=str(detail.get("type") or ""),
        code=str(detail.get("code") or ""),
        param=str(detail.get("param") or ""),
    )


def _without(text: str, secret: str) -> str:
    return text.replace(secret, "[api key]") if secret else text


def webhook_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header Stripe would send for `payload` at `timestamp`."""
    return f"t={int(timestamp)},v1={_signature(payload, secret, int(timestamp))}"


def _signature(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_event_verify(
    payload: bytes, signature_header: str, secret: str, *, now: float | None = None, tolerance: int = 300
) -> dict:
    """The event in a webhook's raw body, once its Stripe-Signature proves it is Stripe's.

    1. Parse the header: exactly one `t`, at least one `v1`; other schemes (v0, test-mode
       extras) are ignored, as Stripe says to.
    2. Compare HMAC-SHA256(secret, "<t>." + payload) with every v1 in constant time: during a
       secret's rotation Stripe signs with both secrets.
    3. Refuse a timestamp more than `tolerance` seconds from `now` either way: a replayed
       request carries its old, signed timestamp.

    Verify the bytes as received: re-serialised JSON no longer matches the signature.
    Raises SignatureError; ValueError if the signed payload is not a JSON object."""
    if not secret:
        raise ValueError("No webhook secret: every signature would be refused")
    if isinstance(payload, str):
        payload = payload.encode()
    timestamp, signatures = _parse_signature_header(signature_header)
    expected = _signature(payload, secret, timestamp).encode()
    # No short cut out of the loop: every candidate costs the same, whichever matches.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise SignatureError("No v1 signature matches the payload")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("The signature's timestamp is outside the tolerance")
    event = json.loads(payload)
    if not isinstance(event, dict):
        raise ValueError("The webhook's payload is not a JSON object")
    return event


def _parse_signature_header(header: str) -> tuple[int, list[str]]:
    timestamps, signatures = [], []
    for item in (header or "").split(","):
        scheme, equals, value = item.strip().partition("=")
        if not equals or not scheme:
            raise SignatureError("Malformed Stripe-Signature header")
        if scheme == "t":
            timestamps.append(value)
        elif scheme == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        raise SignatureError("Malformed Stripe-Signature header: no single timestamp")
    if not signatures:
        raise SignatureError("No v1 signature in the Stripe-Signature header")
    return int(timestamps[0]), signatures
