"""Small builders for test data: every argument has a sensible default."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from calls.models import Call, FollowUp
from debtors.models import Creditor, Debt, Debtor, Phone, Portfolio
from debtors.services import debtor_queue_figures_refresh
from promises.models import Payment, Promise, PromiseEvent
from promises.rules import lapse_moment

_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


def make_portfolio(*, name=None, creditor=None, country="PE", currency="PEN", time_zone="America/Lima", preset="pe"):
    creditor = creditor or Creditor.objects.get_or_create(name="Banco Andino")[0]
    return Portfolio.objects.create(
        name=name or f"Cartera {_next()}",
        creditor=creditor,
        country=country,
        currency=currency,
        default_time_zone=time_zone,
        contact_policy_preset=preset,
    )


def make_debtor(*, portfolio=None, assigned_to=None, full_name=None, time_zone=None, **fields):
    portfolio = portfolio or make_portfolio()
    number = _next()
    return Debtor.objects.create(
        portfolio=portfolio,
        external_id=fields.pop("external_id", f"C-{number:06d}"),
        full_name=full_name or f"Deudor {number}",
        time_zone=time_zone or portfolio.default_time_zone,
        assigned_to=assigned_to,
        **fields,
    )


def make_debt(*, debtor, balance=Decimal("1000.00"), original_amount=None, due_date=None, **fields):
    """A debt, and its debtor's queue figures brought up to date as every writer of debts does."""
    debt = Debt.objects.create(
        debtor=debtor,
        account_reference=fields.pop("account_reference", f"ACC-{_next():07d}"),
        product=fields.pop("product", "Tarjeta de crédito"),
        original_amount=original_amount or max(balance, Decimal("1.00")),
        balance=balance,
        currency=fields.pop("currency", debtor.portfolio.currency),
        due_date=due_date or date(2026, 9, 1),
        **fields,
    )
    debtor_queue_figures_refresh(debtor_ids=[debtor.pk])
    return debt


def make_phone(*, debtor, number="+51987654321", **fields):
    return Phone.objects.create(debtor=debtor, number=number, **fields)


def make_call(*, debtor, collector, outcome=Call.Outcome.NO_ANSWER, started_at=None, **fields):
    started_at = started_at or timezone.now()
    if fields.get("commitment") in Call.DATED_COMMITMENTS:
        fields.setdefault("follow_up_on", started_at.date() + timedelta(days=3))
    return Call.objects.create(debtor=debtor, collector=collector, outcome=outcome, started_at=started_at, **fields)


def make_promise(
    *, debtor, collector, amount=Decimal("300.00"), due_date=None, status=Promise.Status.PENDING, **fields
):
    due_date = due_date or date(2026, 12, 1)
    grace_days = fields.pop("grace_days", 0)
    resolved_at = None if status == Promise.Status.PENDING else fields.pop("resolved_at", timezone.now())
    promise = Promise.objects.create(
        debtor=debtor,
        collector=collector,
        amount=amount,
        currency=fields.pop("currency", debtor.portfolio.currency),
        due_date=due_date,
        grace_days=grace_days,
        lapses_at=lapse_moment(due_date, grace_days, debtor.time_zone),
        kept_threshold=fields.pop("kept_threshold", amount),
        partial_threshold=fields.pop("partial_threshold", (amount / 2).quantize(Decimal("0.01"))),
        status=status,
        resolved_at=resolved_at,
        **fields,
    )
    PromiseEvent.objects.create(
        promise=promise,
        to_status=Promise.Status.PENDING,
        at=promise.created_at,
        cause=PromiseEvent.Cause.CREATED,
        by=collector,
    )
    if status != Promise.Status.PENDING:
        PromiseEvent.objects.create(
            promise=promise,
            from_status=Promise.Status.PENDING,
            to_status=status,
            at=resolved_at,
            cause=PromiseEvent.Cause.JOB,
        )
    return promise


def make_payment(
    *, debtor, amount=Decimal("100.00"), paid_at=None, reference=None, source=Payment.Source.MANUAL, **fields
):
    return Payment.objects.create(
        debtor=debtor,
        amount=amount,
        currency=fields.pop("currency", debtor.portfolio.currency),
        paid_at=paid_at or timezone.now(),
        reference=reference or f"REF-{_next():08d}",
        source=source,
        **fields,
    )


def make_follow_up(*, debtor, assigned_to, reason=FollowUp.Reason.CALLBACK, due_at=None, subject_key=None, **fields):
    return FollowUp.objects.create(
        debtor=debtor,
        assigned_to=assigned_to,
        reason=reason,
        due_at=due_at or timezone.now(),
        subject_key=subject_key or f"manual:{_next()}",
        **fields,
    )
