"""Arrangement limits and approval: what a collector may agree alone, and the supervisors' queue."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Subquery, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_crm.lib.timezones import debtor_local_today
from debtors.models import Debt, Debtor, Portfolio
from promises import rules as promise_rules
from promises.models import (
    ApprovalStatus,
    Arrangement,
    ArrangementLimits,
    Promise,
    PromiseEvent,
)
from promises.services.commitments import PENDING, _close_pending, _promise_create, arrangement_create
from promises.signals import arrangement_agreed

# --- Arrangement limits and approval -----------------------------------------------------------
# A collector agrees what the portfolio's ArrangementLimits allow; beyond them the agreement is
# still made (the debtor is on the phone), but it waits in the supervisors' approval queue.
# While it waits its promises are pending like any other: judged when they lapse, reminded
# before they fall due. A rejection cancels the ones still pending.

MIN_SHARE = "min_share_of_balance"
MAX_DAYS_TO_FIRST = "max_days_to_first_payment"
MAX_INSTALMENTS = "max_instalments"
MAX_DISCOUNT = "max_discount"
ABOVE_BALANCE = "above_balance"


def _limits_for(portfolio) -> ArrangementLimits:
    try:
        return portfolio.arrangement_limits
    except ArrangementLimits.DoesNotExist:
        return ArrangementLimits(portfolio=portfolio)


def _open_debts(debtor: Debtor):
    return Debt.objects.filter(debtor_id=debtor.pk, recalled_on__isnull=True)


def _balance_for(debtor: Debtor, debt: Debt | None) -> Decimal:
    if debt is not None:
        return debt.balance
    return _open_debts(debtor).aggregate(total=Sum("balance"))["total"] or Decimal("0")


def _portfolio_terms_load(debtor: Debtor, debt: Debt | None) -> Decimal:
    """The portfolio with its promise rules and arrangement limits, cached on the debtor, and
    the balance an agreement is judged against: one query where there were four (call logging
    spends about a millisecond on each)."""
    portfolios = Portfolio.objects.select_related("promise_rules", "arrangement_limits")
    if debt is None:  # the balance of all the debtor's debts, in the same query
        total = _open_debts(debtor).order_by().values("debtor_id").annotate(total=Sum("balance")).values("total")
        portfolios = portfolios.annotate(debtor_balance=Subquery(total))
    debtor.portfolio = portfolios.get(pk=debtor.portfolio_id)
    if debt is not None:
        return debt.balance
    return debtor.portfolio.debtor_balance or Decimal("0")


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * promise_rules.HUNDRED / whole).quantize(promise_rules.CENT)


def arrangement_limits_check(
    *,
    debtor: Debtor,
    by,
    schedule: list[tuple[date, Decimal]],
    discount_amount: Decimal = Decimal("0"),
    debt: Debt | None = None,
    at: datetime | None = None,
    balance: Decimal | None = None,
) -> list[dict]:
    """The collector limits an agreement goes beyond, as {code, value, limit} rows.

    Empty for a supervisor or an admin (they have no limits) and for an agreement within
    them. The share of the balance counts what the agreement settles: what the debtor will
    pay plus any discount, against the balance of the debt (or of all the debtor's debts;
    `balance` when the caller has read it already).
    """
    if by.is_supervisor or by.is_crm_admin:
        return []
    at = at or timezone.now()
    limits = _limits_for(debtor.portfolio)
    discount_amount = Decimal(discount_amount)
    total = sum((Decimal(amount) for _due, amount in schedule), Decimal("0"))
    if balance is None:
        balance = _balance_for(debtor, debt)
    breaches = []
    if balance > 0:
        share = _percent(total + discount_amount, balance)
        if share < limits.min_share_of_balance_percent:
            breaches.append(
                {
                    "code": MIN_SHARE,
                    "value": str(share),
                    "limit": str(Decimal(limits.min_share_of_balance_percent).quantize(promise_rules.CENT)),
                }
            )
    if 0 < balance < total:
        # More than is owed: a slip of the keyboard far more often than a real offer.
        breaches.append(
            {
                "code": ABOVE_BALANCE,
                "value": str(total.quantize(promise_rules.CENT)),
                "limit": str(Decimal(balance).quantize(promise_rules.CENT)),
            }
        )
    days = (min(due for due, _amount in schedule) - debtor_local_today(debtor, at)).days
    if days > limits.max_days_to_first_payment:
        breaches.append({"code": MAX_DAYS_TO_FIRST, "value": str(days), "limit": str(limits.max_days_to_first_payment)})
    if len(schedule) > limits.max_instalments:
        breaches.append({"code": MAX_INSTALMENTS, "value": str(len(schedule)), "limit": str(limits.max_instalments)})
    if discount_amount > 0:
        # A discount on no balance is beyond any limit.
        discount = _percent(discount_amount, balance) if balance > 0 else promise_rules.HUNDRED
        if discount > limits.max_discount_percent:
            breaches.append(
                {
                    "code": MAX_DISCOUNT,
                    "value": str(discount),
                    "limit": str(Decimal(limits.max_discount_percent).quantize(promise_rules.CENT)),
                }
            )
    return breaches


def _arrangement_awaiting_approval(breaches: list[dict], **arguments) -> Arrangement:
    arrangement = arrangement_create(**arguments)
    Arrangement.objects.filter(pk=arrangement.pk).update(
        approval_status=ApprovalStatus.PENDING, approval_reasons=breaches
    )
    arrangement.approval_status, arrangement.approval_reasons = ApprovalStatus.PENDING, breaches
    return arrangement


@transaction.atomic
def arrangement_propose(
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
    """`arrangement_create`, judged against the maker's limits: beyond them it awaits approval."""
    arguments = dict(
        debtor=debtor,
        collector=collector,
        schedule=schedule,
        kind=kind,
        debt=debt,
        call=call,
        discount_amount=discount_amount,
        created_by=created_by,
        at=at,
    )
    balance = _portfolio_terms_load(debtor, debt)
    breaches = arrangement_limits_check(
        debtor=debtor,
        by=created_by or collector,
        schedule=schedule,
        discount_amount=discount_amount,
        debt=debt,
        at=at,
        balance=balance,
    )
    if breaches:
        return _arrangement_awaiting_approval(breaches, **arguments)
    return _arrangement_agreed(arrangement_create(**arguments), by=created_by or collector, at=at)


