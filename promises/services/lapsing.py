"""Lapsing: promises judged kept, partially kept or broken once their grace has passed."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from promises import rules as promise_rules
from promises.models import (
    Arrangement,
    PaymentAllocation,
    Promise,
    PromiseEvent,
)
from promises.selectors import promise_rules_for
from promises.services.commitments import PENDING, _close_pending
from promises.services.payments import _complete_arrangements

# --- Lapsed promises -------------------------------------------------------------------------

_PAID = "(SELECT COALESCE(SUM(a.amount), 0) FROM promises_paymentallocation a WHERE a.promise_id = promises_promise.id)"
_FLIP = f"""
    UPDATE promises_promise
    SET status = CASE WHEN {_PAID} >= kept_threshold THEN 'kept'
                      WHEN {_PAID} >= partial_threshold THEN 'partially_kept'
                      ELSE 'broken' END,
        resolved_at = %(now)s
    WHERE status = 'pending' AND lapses_at <= %(now)s
    RETURNING id, status, arrangement_id
"""


@dataclass
class FlagResult:
    kept: int = 0
    partially_kept: int = 0
    broken: int = 0
    arrangements_broken: int = 0
    amounts_carried: int = 0

    @property
    def total(self) -> int:
        return self.kept + self.partially_kept + self.broken


@transaction.atomic
def promises_flag_lapsed(*, now: datetime | None = None) -> FlagResult:
    """Judge every pending promise whose grace has ended, in one set-based statement.

    1. One UPDATE … WHERE status = 'pending' AND lapses_at <= now sets kept, partially kept
       or broken from the payments allocated to each promise. The status in the WHERE is a
       compare-and-set: a second job running at the same time finds those rows no longer
       pending and leaves them alone, so nothing is judged twice.
    2. The same transaction writes one event per changed promise (on PostgreSQL inside the
       same statement), so a status never changes without its event.
    3. Missed instalments apply the portfolio's rule: break the arrangement, or carry the
       shortfall to the last pending instalment.
    """
    now = now or timezone.now()
    params = {"now": connection.ops.adapt_datetimefield_value(now)}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH flipped AS ({_FLIP})
                , events AS (
                    INSERT INTO promises_promiseevent (promise_id, from_status, to_status, at, cause, note)
                    SELECT id, 'pending', status, %(now)s, 'job', '' FROM flipped
                )
                SELECT id, status, arrangement_id FROM flipped
                """,
                params,
            )
            flipped = cursor.fetchall()
        else:
            cursor.execute(_FLIP, params)
            flipped = cursor.fetchall()
            PromiseEvent.objects.bulk_create(
                (
                    PromiseEvent(
                        promise_id=pk, from_status=PENDING, to_status=status, at=now, cause=PromiseEvent.Cause.JOB
                    )
                    for pk, status, _arrangement in flipped
                ),
                batch_size=2000,
            )
    result = FlagResult()
    for _pk, status, _arrangement in flipped:
        setattr(result, status, getattr(result, status) + 1)
    missed = [(pk, arrangement) for pk, status, arrangement in flipped if arrangement and status != Promise.Status.KEPT]
    kept_arrangements = {
        arrangement for _pk, status, arrangement in flipped if arrangement and status == Promise.Status.KEPT
    }
    if missed:
        _apply_missed_instalments(missed, now=now, result=result)
    _complete_arrangements(kept_arrangements)
    return result


def _apply_missed_instalments(missed: list[tuple[int, int]], *, now: datetime, result: FlagResult) -> None:
    """Break the arrangement, or move the unpaid part of the instalment to the last one."""
    arrangements = {
        arrangement.pk: arrangement
        for arrangement in Arrangement.objects.select_for_update()
        .select_related("debtor__portfolio")
        .filter(pk__in={arrangement for _pk, arrangement in missed}, status=Arrangement.Status.ACTIVE)
    }
    paid = dict(
        PaymentAllocation.objects.filter(promise_id__in=[pk for pk, _a in missed])
        .values("promise_id")
        .annotate(total=Sum("amount"))
        .values_list("promise_id", "total")
    )
    amounts = dict(Promise.objects.filter(pk__in=[pk for pk, _a in missed]).values_list("pk", "amount"))
    for promise_id, arrangement_id in missed:
        arrangement = arrangements.get(arrangement_id)
        if arrangement is None or arrangement.status != Arrangement.Status.ACTIVE:
            continue
        rules = promise_rules_for(arrangement.debtor.portfolio)
        pending = list(arrangement.promises.filter(status=PENDING).order_by("-instalment_number"))
        if rules.missed_instalment == rules.MissedInstalment.CARRY_TO_END and pending:
            last = pending[0]
            shortfall = amounts[promise_id] - (paid.get(promise_id) or Decimal("0"))
            new_amount = last.amount + shortfall
            factor = new_amount / last.amount
            Promise.objects.filter(pk=last.pk).update(
                amount=new_amount,
                kept_threshold=(last.kept_threshold * factor).quantize(promise_rules.CENT),
                partial_threshold=(last.partial_threshold * factor).quantize(promise_rules.CENT),
            )
            result.amounts_carried += 1
            continue
        arrangement.status = Arrangement.Status.BROKEN
        arrangement.save(update_fields=["status"])
        _close_pending(
            [promise.pk for promise in pending],
            to_status=Promise.Status.CANCELLED,
            at=now,
            cause=PromiseEvent.Cause.JOB,
            note=_("Arrangement broken by a missed instalment"),
        )
        result.arrangements_broken += 1
