"""Logging a call: outcome, stance, commitment (the collector's desk).

Every rule about which outcome, stance and commitment go together is here (`_call_log_errors`),
checked before anything is written; `call_log` then records the attempt, settles the debtor's
follow-ups, and makes the promise, the plan or the follow-up the commitment needs.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call, CallOutcome, FollowUp
from calls.models.call import SYSTEM_OUTCOMES
from calls.policy import next_lawful_moments
from calls.services.attempts import _attempt_record
from calls.services.common import day_start
from calls.services.contactability import DEMOTING_OUTCOMES, demotion_due, phone_demote
from calls.services.follow_ups import _settle_follow_ups
from calls.services.scheduling import _retry_expected
from collections_crm.lib.timezones import debtor_local_today

INSTALMENT_FREQUENCIES = ("weekly", "fortnightly", "monthly")
MIN_INSTALMENTS = 2  # one payment is a promise
MAX_INSTALMENTS = 120  # ten years monthly: beyond that it is a typing slip, not a plan
PLAN_HORIZON = timedelta(days=3660)  # the last instalment, as a single promise's date: ten years
# How far ahead of the server's clock a call may say it started (a client's clock runs fast):
# a later start would have the contact policy judge a moment that has not come.
CLOCK_SKEW = timedelta(minutes=5)
# What an outcome says about the number that was dialled.
PHONE_STATUS_AFTER = {
    CallOutcome.RIGHT_PARTY: "valid",
    CallOutcome.WRONG_NUMBER: "wrong_number",
    CallOutcome.DISCONNECTED: "disconnected",
}
# A third party can agree to pass on a callback, or to nothing; never to pay for the debtor.
THIRD_PARTY_COMMITMENTS = (Call.Commitment.CALLBACK, Call.Commitment.NONE)
# Details that belong to some commitments; given with another they would be silently lost.
COMMITMENT_DETAILS = {
    "promise_amount": {Call.Commitment.PROMISE},
    "promise_date": {Call.Commitment.PROMISE},
    "instalments": {Call.Commitment.INSTALMENTS},
    "settlement": {Call.Commitment.SETTLEMENT},
    "callback_at": {Call.Commitment.CALLBACK},
    "follow_up_on": Call.DATED_COMMITMENTS,
    "no_commitment_reason": {Call.Commitment.NONE},
}


@dataclass
class CallLogResult:
    call: Call
    # The promise made on the call; with an instalment plan, `arrangement` holds them all.
    promise: object | None = None
    arrangement: object | None = None
    # The follow-up the commitment scheduled: a callback, or documents, a consultation…
    follow_up: FollowUp | None = None
    awaiting_approval: bool = False
    # The debtor's follow-ups this call settled (the queue shrinks as work is done).
    settled: list[FollowUp] = field(default_factory=list)
    # After an attempt that did not reach the debtor: minutes until the retry job's next
    # attempt (at a lawful moment), or None when no retry follows (see `_retry_expected`).
    retry_after_minutes: int | None = None


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _money(value, errors: dict, field: str, message: str) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        errors[field] = message
        return None
    return amount


def _instalment_schedule(instalments, *, local_today: date, errors: dict) -> list[tuple[date, Decimal]] | None:
    """The (date, amount) rows of a plan given as {count, first_date, frequency, amounts | total}."""
    from promises.rules import instalment_dates, split_evenly

    if not isinstance(instalments, dict):
        instalments = {}
    count, first_date, frequency = (instalments.get(key) for key in ("count", "first_date", "frequency"))
    if not isinstance(count, int) or not _is_date(first_date) or frequency is None:
        errors["instalments"] = _(
            "An instalment plan needs the number of instalments, the first date and how often they fall due."
        )
        return None
    if frequency not in INSTALMENT_FREQUENCIES:
        errors["instalments"] = _("Instalments fall due weekly, fortnightly or monthly.")
    elif count < MIN_INSTALMENTS:
        errors["instalments"] = _("An instalment plan has at least %(minimum)s instalments.") % {
            "minimum": MIN_INSTALMENTS
        }
    elif count > MAX_INSTALMENTS:
        errors["instalments"] = _("An instalment plan has at most %(maximum)s instalments.") % {
            "maximum": MAX_INSTALMENTS
        }
    elif first_date < local_today:
        errors["instalments"] = _("The first instalment is in the past for the debtor.")
    elif ("amounts" in instalments) == ("total" in instalments):
        errors["instalments"] = _("Give either the amount of each instalment or the total to split, not both.")
    if "instalments" in errors:
        return None
    if "amounts" in instalments:
        given = instalments["amounts"]
        if not isinstance(given, (list, tuple)) or len(given) != count:
            errors["instalments"] = _("Give one amount for each of the %(count)s instalments.") % {"count": count}
            return None
        amounts = [
            _money(value, errors, "instalments", _("Every instalment must be for an amount above zero."))
            for value in given
        ]
    else:
        total = _money(instalments["total"], errors, "instalments", _("The total must be an amount above zero."))
        amounts = split_evenly(total, count) if total is not None else []
        if any(amount <= 0 for amount in amounts):
            errors["instalments"] = _("The total is too small to split into %(count)s instalments.") % {"count": count}
    if "instalments" in errors:
        return None
    dates = instalment_dates(first_date, count, frequency)
    if dates[-1] > local_today + PLAN_HORIZON:
        errors["instalments"] = _("The last instalment falls more than ten years ahead.")
        return None
    return list(zip(dates, amounts))


def _settlement_schedule(settlement, *, local_today: date, errors: dict) -> list[tuple[date, Decimal]] | None:
    """The (date, amount) rows of a settlement given as {total, first_date, count=1, frequency}:
    one payment, or `count` instalments splitting the total; the rest of the balance is forgiven."""
    if not isinstance(settlement, dict):
        settlement = {}
    count = settlement.get("count") or 1
    first_date = settlement.get("first_date")
    if not _is_date(first_date) or settlement.get("total") in (None, ""):
        errors["settlement"] = _("A settlement needs the amount the debtor will pay and the date of the payment.")
        return None
    if count == 1:
        total = _money(settlement["total"], errors, "settlement", _("The total must be an amount above zero."))
        if total is not None and first_date < local_today:
            errors["settlement"] = _("The promised date is in the past for the debtor.")
        elif total is not None and first_date > local_today + PLAN_HORIZON:
            errors["settlement"] = _("The last instalment falls more than ten years ahead.")
        return None if "settlement" in errors else [(first_date, total)]
    plan = {
        "count": count,
        "first_date": first_date,
        "frequency": settlement.get("frequency") or "monthly",
        "total": settlement["total"],
    }
    plan_errors: dict[str, str] = {}
    schedule = _instalment_schedule(plan, local_today=local_today, errors=plan_errors)
    if plan_errors:
        errors["settlement"] = plan_errors["instalments"]
    return schedule


def _call_log_errors(
    *, debtor, phone, outcome, stance, stance_reason, commitment, details: dict, notes: str, now: datetime, kind: str
) -> tuple[dict, list | None]:
    """Every reason the call cannot be logged as given, by field; and an instalment plan's schedule."""
    errors: dict[str, str] = {}
    schedule = None
    local_today = debtor_local_today(debtor, now)
    if kind not in CONTACT_KINDS:
        errors["kind"] = _("Choose a call we made, a call the debtor made, or a visit.")
        return errors, None
    if phone is None and kind == CALL:
        errors["phone"] = _("Choose the number that was called.")
    # A sent message is logged by the outbox, never by hand.
    if outcome not in CallOutcome.values or outcome in SYSTEM_OUTCOMES:
        errors["outcome"] = _("Choose how the call ended.")
        return errors, None
    if outcome not in KIND_OUTCOMES.get(kind, CallOutcome.values):
        errors["outcome"] = (
            _("A call from the debtor was answered: say whom we spoke with, the debtor or someone else.")
            if kind == INBOUND_CALL
            else _("A visit ends speaking with the debtor, with someone else, or with nobody at home.")
        )
        return errors, None
    right_party = outcome == CallOutcome.RIGHT_PARTY

    if (stance or stance_reason) and not right_party:
        errors["stance"] = _("The debtor's stance is recorded only when you spoke with the debtor.")
    elif stance and stance not in Call.REASONS_BY_STANCE:
        errors["stance"] = _("Choose one of the listed stances.")
    elif stance and not stance_reason:
        errors["stance_reason"] = _("Choose the reason for the debtor's stance.")
    elif stance_reason and not stance:
        errors["stance"] = _("Choose the debtor's stance for this reason.")
    elif stance and stance_reason not in Call.REASONS_BY_STANCE[stance]:
        errors["stance_reason"] = _("This reason does not belong to the stance “%(stance)s”.") % {
            "stance": Call.Stance(stance).label
        }

    if commitment and commitment not in Call.Commitment.values:
        errors["commitment"] = _("Choose one of the listed commitments.")
        return errors, None
    if right_party and not commitment:
        errors["commitment"] = _(
            "A conversation with the debtor ends with a commitment: record it, or say why there was none."
        )
    elif outcome == CallOutcome.THIRD_PARTY and commitment and commitment not in THIRD_PARTY_COMMITMENTS:
        if commitment in (Call.Commitment.PROMISE, Call.Commitment.INSTALMENTS, Call.Commitment.SETTLEMENT):
            errors["commitment"] = _("Only the debtor can promise to pay; a third party cannot promise for them.")
        else:
            errors["commitment"] = _("With a third party, only a callback or no commitment can be recorded.")
    elif not right_party and outcome != CallOutcome.THIRD_PARTY and commitment:
        errors["commitment"] = _("Nobody was reached on this call, so there is no commitment to record.")
    if "commitment" in errors:
        return errors, None

    for name, owners in COMMITMENT_DETAILS.items():
        if details[name] not in (None, "") and commitment not in owners:
            errors[name] = _("This detail belongs to another commitment: clear it, or choose that commitment.")
    if errors:
        return errors, None

    if commitment == Call.Commitment.PROMISE:
        _money(details["promise_amount"], errors, "promise_amount", _("A promise needs an amount above zero."))
        promise_date = details["promise_date"]
        if not _is_date(promise_date):
            errors["promise_date"] = _("A promise needs the date the debtor will pay.")
        elif promise_date < local_today:
            errors["promise_date"] = _("The promised date is in the past for the debtor.")
    elif commitment == Call.Commitment.INSTALMENTS:
        schedule = _instalment_schedule(details["instalments"], local_today=local_today, errors=errors)
    elif commitment == Call.Commitment.SETTLEMENT:
        schedule = _settlement_schedule(details["settlement"], local_today=local_today, errors=errors)
    elif commitment == Call.Commitment.CALLBACK:
        callback_at = details["callback_at"]
        if not isinstance(callback_at, datetime) or timezone.is_naive(callback_at):
            errors["callback_at"] = _("Say when to call back.")
        elif callback_at <= now:
            errors["callback_at"] = _("The callback must be in the future.")
    elif commitment in Call.DATED_COMMITMENTS:
        follow_up_on = details["follow_up_on"]
        if not _is_date(follow_up_on):
            errors["follow_up_on"] = _("Say on which day to call the debtor again about this commitment.")
        elif follow_up_on < local_today:
            errors["follow_up_on"] = _("The day to call again is in the past for the debtor.")
        if commitment == Call.Commitment.OTHER and not notes:
            errors["notes"] = _("Describe the commitment in the notes.")
    elif commitment == Call.Commitment.NONE and not details["no_commitment_reason"]:
        errors["no_commitment_reason"] = _("Say why the call ended without a commitment.")
    return errors, schedule


