"""Payments: recorded once, allocated to debts, reconciled against the promises they keep."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_crm.permissions import debtor_scope
from debtors.models import BalanceChange, Debt, Debtor
from debtors.services import debtor_queue_figures_refresh
from promises.models import (
    Arrangement,
    Payment,
    PaymentAllocation,
    Promise,
    PromiseEvent,
)
from promises.services.commitments import PENDING, _close_pending
from promises.signals import arrangement_completed, debt_paid_off

# Bank files stamp payments with their own clocks; a few minutes ahead is not "the future".
PAYMENT_CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class PaymentResult:
    payment: Payment
    created: bool
    kept_promise_ids: list[int] = field(default_factory=list)
    # The reference is already another debtor's payment (one the recorder may see): `payment`
    # is that one, and nothing was recorded.
    reference_taken: bool = False


@transaction.atomic
def payment_record(
    *,
    debtor: Debtor,
    amount: Decimal,
    paid_at: datetime,
    reference: str,
    source: str,
    debt: Debt | None = None,
    recorded_by=None,
    at: datetime | None = None,
) -> PaymentResult:
    """Record a payment once per (debtor, source, reference) and reconcile the debtor's promises.

    1. A reference already recorded for this debtor from this source changes nothing: the first
       record wins (a feed may resend). One recorded from this source for another debtor that
       `recorded_by` may see (anyone: all debtors) is refused as `reference_taken`; one that
       only debtors outside their scope hold does not count, so the answer never tells them
       that it exists.
    2. The debtor row is locked, so two payments of one debtor are allocated one at a time.
    3. The amount is allocated to the debtor's pending promises that were open when it was
       paid (made before it, lapsing after it), earliest due first, each up to what it
       still lacks; a promise whose allocations reach its amount is kept at once.
    4. The debt's balance goes down by the amount (never below zero).
    """
    at = at or timezone.now()
    amount = Decimal(amount)
    reference = reference.strip()
    if amount <= 0:
        raise ValidationError({"amount": _("A payment must be for an amount above zero.")})
    if not reference:
        raise ValidationError({"reference": _("A payment needs its reference (bank or receipt number).")})
    if paid_at > at + PAYMENT_CLOCK_SKEW:
        raise ValidationError({"paid_at": _("A payment cannot be dated in the future.")})
    if debt is not None and debt.debtor_id != debtor.pk:
        raise ValidationError({"debt": _("This debt belongs to another debtor.")})
    same_reference = Payment.objects.filter(source=source, reference=reference)
    existing = same_reference.filter(debtor=debtor).first()
    if existing is not None:
        return PaymentResult(payment=existing, created=False)
    visible = debtor_scope(recorded_by, via="debtor") if recorded_by is not None else Q()
    taken = same_reference.filter(visible).order_by("pk").first()
    if taken is not None:
        return PaymentResult(payment=taken, created=False, reference_taken=True)

    Debtor.objects.select_for_update().filter(pk=debtor.pk).first()
    payment = Payment(
        debtor=debtor,
        debt=debt,
        amount=amount,
        currency=debt.currency if debt is not None else debtor.portfolio.currency,
        paid_at=paid_at,
        reference=reference,
        source=source,
        recorded_by=recorded_by,
        credited_to=debtor.assigned_to,
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # Recorded by someone else between our look-up and our insert: theirs stands.
        return PaymentResult(payment=same_reference.get(debtor=debtor), created=False)

    # A payment on a known debt pays that debt's promises, or promises not tied to a debt.
    same_debt = Q(debt=debt) | Q(debt__isnull=True) if debt is not None else Q()
    open_promises = (
        Promise.objects.filter(same_debt, debtor=debtor, status=PENDING, created_at__lte=paid_at, lapses_at__gt=paid_at)
        .annotate(allocated=Sum("allocations__amount"))
        .order_by("due_date", "instalment_number", "pk")
    )
    remaining = amount
    allocations, fully_paid = [], []
    for promise in open_promises:
        if remaining <= 0:
            break
        lacking = promise.amount - (promise.allocated or Decimal("0"))
        if lacking <= 0:
            continue
        share = min(lacking, remaining)
        allocations.append(PaymentAllocation(payment=payment, promise=promise, amount=share))
        remaining -= share
        if share == lacking:
            fully_paid.append(promise)
    PaymentAllocation.objects.bulk_create(allocations)
    if allocations and payment.credited_to_id is None:
        Payment.objects.filter(pk=payment.pk).update(credited_to=allocations[0].promise.collector_id)
    kept = _close_pending(
        [promise.pk for promise in fully_paid],
        to_status=Promise.Status.KEPT,
        at=at,
        cause=PromiseEvent.Cause.PAYMENT,
        by=recorded_by,
        note=reference,
    )
    completed = _complete_arrangements({promise.arrangement_id for promise in fully_paid if promise.arrangement_id})

    target = debt or next((a.promise.debt for a in allocations if a.promise.debt_id), None)
    if target is None:
        target = debtor.debts.filter(recalled_on__isnull=True, balance__gt=0).order_by("due_date", "pk").first()
    if target is not None:
        # import_hash cleared: the creditor's next file sets the balance again, not skipped as unchanged.
        Debt.objects.filter(pk=target.pk).update(
            balance=Greatest(F("balance") - amount, Decimal("0")), updated_at=at, import_hash=None
        )
        if payment.debt_id is None:
            Payment.objects.filter(pk=payment.pk).update(debt=target)
    forgiven = _settlements_forgive(completed, at=at)
    if target is not None or forgiven:
        debtor_queue_figures_refresh(debtor_ids=[debtor.pk])
    if target is not None and target.pk not in forgiven:
        if Debt.objects.filter(pk=target.pk, balance=0).exists():
            debt_paid_off.send(sender=Debt, debt_id=target.pk, at=at)
    if completed:
        arrangement_completed.send(sender=Arrangement, arrangement_ids=completed, at=at)
    return PaymentResult(payment=payment, created=True, kept_promise_ids=kept)


def _complete_arrangements(arrangement_ids) -> list[int]:
    """An active arrangement whose instalments are all kept is completed; returns those ids."""
    if not arrangement_ids:
        return []
    not_kept = Promise.objects.filter(arrangement=OuterRef("pk")).exclude(status=Promise.Status.KEPT)
    completed = list(
        Arrangement.objects.filter(pk__in=list(arrangement_ids), status=Arrangement.Status.ACTIVE)
        .exclude(Exists(not_kept))
        .values_list("pk", flat=True)
    )
    Arrangement.objects.filter(pk__in=completed).update(status=Arrangement.Status.COMPLETED)
    return completed


def _settlements_forgive(arrangement_ids: list[int], *, at: datetime) -> set[int]:
    """A kept settlement settles what it covered: its debt (or every debt the debtor had open
    when it was agreed; one placed later is not part of the bargain) goes to zero, the forgiven
    rest kept as a balance change. Returns the debts settled."""
    settled: set[int] = set()
    for arrangement in Arrangement.objects.filter(pk__in=arrangement_ids, kind=Arrangement.Kind.SETTLEMENT):
        debts = Debt.objects.filter(
            debtor_id=arrangement.debtor_id,
            recalled_on__isnull=True,
            balance__gt=0,
            created_at__lte=arrangement.created_at,
        )
        if arrangement.debt_id is not None:
            debts = debts.filter(pk=arrangement.debt_id)
        rows = list(debts.values_list("pk", "balance"))
        BalanceChange.objects.bulk_create(
            BalanceChange(debt_id=pk, old_balance=balance, new_balance=0, at=at, source=BalanceChange.Source.SETTLEMENT)
            for pk, balance in rows
        )
        Debt.objects.filter(pk__in=[pk for pk, _balance in rows]).update(balance=0, updated_at=at, import_hash=None)
        settled.update(pk for pk, _balance in rows)
    return settled
