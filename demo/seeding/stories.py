"""The stories demo debtors live (fresh, unreached, promised, broken, renegotiated, in
instalments…), how often each comes up, and how each is written as calls, promises and follow-ups."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from calls.models import Call, FollowUp
from collections_crm.lib.timezones import zone_for
from collections_crm.users.models import User
from promises import rules as promise_rules
from promises.models import Arrangement, Promise

from .common import Case, Weighted

# What a debtor in the `documents` story agrees to instead of paying.
DOCUMENT_COMMITMENTS = (
    Call.Commitment.SEND_DOCUMENTS,
    Call.Commitment.RECEIVE_DOCUMENTS,
    Call.Commitment.CONSULT,
    Call.Commitment.OTHER,
)
# How promises that reached their date ended: instalments of a plan, and renegotiated promises.
INSTALMENT_OUTCOME = Weighted(
    ((Promise.Status.KEPT, 80), (Promise.Status.PARTIALLY_KEPT, 8), (Promise.Status.BROKEN, 12))
)
RENEGOTIATED_OUTCOME = Weighted(
    ((Promise.Status.KEPT, 65), (Promise.Status.PARTIALLY_KEPT, 10), (Promise.Status.BROKEN, 25))
)


# Each assigned debtor lives one story; the story decides the calls, promises and
# follow-ups, so the history of every debtor reads like a real case.

FRESH = "fresh"  # no calls yet
UNREACHED = "unreached"
REFUSED = "refused"
DOCUMENTS = "documents"
CALLBACK_TODAY = "callback_today"
CALLBACK_LATER = "callback_later"
PROMISE_PENDING = "promise_pending"
PROMISE_KEPT = "promise_kept"
PROMISE_PARTIALLY_KEPT = "promise_partially_kept"
PROMISE_BROKEN_RECENTLY = "promise_broken_recently"
PROMISE_BROKEN_LONG_AGO = "promise_broken_long_ago"
RENEGOTIATED = "renegotiated"
INSTALMENTS = "instalments"

STORY = Weighted(
    (
        (FRESH, 14),
        (UNREACHED, 22),
        (REFUSED, 8),
        (DOCUMENTS, 6),
        (CALLBACK_TODAY, 4),
        (CALLBACK_LATER, 4),
        (PROMISE_PENDING, 9),
        (PROMISE_KEPT, 11),
        (PROMISE_PARTIALLY_KEPT, 4),
        (PROMISE_BROKEN_RECENTLY, 3),
        (PROMISE_BROKEN_LONG_AGO, 6),
        (RENEGOTIATED, 3),
        (INSTALMENTS, 6),
    )
)
# A debtor on hold gets no open work: only stories that are over.
HELD_STORIES = (FRESH, UNREACHED, REFUSED, PROMISE_KEPT, PROMISE_BROKEN_LONG_AGO)
# The first debtors of every portfolio live these, in order, so that even a tiny
# --debtors shows each promise status and gives every collector a callback due today
# (assignment is round-robin, so the first three go to the three collectors).
SHOWCASE = (
    CALLBACK_TODAY,
    CALLBACK_TODAY,
    CALLBACK_TODAY,
    PROMISE_PENDING,
    PROMISE_KEPT,
    PROMISE_PARTIALLY_KEPT,
    PROMISE_BROKEN_RECENTLY,
    RENEGOTIATED,
    INSTALMENTS,
    REFUSED,
    UNREACHED,
    DOCUMENTS,
)
# Days of arrears a story needs, so that its calls happen after the debt fell due.
STORY_MIN_ARREARS = {
    FRESH: 1,
    UNREACHED: 3,
    REFUSED: 3,
    DOCUMENTS: 3,
    CALLBACK_TODAY: 8,
    CALLBACK_LATER: 8,
    PROMISE_PENDING: 12,
    PROMISE_KEPT: 40,
    PROMISE_PARTIALLY_KEPT: 40,
    PROMISE_BROKEN_RECENTLY: 30,
    PROMISE_BROKEN_LONG_AGO: 60,
    RENEGOTIATED: 60,
    INSTALMENTS: 160,
}
# Days past due of a debtor's oldest debt (low, high, weight): every aging bucket is filled.
ARREARS_RANGES = ((1, 30, 22), (31, 60, 18), (61, 90, 15), (91, 180, 22), (181, 400, 23))
# Every twentieth debtor stays unassigned, for the admin's assignment screen.
UNASSIGNED_EVERY = 20
HOLD_RATES = (
    ("hold_dispute", 0.025),
    ("hold_do_not_contact", 0.012),
    ("hold_cease", 0.01),
    ("hold_lawsuit", 0.01),
    ("hold_insolvency", 0.005),
    ("hold_deceased", 0.004),
)
MAX_GRACE_DAYS = 5


class StoriesMixin:
    """The stories for PortfolioSeeder, one `_story_<name>` method each: relies on its rng, now,
    market, grace_days, _add(), and the calls and promises of CallHistoryMixin and PromiseHistoryMixin."""

    def _story_fresh(self, case: Case) -> None:
        """Newly placed: nobody has called yet."""

    def _story_unreached(self, case: Case) -> None:
        days_ago = self.rng.randint(0, min(45, case.span))
        self._no_contact(case, days_ago)
        self._attempts(case, before_days_ago=days_ago, up_to=2)

    def _story_refused(self, case: Case) -> None:
        days_ago = self.rng.randint(0, min(60, case.span))
        self._conversation(case, days_ago, Call.Commitment.NONE)
        self._attempts(case, before_days_ago=days_ago, up_to=2)

    def _story_documents(self, case: Case) -> None:
        days_ago = self.rng.randint(0, min(30, case.span))
        call = self._conversation(case, days_ago, self.rng.choice(DOCUMENT_COMMITMENTS))
        self._attempts(case, before_days_ago=days_ago, up_to=2)
        if call["follow_up_on"] >= case.today:
            # Not yet worked: the call on the agreed day, when the (demo) window opens.
            self._add(
                FollowUp,
                debtor_id=case.debtor["id"],
                assigned_to_id=case.collector.pk,
                due_at=datetime.combine(call["follow_up_on"], time(9), tzinfo=case.zone),
                reason=FollowUp.Reason.COMMITMENT,
                subject_key=f"call:{call['id']}",
                call_id=call["id"],
                created_by_id=case.collector.pk,
                created_at=call["created_at"],
            )

    def _story_callback_today(self, case: Case) -> None:
        """The debtor asked to be called back today: the collector's queue starts here."""
        days_ago = self.rng.randint(1, 5)
        call = self._conversation(case, days_ago, Call.Commitment.CALLBACK, callback_at=self._due_today(case.collector))
        self._attempts(case, before_days_ago=days_ago, up_to=1)
        self._callback(case, call)

    def _story_callback_later(self, case: Case) -> None:
        rng = self.rng
        days_ago = rng.randint(0, 5)
        day = case.today + timedelta(days=rng.randint(1, 5))
        callback_at = datetime.combine(day, time(10), tzinfo=case.zone) + timedelta(minutes=15 * rng.randrange(33))
        call = self._conversation(case, days_ago, Call.Commitment.CALLBACK, callback_at=callback_at)
        self._attempts(case, before_days_ago=days_ago, up_to=1)
        self._callback(case, call)

    def _callback(self, case: Case, call: dict) -> None:
        self._add(
            FollowUp,
            debtor_id=case.debtor["id"],
            assigned_to_id=case.collector.pk,
            due_at=call["callback_at"],
            reason=FollowUp.Reason.CALLBACK,
            subject_key=f"call:{call['id']}",
            call_id=call["id"],
            note="Volver a llamar a la hora acordada.",
            created_by_id=case.collector.pk,
            created_at=call["created_at"],
        )

    def _due_today(self, collector: User) -> datetime:
        """A moment in the collector's today: mostly already due, some later in the day."""
        zone = zone_for(collector.time_zone)
        local_now = self.now.astimezone(zone)
        end_of_day = datetime.combine(local_now.date(), time(23, 59), tzinfo=zone)
        minutes_left = int((end_of_day - local_now).total_seconds() // 60)
        if minutes_left > 60 and self.rng.random() < 0.4:
            return self.now + timedelta(minutes=self.rng.randint(15, min(minutes_left - 30, 360)))
        minutes_gone = local_now.hour * 60 + local_now.minute
        return self.now - timedelta(minutes=self.rng.randint(0, min(minutes_gone, 240)))

    def _story_promise_pending(self, case: Case) -> None:
        """Promised recently; the date has not come yet."""
        rng = self.rng
        days_ago = rng.randint(0, 9)
        call = self._conversation(case, days_ago, Call.Commitment.PROMISE)
        self._attempts(case, before_days_ago=days_ago, up_to=1)
        due_date = max(case.today, case.today - timedelta(days=days_ago - rng.randint(2, 12)))
        debt = self._largest_debt(case)
        amount = self._round_share(debt["balance"], rng.choice((1.0, rng.uniform(0.2, 0.6))))
        self._promise(case, call=call, debt=debt, amount=amount, due_date=due_date, outcome=Promise.Status.PENDING)

    def _judged_promise(self, case: Case, outcome: str, *, after_lapse: int) -> None:
        """A promise that lapsed already, then `after_lapse` more attempts."""
        rng = self.rng
        # Made 2–8 days before its date, which is far enough back for the grace to be over.
        due_days_ago = rng.randint(self.grace_days + 2, min(140, case.span - 8))
        days_ago = due_days_ago + rng.randint(2, 8)
        call = self._conversation(case, days_ago, Call.Commitment.PROMISE)
        self._attempts(case, before_days_ago=days_ago, up_to=2)
        debt = self._largest_debt(case)
        share = 1.0 if rng.random() < 0.4 else rng.uniform(0.2, 0.6)
        self._promise(
            case,
            call=call,
            debt=debt,
            amount=self._round_share(debt["balance"], share),
            due_date=case.today - timedelta(days=due_days_ago),
            outcome=outcome,
        )
        since_lapse = due_days_ago - self.grace_days - 1
        for _ in range(after_lapse if since_lapse > 0 else 0):
            self._no_contact(case, rng.randint(0, since_lapse - 1))

    def _story_promise_kept(self, case: Case) -> None:
        if self.rng.random() < 0.2:
            self._settlement(case)
        else:
            self._judged_promise(case, Promise.Status.KEPT, after_lapse=0)

    def _story_promise_partially_kept(self, case: Case) -> None:
        self._judged_promise(case, Promise.Status.PARTIALLY_KEPT, after_lapse=self.rng.randint(0, 1))

    def _story_promise_broken_recently(self, case: Case) -> None:
        """Broke in the last two days: an open broken-promise follow-up waits in the queue."""
        rng = self.rng
        due_days_ago = self.grace_days + rng.randint(1, 2)
        days_ago = due_days_ago + rng.randint(2, 8)
        call = self._conversation(case, days_ago, Call.Commitment.PROMISE)
        self._attempts(case, before_days_ago=days_ago, up_to=1)
        debt = self._largest_debt(case)
        self._promise(
            case,
            call=call,
            debt=debt,
            amount=self._round_share(debt["balance"], rng.uniform(0.2, 0.7)),
            due_date=case.today - timedelta(days=due_days_ago),
            outcome=Promise.Status.BROKEN,
        )

    def _story_promise_broken_long_ago(self, case: Case) -> None:
        self._judged_promise(case, Promise.Status.BROKEN, after_lapse=self.rng.randint(1, 2))

    def _settlement(self, case: Case) -> None:
        """A discounted settlement paid in one go: the debt is closed."""
        rng = self.rng
        due_days_ago = rng.randint(self.grace_days + 2, min(140, case.span - 8))
        call = self._conversation(case, due_days_ago + rng.randint(2, 8), Call.Commitment.PROMISE)
        debt = self._largest_debt(case)
        total = self._round_share(debt["balance"], rng.uniform(0.6, 0.85))
        arrangement = self._add(
            Arrangement,
            debtor_id=case.debtor["id"],
            debt_id=debt["id"],
            kind=Arrangement.Kind.SETTLEMENT,
            status=Arrangement.Status.COMPLETED,
            total_amount=total,
            discount_amount=debt["balance"] - total,
            currency=self.market.currency,
            created_by_id=case.collector.pk,
            created_at=call["created_at"],
        )
        self._promise(
            case,
            call=call,
            debt=debt,
            amount=total,
            due_date=case.today - timedelta(days=due_days_ago),
            outcome=Promise.Status.KEPT,
            arrangement=arrangement,
            instalment_number=1,
        )
        debt["balance"] = Decimal("0")

    def _story_renegotiated(self, case: Case) -> None:
        """Promised, then called before the date to move it: cancelled and replaced."""
        rng = self.rng
        first_days_ago = rng.randint(20, min(90, case.span))
        first_call = self._conversation(case, first_days_ago, Call.Commitment.PROMISE)
        self._attempts(case, before_days_ago=first_days_ago, up_to=1)
        due_in = rng.randint(5, 15)
        debt = self._largest_debt(case)
        # Called again at least two days later, before the first date came.
        second_days_ago = first_days_ago - rng.randint(2, due_in - 1)
        second_call = self._conversation(case, second_days_ago, Call.Commitment.PROMISE)
        original = self._promise(
            case,
            call=first_call,
            debt=debt,
            amount=self._round_share(debt["balance"], rng.uniform(0.3, 1.0)),
            due_date=case.today - timedelta(days=first_days_ago - due_in),
            outcome=Promise.Status.CANCELLED,
            cancelled_at=second_call["created_at"],
        )
        new_due = case.today - timedelta(days=second_days_ago - rng.randint(7, 20))
        self._promise(
            case,
            call=second_call,
            debt=debt,
            amount=self._round_share(debt["balance"], rng.uniform(0.3, 0.6)),
            due_date=new_due,
            outcome=self._judged_outcome(new_due, case, RENEGOTIATED_OUTCOME),
            replaces=original,
        )

    def _story_instalments(self, case: Case) -> None:
        """An instalment plan (convenio): monthly promises; a missed instalment breaks it.

        Missed means not kept: like the lapse job, a partially kept instalment breaks
        the plan too, and the instalments still pending are cancelled at that moment.
        """
        rng, step = self.rng, self.market.round_to
        days_ago = rng.randint(40, min(150, case.span))
        call = self._conversation(case, days_ago, Call.Commitment.INSTALMENTS)
        self._attempts(case, before_days_ago=days_ago, up_to=2)
        debt = self._largest_debt(case)
        count = rng.randint(3, 6)
        total = self._round_share(debt["balance"], rng.uniform(0.8, 1.0))
        instalment = (total / count / step).quantize(Decimal("1"), rounding=ROUND_DOWN) * step
        if instalment <= 0:
            count, instalment = 1, total
        arrangement = self._add(
            Arrangement,
            debtor_id=case.debtor["id"],
            debt_id=debt["id"],
            kind=Arrangement.Kind.INSTALMENTS,
            status=Arrangement.Status.ACTIVE,
            total_amount=total,
            discount_amount=debt["balance"] - total,
            currency=self.market.currency,
            created_by_id=case.collector.pk,
            created_at=call["created_at"],
        )
        first_due = case.today - timedelta(days=days_ago - rng.randint(5, 12))
        broken_at = None
        outcomes = []
        for number, due_date in enumerate(promise_rules.instalment_dates(first_due, count, "monthly"), start=1):
            if broken_at:
                outcome = Promise.Status.CANCELLED
            else:
                outcome = self._judged_outcome(due_date, case, INSTALMENT_OUTCOME)
            promise = self._promise(
                case,
                call=call,
                debt=debt,
                amount=instalment if number < count else total - instalment * (count - 1),
                due_date=due_date,
                outcome=outcome,
                cancelled_at=broken_at,
                cancelled_by_job=True,
                arrangement=arrangement,
                instalment_number=number,
            )
            if outcome in (Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN):
                broken_at = promise["resolved_at"]
            outcomes.append(outcome)
        if broken_at:
            arrangement["status"] = Arrangement.Status.BROKEN
        elif Promise.Status.PENDING not in outcomes:
            arrangement["status"] = Arrangement.Status.COMPLETED