# What a logged contact was: the ledger's channel and direction.
CALL, INBOUND_CALL, VISIT = "call", "inbound_call", "visit"
CONTACT_KINDS = {
    CALL: ("voice", Call.Direction.OUTBOUND),
    INBOUND_CALL: ("voice", Call.Direction.INBOUND),
    VISIT: ("visit", Call.Direction.OUTBOUND),
}
KIND_OUTCOMES = {
    INBOUND_CALL: {CallOutcome.RIGHT_PARTY, CallOutcome.THIRD_PARTY},
    VISIT: {CallOutcome.RIGHT_PARTY, CallOutcome.THIRD_PARTY, CallOutcome.NO_ANSWER},
}


@transaction.atomic
def call_log(
    *,
    debtor,
    collector,
    phone,
    outcome: str,
    started_at: datetime | None = None,
    duration: timedelta | None = None,
    stance: str = "",
    stance_reason: str = "",
    commitment: str = "",
    no_commitment_reason: str = "",
    promise_amount: Decimal | None = None,
    promise_date: date | None = None,
    instalments: dict | None = None,
    settlement: dict | None = None,
    callback_at: datetime | None = None,
    follow_up_on: date | None = None,
    notes: str = "",
    override_by=None,
    override_reason: str = "",
    debt=None,
    kind: str = "call",
    dialer_call_id: str = "",
    recording_url: str = "",
) -> CallLogResult:
    """Log a collection call with its outcome, the debtor's stance and the commitment it ended with.

    `kind` says what the contact was: a call we made ("call"), a call the debtor made to us
    ("inbound_call": not one of our attempts, no policy verdict, a number optional) or a field
    visit ("visit": the policy's visit rules, no number). All land on the same ledger.

    1. Scope: the collector (and any overriding supervisor) must be allowed to act on the
       debtor, and the phone and debt must be the debtor's; otherwise 404, so that ids of
       other debtors' records are not confirmed to exist.
    2. Validate everything before writing: a conversation with the debtor ends with a
       commitment or the reason there was none (a reason alone means "none"); a stance
       comes with a reason of its own kind; only the debtor can promise to pay.
    3. Record the attempt as `call_attempt_record` does: the debtor row is locked, the
       contact policy is checked and its verdict stored; a blocked attempt is refused
       unless overridden in writing.
    4. In the same transaction: the phone's status from the outcome; the debtor's follow-ups
       the call worked are settled (`_settle_follow_ups`); the promise or the instalment
       plan (beyond the caller's limits it waits for a supervisor's approval); for a callback,
       the follow-up at the agreed time or the next lawful moment after it; for documents, a
       consultation or another commitment, the follow-up at the first lawful moment of the
       agreed day. Every commitment is followed up, so the read-back promises nothing that
       nothing schedules.
    """
    from collections_crm.permissions import can_act_on_debtor
    from debtors.models import Phone
    from promises.models import ApprovalStatus
    from promises.services import arrangement_propose, promise_propose, settlement_propose

    if not can_act_on_debtor(collector, debtor):
        raise Http404
    if override_by is not None and not can_act_on_debtor(override_by, debtor):
        raise Http404
    if (phone is not None and phone.debtor_id != debtor.pk) or (debt is not None and debt.debtor_id != debtor.pk):
        raise Http404

    now = timezone.now()
    notes = notes.strip()
    no_commitment_reason = no_commitment_reason.strip()
    if not commitment and no_commitment_reason and outcome in (CallOutcome.RIGHT_PARTY, CallOutcome.THIRD_PARTY):
        commitment = Call.Commitment.NONE
    details = {
        "promise_amount": promise_amount,
        "promise_date": promise_date,
        "instalments": instalments,
        "settlement": settlement,
        "callback_at": callback_at,
        "follow_up_on": follow_up_on,
        "no_commitment_reason": no_commitment_reason,
    }
    errors, schedule = _call_log_errors(
        debtor=debtor,
        phone=phone,
        outcome=outcome,
        stance=stance,
        stance_reason=stance_reason,
        commitment=commitment,
        details=details,
        notes=notes,
        now=now,
        kind=kind,
    )
    if started_at is not None and started_at > now + CLOCK_SKEW:
        errors["started_at"] = _("A call cannot have started in the future.")
    if errors:
        raise ValidationError(errors)

    channel, direction = CONTACT_KINDS[kind]
    call = _attempt_record(
        debtor=debtor,
        collector=collector,
        channel=channel,
        direction=direction,
        outcome=outcome,
        started_at=started_at,
        phone=phone,
        debt=debt,
        duration=duration,
        override_by=override_by,
        override_reason=override_reason,
        stance=stance,
        stance_reason=stance_reason,
        commitment=commitment,
        no_commitment_reason=no_commitment_reason,
        callback_at=callback_at,
        follow_up_on=follow_up_on,
        notes=notes,
        dialer_call_id=dialer_call_id.strip()[:64],
        recording_url=recording_url.strip()[:500],
    )
    result = CallLogResult(call=call)

    new_status = PHONE_STATUS_AFTER.get(outcome)
    # Only a call says anything about a number (a visit preselects one it never dialled); a
    # failing one only after the portfolio's number of such attempts.
    if new_status is not None and phone is not None and channel == "voice":
        if outcome not in DEMOTING_OUTCOMES:
            Phone.objects.filter(pk=phone.pk).exclude(status=new_status).update(status=new_status)
            phone.status = new_status
        elif phone.status != new_status and demotion_due(phone=phone, outcome=outcome, debtor=debtor):
            phone_demote(phone=phone, status=new_status, call=call, at=now)
    # Before the commitment's own follow-up is made, so that the new one stays open.
    result.settled, others_open = _settle_follow_ups(call=call, by=collector, at=now)

    if commitment == Call.Commitment.PROMISE:
        result.promise = promise_propose(
            debtor=debtor,
            collector=collector,
            amount=Decimal(str(promise_amount)),
            due_date=promise_date,
            debt=debt,
            call=call,
            created_by=collector,
            at=now,
            savepoint=False,
        )
        result.arrangement = result.promise.arrangement
    elif commitment == Call.Commitment.INSTALMENTS:
        result.arrangement = arrangement_propose(
            debtor=debtor, collector=collector, schedule=schedule, debt=debt, call=call, created_by=collector, at=now
        )
    elif commitment == Call.Commitment.SETTLEMENT:
        result.arrangement = settlement_propose(
            debtor=debtor, collector=collector, schedule=schedule, debt=debt, call=call, created_by=collector, at=now
        )
    elif commitment == Call.Commitment.CALLBACK:
        # The debtor asked for this moment; if the policy forbids it, the next lawful one.
        # A debtor no moment is lawful for (a hold) still gets the agreed time: the call
        # screen will say why not when it comes, and the agreement is not lost.
        due_at = next_lawful_moments([(debtor, callback_at)], "voice")[0] or callback_at
        result.follow_up = FollowUp.objects.create(
            debtor=debtor,
            assigned_to_id=debtor.assigned_to_id or collector.pk,
            due_at=due_at,
            reason=FollowUp.Reason.CALLBACK,
            subject_key=f"call:{call.pk}",
            call=call,
            created_by=collector,
        )
    elif commitment in Call.DATED_COMMITMENTS:
        # The first lawful moment of the agreed day (today's: from now); as with a callback,
        # a debtor no moment is lawful for keeps the agreed day, and the screen says why not.
        not_before = max(day_start(follow_up_on, debtor.time_zone), now)
        due_at = next_lawful_moments([(debtor, not_before)], "voice")[0] or not_before
        result.follow_up = FollowUp.objects.create(
            debtor=debtor,
            assigned_to_id=debtor.assigned_to_id or collector.pk,
            due_at=due_at,
            reason=FollowUp.Reason.COMMITMENT,
            subject_key=f"call:{call.pk}",
            call=call,
            created_by=collector,
        )
    result.awaiting_approval = (
        result.arrangement is not None and result.arrangement.approval_status == ApprovalStatus.PENDING
    )
    result.retry_after_minutes = _retry_expected(
        call, other_follow_up_open=others_open or result.follow_up is not None, phone=phone
    )
    return result
