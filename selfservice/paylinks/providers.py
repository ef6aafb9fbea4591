"""Payment providers behind one interface: make a payment page for an amount, and read the
provider's notice that it was paid (its signature checked first).

`stripe` speaks Stripe's Checkout Sessions API; `file` (the development default) writes each
link to var/paylinks/links.jsonl and points it at a local page that pays it at a click.
"""

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.urls import reverse

from selfservice.paylinks import stripe

# Stripe lets a Checkout Session live between 30 minutes and 24 hours.
LINK_LIFE = timedelta(hours=23)


class PaymentProviderError(Exception):
    """The provider refused or could not be reached: the debtor is told to try again later."""


class NoticeRefused(Exception):
    """A notice whose signature does not hold, or that cannot be read: nothing is recorded."""


@dataclass(frozen=True)
class PageRequest:
    link_id: int
    amount: Decimal
    currency: str
    description: str
    success_url: str
    cancel_url: str
    customer_email: str
    language: str
    created_at: datetime


@dataclass(frozen=True)
class PaymentPage:
    provider_id: str
    url: str
    expires_at: datetime | None


@dataclass(frozen=True)
class PaidNotice:
    """The provider says this page was paid: the amount, and the reference of the payment."""

    provider_id: str
    reference: str
    amount: Decimal
    currency: str
    paid_at: datetime


class PaymentProvider(ABC):
    name = ""

    @abstractmethod
    def page_create(self, request: PageRequest) -> PaymentPage: ...

    @abstractmethod
    def notice_read(self, body: bytes, headers) -> PaidNotice | None:
        """The paid notice in a webhook, None for an event that pays nothing (ignored)."""


class StripeProvider(PaymentProvider):
    name = "stripe"

    def page_create(self, request: PageRequest) -> PaymentPage:
        # From the row's own moment: a retry under the same Idempotency-Key sends the same body.
        expires_at = request.created_at + LINK_LIFE
        checkout = stripe.CheckoutRequest(
            amount=request.amount,
            currency=request.currency,
            description=request.description,
            success_url=request.success_url,
            cancel_url=request.cancel_url,
            client_reference_id=f"paylink-{request.link_id}",
            metadata={"payment_link": str(request.link_id)},
            idempotency_key=f"paylink-{request.link_id}",
            expires_at=expires_at,
            customer_email=request.customer_email,
            locale=request.language if request.language in ("es", "en") else "auto",
        )
        try:
            session = stripe.checkout_session_create(
                checkout, api_key=settings.STRIPE_API_KEY, api_base=settings.STRIPE_API_BASE, timeout=10.0
            )
        except (stripe.StripeError, ValueError) as error:
            raise PaymentProviderError(str(error)) from error
        return PaymentPage(provider_id=session.id, url=session.url, expires_at=expires_at)

    def notice_read(self, body: bytes, headers) -> PaidNotice | None:
        try:
            event = stripe.webhook_event_verify(
                body, headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRET
            )
        except (stripe.SignatureError, ValueError) as error:
            raise NoticeRefused(str(error)) from error
        if event.get("type") not in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            return None
        session = (event.get("data") or {}).get("object") or {}
        if session.get("payment_status") != "paid":
            return None  # a delayed method: its async_payment_succeeded comes later
        try:
            currency = str(session["currency"]).upper()
            return PaidNotice(
                provider_id=str(session["id"]),
                reference=str(session.get("payment_intent") or session["id"]),
                amount=stripe.from_minor_units(int(session["amount_total"]), currency),
                currency=currency,
                paid_at=datetime.fromtimestamp(int(event["created"]), UTC),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise NoticeRefused(f"unreadable session: {error}") from error


class FileProvider(PaymentProvider):
    """Development: no provider at all. The page is ours (/pay/dev/<signed id>/), and paying it
    posts a notice signed with the site's secret to the same webhook a provider would call."""

    name = "file"
    SALT = "selfservice.paylinks.file"

    def page_create(self, request: PageRequest) -> PaymentPage:
        path = Path(settings.VAR_DIR) / "paylinks" / "links.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        provider_id = f"file-{request.link_id}"
        with path.open("a", encoding="utf-8") as links:
            links.write(
                json.dumps({"id": provider_id, "amount": str(request.amount), "currency": request.currency}) + "\n"
            )
        url = reverse("dev_pay", args=[signing.dumps(provider_id, salt=self.SALT)])
        return PaymentPage(provider_id=provider_id, url=url, expires_at=None)

    @classmethod
    def notice(cls, provider_id: str, amount: Decimal, currency: str, paid_at: datetime) -> bytes:
        body = {"id": provider_id, "amount": str(amount), "currency": currency, "paid_at": paid_at.isoformat()}
        return signing.dumps(body, salt=cls.SALT).encode()

    def notice_read(self, body: bytes, headers) -> PaidNotice | None:
        try:
            data = signing.loads(body.decode(), salt=self.SALT, max_age=300)
            return PaidNotice(
                provider_id=data["id"],
                reference=data["id"],
                amount=Decimal(data["amount"]),
                currency=data["currency"],
                paid_at=datetime.fromisoformat(data["paid_at"]),
            )
        except (signing.BadSignature, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
            raise NoticeRefused(str(error)) from error


PROVIDERS = {"stripe": StripeProvider, "file": FileProvider}


def provider_named(name: str) -> PaymentProvider | None:
    provider_class = PROVIDERS.get(name)
    return provider_class() if provider_class is not None else None


def payments_available() -> bool:
    return settings.PAYMENT_PROVIDER in PROVIDERS


def current_provider() -> PaymentProvider:
    return PROVIDERS[settings.PAYMENT_PROVIDER]()
