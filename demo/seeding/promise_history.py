"""The promises of a debtor's story, with their events, payments and follow-ups, as the
promises app would have recorded them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from calls.models import FollowUp
from promises import rules as promise_rules
from promises.models import Payment, PaymentAllocation, Promise, PromiseEvent

from .common import CENT, Case, Weighted

# What created follow-ups and judged promises in the demo history, where a job would have.
JOB_NAME = "seed_demo"


class PromiseHistoryMixin:
    """Promises and payments for PortfolioSeeder: relies on its rng, now, market, grace_days,
    thresholds, _add() and _between()."""

    def _round_share(self, total: Decimal, share: float) -> Decimal:
        """A round figure near `share` of `total` (debtors promise round sums), at most `total`."""
        step = self.market.round_to
        amount = (total * Decimal(share) / step).quantize(Decimal("1"), rounding=ROUND_DOWN) * step
        return min(max(amount, step), total)

    def _lapses_at(self, due_date: date, case: Case) -> datetime:
        return promise_rules.lapse_moment(due_date, self.grace_days, case.debtor["time_zone"])

    def _judged_outcome(self, due_date: date, case: Case, outcomes: Weighted) -> str:
        """Pending until the promise lapses; after that, one of `outcomes`."""
        if self._lapses_at(due_date, case) > self.now:
            return Promise.Status.PENDING
        return outcomes.pick(self.rng)

    def _promise(
        self,
        case: Case,
        *,
        call: dict,
        debt: dict,
        amount: Decimal,
        due_date: date,
        outcome: str,
        cancelled_at: datetime | None = None,
        cancelled_by_job: bool = False,
        arrangement: dict | None = None,
        instalment_number: int | None = None,
        replaces: dict | None = None,
    ) -> dict:
        """A promise made at the end of `call`, with the events and payments of its outcome.

        It mirrors promises.services: the thresholds that judge it are fixed when it is
        made; payments are allocated to it; the lapse job judges what is still pending.

        1. `outcome` is where the promise ended up. The caller picks a due date that
           allows it: a pending promise has not lapsed, a kept, partially kept or broken
           one has.
        2. Kept: paid in full in the days before it lapsed (sometimes in two parts), kept
           when the last payment was recorded. Partially kept: paid at least the partial
           threshold, judged when it lapsed. Broken: nothing paid, judged when it lapsed.
           Cancelled: at `cancelled_at`, by the collector who renegotiated it or by the
           job that broke its arrangement.
        3. One event for the creation ("" → pending) and one for the outcome.
        4. A promise broken in the last week gets an open follow-up for its collector.
        """
        rng = self.rng
        made_at = call["created_at"]
        lapses_at = self._lapses_at(due_date, case)
        if outcome != Promise.Status.CANCELLED and (outcome == Promise.Status.PENDING) != (lapses_at > self.now):
            raise ValueError(f"A {outcome} promise cannot lapse at {lapses_at:%Y-%m-%d %H:%M} (now {self.now}).")
        thresholds = self.thresholds(amount)
        promise = self._add(
            Promise,
            debtor_id=case.debtor["id"],
            debt_id=debt["id"],
            call_id=call["id"],
            collector_id=case.collector.pk,
            arrangement_id=arrangement["id"] if arrangement else None,
            instalment_number=instalment_number,
            replaces_id=replaces["id"] if replaces else None,
            amount=amount,
            currency=self.market.currency,
            due_date=due_date,
            grace_days=self.grace_days,
            lapses_at=lapses_at,
            kept_threshold=thresholds.kept,
            partial_threshold=thresholds.partial,
            status=outcome,
            created_at=made_at,
        )
        self._add(
            PromiseEvent,
            promise_id=promise["id"],
            to_status=Promise.Status.PENDING,
            at=made_at,
            cause=PromiseEvent.Cause.CREATED,
            by_id=case.collector.pk,
        )
        if outcome == Promise.Status.PENDING:
            return promise

        cause, by, note = PromiseEvent.Cause.JOB, None, ""
        # People pay in the last days before the date, not the day they promise; the
        # payment file is loaded within hours, before the promise lapses.
        pay_from = max(made_at, lapses_at - timedelta(days=self.grace_days + 6))
        pay_until = min(lapses_at, self.now) - timedelta(hours=3)
        judged_at = min(lapses_at + timedelta(minutes=rng.randint(3, 50)), self.now)
        if outcome == Promise.Status.KEPT:
            paid_at = self._between(pay_from, pay_until)
            if rng.random() < 0.25 and amount >= 2 * self.market.round_to:
                # An abono first, the rest later.
                first = self._round_share(amount, rng.uniform(0.3, 0.6))
                payments = [
                    self._payment(case, promise, first, self._between(pay_from, paid_at)),
                    self._payment(case, promise, amount - first, paid_at),
                ]
            else:
                payments = [self._payment(case, promise, amount, paid_at)]
            # Kept when the payment that completes it is recorded.
            completing = max(payments, key=lambda payment: payment["created_at"])
            resolved_at, cause, note = completing["created_at"], PromiseEvent.Cause.PAYMENT, completing["reference"]
        elif outcome == Promise.Status.PARTIALLY_KEPT:
            paid = self._round_share(amount, rng.uniform(0.5, 0.95))
            paid = min(max(paid, thresholds.partial), thresholds.kept - CENT)
            self._payment(case, promise, paid, self._between(pay_from, pay_until))
            resolved_at = judged_at
        elif outcome == Promise.Status.BROKEN:
            resolved_at = judged_at
        elif cancelled_by_job:
            resolved_at, note = cancelled_at, "Convenio incumplido"
        else:
            resolved_at, cause, by, note = cancelled_at, PromiseEvent.Cause.USER, case.collector.pk, "Renegociada"
        promise["resolved_at"] = resolved_at
        self._add(
            PromiseEvent,
            promise_id=promise["id"],
            from_status=Promise.Status.PENDING,
            to_status=outcome,
            at=resolved_at,
            cause=cause,
            by_id=by,
            note=note,
        )
        if outcome == Promise.Status.BROKEN and self.now - resolved_at < timedelta(days=7):
            self._add(
                FollowUp,
                debtor_id=case.debtor["id"],
                assigned_to_id=case.collector.pk,
                due_at=resolved_at,
                reason=FollowUp.Reason.BROKEN_PROMISE,
                subject_key=f"promise:{promise['id']}",
                promise_id=promise["id"],
                created_by_job=JOB_NAME,
                created_at=resolved_at,
            )
        return promise

    def _payment(self, case: Case, promise: dict, amount: Decimal, paid_at: datetime) -> dict:
        """A payment towards `promise`, allocated to it, credited to the collector; the debt goes down."""
        case.payments += 1
        recorded_at = min(paid_at + timedelta(minutes=self.rng.randint(5, 150)), self.now)
        debt = next(d for d in case.debts if d["id"] == promise["debt_id"])
        debt["balance"] = max(debt["balance"] - amount, Decimal("0"))
        debt["updated_at"] = max(debt["updated_at"], recorded_at)
        payment = self._add(
            Payment,
            debtor_id=case.debtor["id"],
            debt_id=debt["id"],
            credited_to_id=case.collector.pk,
            amount=amount,
            currency=self.market.currency,
            paid_at=paid_at,
            reference=f"DEMO-{case.debtor['external_id']}-{case.payments}",
            source=Payment.Source.DEMO,
            created_at=recorded_at,
        )
        self._add(PaymentAllocation, payment_id=payment["id"], promise_id=promise["id"], amount=amount)
        return payment

    @staticmethod
    def _largest_debt(case: Case) -> dict:
        return max(case.debts, key=lambda debt: debt["balance"])
