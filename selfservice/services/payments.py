"""Payment links: a provider's page for what an instalment still lacks, and the provider's
notice that it was paid, recorded once through `payment_record`."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from collections_crm.templatetags.crm import money
from promises.models import Payment, Promise
from promises.services import payment_record
from selfservice.models import PaymentLink, SelfServiceEvent, SelfServiceLink
from selfservice.paylinks.providers import (
    NoticeRefused,
    PageRequest,
    PaymentProviderError,
    current_provider,
    provider_named,
)

log = logging.getLogger(__name__)
# An open page about to expire is not handed out again: the debtor would land on a dead one.
REUSE_MARGIN = timedelta(minutes=30)


def still_owed(promise: Promise):
    paid = promise.allocations.aggregate(total=Sum("amount"))["total"] or 0
    return promise.amount - paid


def payment_link_start(
    *, link: SelfServiceLink, promise: Promise, success_url: str, cancel_url: str, request_facts: dict
) -> PaymentLink:
    """The page where the debtor pays what `promise` still lacks (one open page per promise and
    amount is reused while it lives)."""
    debtor = link.debtor
    if promise.debtor_id != debtor.pk or promise.status != Promise.Status.PENDING:
        raise ValidationError(_("This payment is no longer due."))
    amount = still_owed(promise)
    if amount <= 0:
        raise ValidationError(_("This payment is no longer due."))
    provider = current_provider()
    now = timezone.now()
    reusable = (
        PaymentLink.objects.filter(
            promise=promise, amount=amount, provider=provider.name, status=PaymentLink.Status.OPEN
        )
        .exclude(url="")
        .exclude(expires_at__lt=now + REUSE_MARGIN)
        .order_by("-pk")
        .first()
    )
    if reusable is not None:
        _started(link, reusable, request_facts, again=True)
        return reusable
    payment_link = PaymentLink.objects.create(
        debtor=debtor, promise=promise, link=link, amount=amount, currency=promise.currency, provider=provider.name
    )
    with translation.override(debtor.language):
        description = _("%(creditor)s · payment of %(amount)s due %(due_date)s") % {
            "creditor": debtor.portfolio.creditor.name,
            "amount": money(amount, promise.currency),
            "due_date": promise.due_date.isoformat(),
        }
    try:
        page = provider.page_create(
            PageRequest(
                link_id=payment_link.pk,
                amount=amount,
                currency=promise.currency,
                description=description.replace("\u00a0", " "),
                success_url=success_url,
                cancel_url=cancel_url,
                customer_email=debtor.email,
                language=debtor.language,
                created_at=payment_link.created_at,
            )
        )
    except PaymentProviderError as error:
        log.warning("payment link %s: provider refused: %s", payment_link.pk, error)
        PaymentLink.objects.filter(pk=payment_link.pk).update(status=PaymentLink.Status.EXPIRED)
        raise ValidationError(_("Online payment is not available right now. Please try again later.")) from error
    PaymentLink.objects.filter(pk=payment_link.pk).update(
        provider_id=page.provider_id, url=page.url, expires_at=page.expires_at
    )
    payment_link.provider_id, payment_link.url, payment_link.expires_at = page.provider_id, page.url, page.expires_at
    _started(link, payment_link, request_facts)
    return payment_link


def _started(link: SelfServiceLink, payment_link: PaymentLink, request_facts: dict, *, again: bool = False) -> None:
    detail = f"{payment_link.amount} {payment_link.currency} · {payment_link.provider} {payment_link.provider_id}"
    SelfServiceEvent.objects.create(
        link=link,
        debtor_id=link.debtor_id,
        kind=SelfServiceEvent.Kind.PAYMENT_STARTED,
        detail=detail + (" (again)" if again else ""),
        **request_facts,
    )


@dataclass
class NoticeResult:
    status: int  # the HTTP status the provider gets back
    outcome: str  # recorded, repeated, ignored, unknown, refused, mismatch


@transaction.atomic
def payment_notice_record(*, provider_name: str, body: bytes, headers, at: datetime | None = None) -> NoticeResult:
    """A provider's webhook: its signature checked, then the payment recorded once.

    Unknown or unpaid events are answered 200 (the provider stops retrying them); a refused
    signature 400; an amount in another currency than the page's is not recorded (409).
    """
    # Only the provider this install pays through may record payments (the development one
    # never beside a real one).
    provider = provider_named(provider_name) if provider_name == settings.PAYMENT_PROVIDER else None
    if provider is None:
        return NoticeResult(404, "unknown_provider")
    try:
        notice = provider.notice_read(body, headers)
    except NoticeRefused as error:
        log.warning("payment notice from %s refused: %s", provider_name, error)
        return NoticeResult(400, "refused")
    if notice is None:
        return NoticeResult(200, "ignored")
    payment_link = (
        PaymentLink.objects.select_for_update(of=("self",))
        .select_related("debtor__portfolio", "promise__debt", "link")
        .filter(provider=provider.name, provider_id=notice.provider_id)
        .first()
    )
    if payment_link is None:
        log.warning("payment notice from %s for an unknown page %s", provider_name, notice.provider_id)
        return NoticeResult(200, "unknown")
    if notice.currency.upper() != payment_link.currency:
        log.error("payment link %s paid in %s, not %s", payment_link.pk, notice.currency, payment_link.currency)
        return NoticeResult(409, "mismatch")
    if payment_link.status == PaymentLink.Status.PAID:
        return NoticeResult(200, "repeated")
    promise = payment_link.promise
    # Providers stamp whole seconds: a payment is never earlier than its page, nor in the future.
    paid_at = min(max(notice.paid_at, payment_link.created_at), at or timezone.now())
    result = payment_record(
        debtor=payment_link.debtor,
        amount=notice.amount,
        paid_at=paid_at,
        reference=notice.reference,
        source=Payment.Source.PAYMENT_LINK,
        debt=promise.debt if promise is not None and promise.debt_id else None,
        at=at,
    )
    PaymentLink.objects.filter(pk=payment_link.pk).update(
        status=PaymentLink.Status.PAID, paid_at=paid_at, payment=result.payment
    )
    SelfServiceEvent.objects.create(
        link=payment_link.link,
        debtor=payment_link.debtor,
        kind=SelfServiceEvent.Kind.PAYMENT_RECEIVED,
        at=at or timezone.now(),
        detail=f"{notice.amount} {notice.currency} · {notice.reference}",
    )
    return NoticeResult(200, "recorded" if result.created else "repeated")
