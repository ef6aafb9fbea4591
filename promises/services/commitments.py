"""Promises and arrangements made, cancelled and renegotiated. Every status change leaves a
PromiseEvent row."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_crm.lib.checked_save import save_checked
from collections_crm.lib.timezones import debtor_local_today
from debtors.models import Debt, Debtor
from promises import rules as promise_rules
from promises.models import (
    Arrangement,
    Promise,
    PromiseEvent,
)
from promises.selectors import promise_rules_for

PENDING = Promise.Status.PENDING


def _promise_create(
    *,
    debtor: Debtor,
    collector,
    amount: Decimal,
    due_date: date,
    created_by=None,
    debt: Debt | None = None,
    call=None,
    arrangement: Arrangement | None = None,
    instalment_number: int | None = None,
    replaces: Promise | None = None,
    grace_days: int | None = None,
    tolerance_percent: Decimal | None = None,
    tolerance_amount: Decimal | None = None,
    at: datetime | None = None,
) -> Promise:
    """Record a promise of payment; the portfolio's rules fill what the caller leaves out.
    Inside a transaction that fails as a whole with it (no savepoint of its own).

    `grace_days`, `tolerance_percent` and `tolerance_amount` override the portfolio's rules
    for this promise only. The thresholds that judge it are computed now and stored, so a
    later change of the rules never rewrites the terms of a promise already made.
    """
    at = at or timezone.now()
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("A promise must be for an amount above zero.")})
    if due_date < debtor_local_today(debtor, at):
        raise ValidationError({"due_date": _("The promised date is in the past for the debtor.")})
    if debt is not None and debt.debtor_id != debtor.pk:
        raise ValidationError({"debt": _("This debt belongs to another debtor.")})
    rules = promise_rules_for(debtor.portfolio)
    grace = rules.grace_days if grace_days is None else grace_days
    thresholds = promise_rules.thresholds_for(
        amount,
        tolerance_percent=rules.tolerance_percent if tolerance_percent is None else Decimal(tolerance_percent),
        tolerance_amount=rules.tolerance_amount if tolerance_amount is None else Decimal(tolerance_amount),
        partial_minimum_percent=rules.partial_minimum_percent,
    )
    promise = Promise(
        debtor=debtor,
        debt=debt,
        call=call,
        collector=collector,
        arrangement=arrangement,
        instalment_number=instalment_number,
        replaces=replaces,
        amount=amount,
        currency=debt.currency if debt is not None else debtor.portfolio.currency,
        due_date=due_date,
        grace_days=grace,
        lapses_at=promise_rules.lapse_moment(due_date, grace, debtor.time_zone),
        kept_threshold=thresholds.kept,
        partial_threshold=thresholds.partial,
        status=PENDING,
        created_at=at,
    )
    save_checked(promise, savepoint=False)
    PromiseEvent.objects.create(
        promise=promise,
        from_status="",
        to_status=PENDING,
        at=at,
        cause=PromiseEvent.Cause.CREATED,
        by=created_by or collector,
    )
    return promise


# In a transaction of its own (a savepoint inside another); promise_propose runs the body in its own.
promise_create = transaction.atomic(_promise_create)


@transaction.atomic
def arrangement_create(
    *,
    debtor: Debtor,
    collector,
    schedule: list[tuple[date, Decimal]],
    kind: str = Arrangement.Kind.INSTALMENTS,
    debt: Debt | None = None,
    call=None,
    discount_amount: Decimal = Decimal("0"),
    created_by=None,
    at: datetime | None = None,
) -> Arrangement:
    """An arrangement (instalments, or a discounted settlement): one promise per instalment."""
    if not schedule:
        raise ValidationError(_("An arrangement needs at least one payment."))
    dates = [due for due, _amount in schedule]
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        raise ValidationError(_("Instalment dates must be different and in order."))
    if discount_amount < 0:
        raise ValidationError({"discount_amount": _("A discount cannot be negative.")})
    total = sum((Decimal(amount) for _due, amount in schedule), Decimal("0"))
    arrangement = Arrangement(
        debtor=debtor,
        debt=debt,
        kind=kind,
        total_amount=total,
        discount_amount=discount_amount,
        currency=debt.currency if debt is not None else debtor.portfolio.currency,
        created_by=created_by or collector,
    )
    save_checked(arrangement)
    for number, (due, amount) in enumerate(schedule, start=1):
        promise_create(
            debtor=debtor,
            collector=collector,
            amount=Decimal(amount),
            due_date=due,
            debt=debt,
            call=call,
            arrangement=arrangement,
            instalment_number=number,
            created_by=created_by,
            at=at,
        )
    return arrangement


def _close_pending(
    promise_ids: list[int], *, to_status: str, at: datetime, cause: str, by=None, note: str = ""
) -> list[int]:
    """Compare-and-set pending → to_status; returns the ids that really changed."""
    changed = list(
        Promise.objects.select_for_update().filter(pk__in=promise_ids, status=PENDING).values_list("pk", flat=True)
    )
    if changed:
        Promise.objects.filter(pk__in=changed).update(status=to_status, resolved_at=at)
        PromiseEvent.objects.bulk_create(
            PromiseEvent(promise_id=pk, from_status=PENDING, to_status=to_status, at=at, cause=cause, by=by, note=note)
            for pk in changed
        )
    return changed


@transaction.atomic
def promise_cancel(*, promise: Promise, by, note: str = "", at: datetime | None = None) -> bool:
    """Cancel a pending promise (renegotiated or withdrawn); history stays. False if not pending."""
    at = at or timezone.now()
    return bool(
        _close_pending(
            [promise.pk], to_status=Promise.Status.CANCELLED, at=at, cause=PromiseEvent.Cause.USER, by=by, note=note
        )
    )


@transaction.atomic
def promise_renegotiate(
    *, promise: Promise, by, amount: Decimal, due_date: date, note: str = "", at: datetime | None = None
) -> Promise:
    """Replace a pending promise with a new one; the old one is cancelled and linked."""
    at = at or timezone.now()
    if not promise_cancel(promise=promise, by=by, note=note or _("Renegotiated"), at=at):
        raise ValidationError(_("Only a pending promise can be renegotiated."))
    return promise_create(
        debtor=promise.debtor,
        collector=promise.collector,
        amount=amount,
        due_date=due_date,
        debt=promise.debt,
        replaces=promise,
        created_by=by,
        grace_days=promise.grace_days,
        at=at,
    )