NOT_A_SETTLEMENT = "not_a_settlement"


@transaction.atomic
def settlement_propose(
    *,
    debtor: Debtor,
    collector,
    schedule: list[tuple[date, Decimal]],
    debt: Debt | None = None,
    call=None,
    created_by=None,
    at: datetime | None = None,
) -> Arrangement:
    """A discounted settlement: the debtor pays `schedule` (one payment or a few) and the rest
    of the balance (of the debt, or of all the debtor's debts) is forgiven once every payment
    is kept. Judged against the maker's limits like any arrangement (the discount among them).

    A total at or above the balance forgives nothing: that is a promise or a plan, and is
    refused with the code `not_a_settlement` so that the caller can say so.
    """
    balance = _portfolio_terms_load(debtor, debt)
    total = sum((Decimal(amount) for _due, amount in schedule), Decimal("0"))
    if total >= balance:
        raise ValidationError(
            {
                "settlement": ValidationError(
                    _(
                        "A settlement pays less than the balance of %(balance)s; for the whole balance make a promise or a plan."
                    )
                    % {"balance": balance.quantize(promise_rules.CENT)},
                    code=NOT_A_SETTLEMENT,
                )
            }
        )
    discount = balance - total
    arguments = dict(
        debtor=debtor,
        collector=collector,
        schedule=schedule,
        kind=Arrangement.Kind.SETTLEMENT,
        debt=debt,
        call=call,
        discount_amount=discount,
        created_by=created_by,
        at=at,
    )
    breaches = arrangement_limits_check(
        debtor=debtor,
        by=created_by or collector,
        schedule=schedule,
        discount_amount=discount,
        debt=debt,
        at=at,
        balance=balance,
    )
    if breaches:
        return _arrangement_awaiting_approval(breaches, **arguments)
    return _arrangement_agreed(arrangement_create(**arguments), by=created_by or collector, at=at)


def _arrangement_agreed(arrangement: Arrangement, *, by, at: datetime | None) -> Arrangement:
    arrangement_agreed.send(sender=Arrangement, arrangement=arrangement, by=by, at=at or timezone.now())
    return arrangement


def promise_propose(
    *,
    debtor: Debtor,
    collector,
    amount: Decimal,
    due_date: date,
    debt: Debt | None = None,
    call=None,
    created_by=None,
    at: datetime | None = None,
    savepoint: bool = True,
) -> Promise:
    """`promise_create`, judged against the maker's limits.

    Beyond them the promise is made as an arrangement of one instalment waiting for
    approval (`promise.arrangement`): the approval queue, its decisions and the cancelling
    on rejection then exist once, for arrangements, and dashboards still count one promise.
    `savepoint=False` inside a transaction that fails as a whole with it (call_log's): no
    savepoint of its own.
    """
    with transaction.atomic(savepoint=savepoint):
        schedule = [(due_date, Decimal(amount))]
        balance = _portfolio_terms_load(debtor, debt)
        breaches = arrangement_limits_check(
            debtor=debtor, by=created_by or collector, schedule=schedule, debt=debt, at=at, balance=balance
        )
        if not breaches:
            return _promise_create(
                debtor=debtor,
                collector=collector,
                amount=amount,
                due_date=due_date,
                debt=debt,
                call=call,
                created_by=created_by,
                at=at,
            )
        arrangement = _arrangement_awaiting_approval(
            breaches,
            debtor=debtor,
            collector=collector,
            schedule=schedule,
            debt=debt,
            call=call,
            created_by=created_by,
            at=at,
        )
        return arrangement.promises.get()


def _may_decide(user, debtor: Debtor) -> bool:
    """An admin, or a supervisor who leads the debtor's collector (or holds the debtor)."""
    from collections_crm.permissions import can_view_debtor

    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_crm_admin or (user.is_supervisor and can_view_debtor(user, debtor))


@transaction.atomic
def arrangement_approve(*, arrangement: Arrangement, by, at: datetime | None = None) -> Arrangement:
    """A supervisor of the debtor's team, or an admin, lets an arrangement beyond the limits stand."""
    if not _may_decide(by, arrangement.debtor):
        raise Http404
    at = at or timezone.now()
    # Compare-and-set: of two supervisors deciding at once, one decides, the other is told.
    decided = Arrangement.objects.filter(pk=arrangement.pk, approval_status=ApprovalStatus.PENDING).update(
        approval_status=ApprovalStatus.APPROVED, approved_by=by, approved_at=at
    )
    if not decided:
        raise ValidationError(_("This arrangement is not waiting for approval."), code="not_pending")
    arrangement.refresh_from_db()
    if arrangement.status == Arrangement.Status.ACTIVE:
        _arrangement_agreed(arrangement, by=by, at=at)
    return arrangement


@transaction.atomic
def arrangement_reject(*, arrangement: Arrangement, by, reason: str, at: datetime | None = None) -> Arrangement:
    """Refuse an arrangement beyond the limits: it is cancelled with its pending promises."""
    if not _may_decide(by, arrangement.debtor):
        raise Http404
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the arrangement is rejected.")}, code="reason_missing")
    at = at or timezone.now()
    decided = Arrangement.objects.filter(pk=arrangement.pk, approval_status=ApprovalStatus.PENDING).update(
        approval_status=ApprovalStatus.REJECTED, approved_by=by, approved_at=at, rejection_reason=reason[:500]
    )
    if not decided:
        raise ValidationError(_("This arrangement is not waiting for approval."), code="not_pending")
    # A broken or completed arrangement keeps its status; only an active one is cancelled.
    Arrangement.objects.filter(pk=arrangement.pk, status=Arrangement.Status.ACTIVE).update(
        status=Arrangement.Status.CANCELLED
    )
    _close_pending(
        list(arrangement.promises.filter(status=PENDING).values_list("pk", flat=True)),
        to_status=Promise.Status.CANCELLED,
        at=at,
        cause=PromiseEvent.Cause.USER,
        by=by,
        note=reason[:500],
    )
    arrangement.refresh_from_db()
    return arrangement
