"""Writes for the calls app: contact attempts checked against the contact policy."""

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from calls.models import Call, CallOutcome, DebtorChannelAuthorisation, FollowUp, FollowUpEvent, PolicyDecision
from calls.policy import HOLD_FIELDS, Verdict, check_contact, next_lawful_moments
from collections_crm.lib.checked_save import save_checked
from collections_crm.lib.timezones import debtor_local_today, debtor_zone, zone_for


class ContactBlocked(ValidationError):
    """The contact policy forbids this attempt; `verdict` says why and until when."""

    def __init__(self, verdict: Verdict):
        super().__init__([ValidationError(reason.message, code=reason.code) for reason in verdict.reasons])
        self.verdict = verdict


def verdict_snapshot(verdict: Verdict) -> dict:
    """The verdict as JSON for the ledger: codes, messages, citations, next lawful moment."""
    return verdict.as_dict()


def _may_override(user) -> bool:
    return bool(user) and (user.is_supervisor or user.is_crm_admin)


def _attempt_record(
    *,
    debtor,
    collector,
    channel: str,
    outcome: str,
    started_at: datetime | None = None,
    phone=None,
    debt=None,
    direction: str = Call.Direction.OUTBOUND,
    duration: timedelta | None = None,
    override_by=None,
    override_reason: str = "",
    **fields,
) -> Call:
    """Record one contact attempt with the policy's verdict as evidence; inside a transaction
    that fails as a whole with it (call_log's, or call_attempt_record's savepoint).

    1. Lock the debtor row, so two collectors cannot both take the last attempt of a cap.
    2. Check the policy at `started_at` (outbound attempts only; an inbound call is the debtor's).
    3. A blocked attempt is refused unless a supervisor or admin overrides it in writing.
    4. Save the UTC moment, the debtor's local time, the policy version and the verdict.
    """
    from debtors.models import Debtor

    started_at = started_at or timezone.now()
    if phone is not None and phone.debtor_id != debtor.pk:
        raise ValidationError({"phone": _("This number belongs to another debtor.")})
    if debt is not None and debt.debtor_id != debtor.pk:
        raise ValidationError({"debt": _("This debt belongs to another debtor.")})
    Debtor.objects.select_for_update().filter(pk=debtor.pk).first()

    verdict = check_contact(debtor, channel, started_at, phone=phone, debt=debt)
    override_reason = override_reason.strip()
    decision = ""
    if direction == Call.Direction.OUTBOUND:
        if verdict.allowed:
            decision = PolicyDecision.WARNED if verdict.warnings else PolicyDecision.ALLOWED
            # Nothing was overridden: do not store an override that did not happen.
            override_by, override_reason = None, ""
        elif override_by is None and not override_reason:
            raise ContactBlocked(verdict)
        elif not _may_override(override_by):
            raise ValidationError(
                _("Only a supervisor or an administrator may override the contact policy."), code="override_not_allowed"
            )
        elif not override_reason:
            raise ValidationError(
                {"override_reason": _("Say why the contact policy is overridden.")}, code="override_reason_missing"
            )
        else:
            decision = PolicyDecision.OVERRIDDEN
    else:
        override_by, override_reason = None, ""

    call = Call(
        debtor=debtor,
        collector=collector,
        phone=phone,
        debt=debt,
        channel=channel,
        direction=direction,
        started_at=started_at,
        duration=duration,
        outcome=outcome,
        local_time=verdict.local_time.isoformat(),
        local_time_zone=debtor.time_zone,
        policy_code=verdict.policy_code,
        policy_version=verdict.policy_version,
        policy_decision=decision,
        policy_verdict=verdict_snapshot(verdict) if direction == Call.Direction.OUTBOUND else None,
        override_by=override_by,
        override_reason=override_reason,
        **fields,
    )
    save_checked(call, savepoint=False)
    return call


# In a transaction of its own (a savepoint inside another): call_log runs the body in its own.
call_attempt_record = transaction.atomic(_attempt_record)


@transaction.atomic
def channel_authorisation_record(
    *, debtor, channel: str, source: str, authorised_at: datetime, recorded_by=None
) -> DebtorChannelAuthorisation:
    """Record that the debtor authorised a channel (Colombia); a second call is a no-op."""
    live = DebtorChannelAuthorisation.objects.filter(debtor=debtor, channel=channel, revoked_at__isnull=True).first()
    if live:
        return live
    authorisation = DebtorChannelAuthorisation(
        debtor=debtor, channel=channel, source=source, authorised_at=authorised_at, recorded_by=recorded_by
    )
    authorisation.full_clean()
    authorisation.save()
    return authorisation


def channel_authorisation_revoke(*, debtor, channel: str, at: datetime) -> int:
    return DebtorChannelAuthorisation.objects.filter(debtor=debtor, channel=channel, revoked_at__isnull=True).update(
        revoked_at=at
    )


# --- Follow-up scheduling (calls.tasks.schedule_follow_ups) ------------------------------------

SCHEDULER = "schedule_follow_ups"
# Only recent events are scheduled: a promise broken a month ago needs a person, not a job.
BROKEN_LOOKBACK = timedelta(days=7)
CALLBACK_LOOKBACK = timedelta(days=2)
RETRY_LOOKBACK = timedelta(days=1)
# Attempts that did not reach the debtor and are tried again on the portfolio's cadence: no
# contact, a third party who took no callback, a wrong or dead number (another number of the
# debtor's is tried next; with none left there is no retry).
RETRY_OUTCOMES = ("no_answer", "busy", "voicemail", "third_party", "wrong_number", "disconnected")
USABLE_PHONE_STATUSES = ("unknown", "valid")


@dataclass
class ScheduleResult:
    broken_promises: int = 0
    callbacks: int = 0
    commitments: int = 0
    retries: int = 0
    reminder_calls: int = 0
    reminder_messages: int = 0
    no_lawful_moment: int = 0


@dataclass(frozen=True, slots=True)
class DebtorRow:
    """What scheduling needs of a debtor, without building 50,000 model instances."""

    pk: int
    portfolio_id: int
    time_zone: str
    assigned_to_id: int | None
    hold_do_not_contact: bool
    hold_cease: bool
    hold_dispute: bool
    hold_lawsuit: bool
    hold_insolvency: bool
    hold_deceased: bool


def _debtors_by_id(debtor_ids) -> dict[int, DebtorRow]:
    from debtors.models import Debtor

    rows = (
        Debtor.objects.filter(pk__in=list(debtor_ids))
        .order_by()
        .values_list("pk", "portfolio_id", "time_zone", "assigned_to_id", *HOLD_FIELDS)
    )
    return {row[0]: DebtorRow(*row) for row in rows}


_FOLLOW_UP_COLUMNS = (
    "debtor_id",
    "assigned_to_id",
    "due_at",
    "reason",
    "subject_key",
    "promise_id",
    "call_id",
    "status",
    "note",
    "created_by_job",
    "created_at",
)


def _row(**values) -> dict:
    """One follow-up to insert, as plain values (see `_insert_follow_ups`)."""
    return {"status": FollowUp.Status.OPEN, "note": "", "promise_id": None, "call_id": None, **values}


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _insert_follow_ups(rows: list[dict]) -> int:
    """Insert-or-nothing: the open-follow-up unique constraint absorbs any duplicate.

    On PostgreSQL the rows are COPYed into a temporary table and inserted from there in
    one statement: the ORM's bulk_create spends more time building SQL for 50,000 rows
    than the database spends inserting them.
    """
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        FollowUp.objects.bulk_create([FollowUp(**row) for row in rows], batch_size=2000, ignore_conflicts=True)
        return len(rows)
    columns = ", ".join(_FOLLOW_UP_COLUMNS)
    data = "".join("\t".join(_copy_value(row[name]) for name in _FOLLOW_UP_COLUMNS) + "\n" for row in rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS followup_staging ON COMMIT DELETE ROWS "
            f"AS SELECT {columns} FROM calls_followup WITH NO DATA"
        )
        cursor.execute("TRUNCATE followup_staging")
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(f"COPY followup_staging ({columns}) FROM STDIN", io.StringIO(data), size=len(data) + 1)
        else:  # psycopg 3
            with raw.copy(f"COPY followup_staging ({columns}) FROM STDIN") as copy:
                copy.write(data)
        cursor.execute(
            f"INSERT INTO calls_followup ({columns}) SELECT {columns} FROM followup_staging ON CONFLICT DO NOTHING"
        )
        return cursor.rowcount


def _schedule_broken_promises(now: datetime, result: ScheduleResult) -> None:
    from promises.models import Promise

    already = FollowUp.objects.filter(promise=OuterRef("pk"), reason=FollowUp.Reason.BROKEN_PROMISE)
    broken = list(
        Promise.objects.filter(status=Promise.Status.BROKEN, resolved_at__gte=now - BROKEN_LOOKBACK)
        .exclude(Exists(already))
        .order_by()
        .values_list("pk", "debtor_id")
    )
    if not broken:
        return
    debtors = _debtors_by_id({debtor_id for _pk, debtor_id in broken})
    moments = dict(zip(debtors, next_lawful_moments([(debtor, now) for debtor in debtors.values()], "voice")))
    rows = []
    for promise_id, debtor_id in broken:
        due_at = moments[debtor_id]
        if due_at is None:
            result.no_lawful_moment += 1
            continue
        rows.append(
            _row(
                debtor_id=debtor_id,
                assigned_to_id=debtors[debtor_id].assigned_to_id,
                due_at=due_at,
                reason=FollowUp.Reason.BROKEN_PROMISE,
                subject_key=f"promise:{promise_id}",
                promise_id=promise_id,
                created_by_job=SCHEDULER,
                created_at=now,
            )
        )
    result.broken_promises += _insert_follow_ups(rows)


def _schedule_callbacks(now: datetime, result: ScheduleResult) -> None:
    already = FollowUp.objects.filter(call=OuterRef("pk"), reason=FollowUp.Reason.CALLBACK)
    callbacks = list(
        Call.objects.filter(commitment=Call.Commitment.CALLBACK, callback_at__gte=now - CALLBACK_LOOKBACK)
        .exclude(Exists(already))
        .order_by()
        .values_list("pk", "debtor_id", "callback_at", "collector_id")
    )
    # At the agreed time if that is lawful (the debtor asked), else the next lawful moment.
    result.callbacks += _follow_calls_up(
        callbacks, FollowUp.Reason.CALLBACK, now, result, earliest=lambda debtor, callback_at: max(callback_at, now)
    )


def day_start(day: date, time_zone: str) -> datetime:
    """Midnight at the start of `day` on the debtor's clock (DST-safe: zoneinfo resolves it)."""
    return datetime.combine(day, time(0), tzinfo=zone_for(time_zone))


def _schedule_commitments(now: datetime, result: ScheduleResult) -> None:
    """The follow-up of documents, a consultation or another commitment that has none.

    `call_log` creates it with the call; this finds calls logged another way (an import, a
    hand edit, calls logged before commitments took a day), recent ones only.
    """
    already = FollowUp.objects.filter(call=OuterRef("pk"), reason=FollowUp.Reason.COMMITMENT)
    commitments = list(
        Call.objects.filter(
            commitment__in=Call.DATED_COMMITMENTS,
            follow_up_on__gte=(now - CALLBACK_LOOKBACK).date(),
            outcome=CallOutcome.RIGHT_PARTY,
        )
        .exclude(Exists(already))
        .order_by()
        .values_list("pk", "debtor_id", "follow_up_on", "collector_id")
    )
    result.commitments += _follow_calls_up(
        commitments,
        FollowUp.Reason.COMMITMENT,
        now,
        result,
        earliest=lambda debtor, day: max(day_start(day, debtor.time_zone), now),
    )


def _follow_calls_up(calls, reason: str, now: datetime, result: ScheduleResult, *, earliest) -> int:
    """One follow-up per (call id, debtor id, agreed when, collector id) at the debtor's next
    lawful moment on or after `earliest(debtor, agreed when)`; the number inserted."""
    if not calls:
        return 0
    debtors = _debtors_by_id({debtor_id for _pk, debtor_id, _when, _c in calls})
    moments = next_lawful_moments(
        [(debtors[debtor_id], earliest(debtors[debtor_id], when)) for _pk, debtor_id, when, _c in calls], "voice"
    )
    rows = []
    for (call_id, debtor_id, _when, collector_id), due_at in zip(calls, moments):
        if due_at is None:
            result.no_lawful_moment += 1
            continue
        rows.append(
            _row(
                debtor_id=debtor_id,
                assigned_to_id=debtors[debtor_id].assigned_to_id or collector_id,
                due_at=due_at,
                reason=reason,
                subject_key=f"call:{call_id}",
                call_id=call_id,
                created_by_job=SCHEDULER,
                created_at=now,
            )
        )
    return _insert_follow_ups(rows)


def _schedule_retries(now: datetime, result: ScheduleResult) -> None:
    from debtors.models import Phone
    from promises.selectors import promise_rules_by_portfolio

    later_call = Call.objects.filter(debtor=OuterRef("debtor"), started_at__gt=OuterRef("started_at"))
    already = FollowUp.objects.filter(call=OuterRef("pk"), reason=FollowUp.Reason.RETRY)
    open_work = FollowUp.objects.filter(debtor=OuterRef("debtor"), status=FollowUp.Status.OPEN)
    usable_phone = Phone.objects.filter(debtor=OuterRef("debtor"), status__in=USABLE_PHONE_STATUSES)
    attempts = list(
        Call.objects.filter(
            channel="voice",
            direction=Call.Direction.OUTBOUND,
            outcome__in=RETRY_OUTCOMES,
            started_at__gte=now - RETRY_LOOKBACK,
        )
        # A third party who agreed a callback passed the message on: the callback is the next step.
        .exclude(commitment=Call.Commitment.CALLBACK)
        .filter(Exists(usable_phone))
        .exclude(Exists(later_call))
        .exclude(Exists(already))
        .exclude(Exists(open_work))
        .order_by()
        .values_list("pk", "debtor_id", "started_at", "collector_id")
    )
    if not attempts:
        return
    debtors = _debtors_by_id({debtor_id for _pk, debtor_id, _at, _c in attempts})
    rules = promise_rules_by_portfolio(debtor.portfolio_id for debtor in debtors.values())
    requests = []
    for _pk, debtor_id, started_at, _collector in attempts:
        debtor = debtors[debtor_id]
        cadence = timedelta(minutes=rules[debtor.portfolio_id].retry_after_minutes)
        requests.append((debtor, max(now, started_at + cadence)))
    moments = next_lawful_moments(requests, "voice")
    rows = []
    for (call_id, debtor_id, _started_at, collector_id), due_at in zip(attempts, moments):
        if due_at is None:
            result.no_lawful_moment += 1
            continue
        rows.append(
            _row(
                debtor_id=debtor_id,
                assigned_to_id=debtors[debtor_id].assigned_to_id or collector_id,
                due_at=due_at,
                reason=FollowUp.Reason.RETRY,
                subject_key=f"call:{call_id}",
                call_id=call_id,
                created_by_job=SCHEDULER,
                created_at=now,
            )
        )
    result.retries += _insert_follow_ups(rows)


def _schedule_reminders(now: datetime, result: ScheduleResult) -> None:
    """Before a promise falls due: a message where the debtor consented, else a call task;
    from the day after the promise was made."""
    from promises.models import Message, Promise, PromiseRules
    from promises.selectors import promise_rules_for
    from promises.services import reminder_messages_queue

    today = now.date()
    has_call = FollowUp.objects.filter(promise=OuterRef("pk"), reason=FollowUp.Reason.REMINDER)
    has_message = Message.objects.filter(promise=OuterRef("pk"), purpose=Message.Purpose.REMINDER)
    # A coarse window in SQL (the widest reminder window of any portfolio, a day either side
    # for time zones); each portfolio's own number of days is applied below.
    widest = max(
        [PromiseRules().reminder_days_before, *PromiseRules.objects.values_list("reminder_days_before", flat=True)]
    )
    if widest == 0:
        return
    candidates = list(
        Promise.objects.filter(
            status=Promise.Status.PENDING,
            due_date__gte=today - timedelta(days=1),
            due_date__lte=today + timedelta(days=widest + 1),
        )
        .exclude(Exists(has_call))
        .exclude(Exists(has_message))
        .select_related("debtor__portfolio__promise_rules")
        .order_by()
    )
    due = []
    for promise in candidates:
        debtor = promise.debtor
        days_before = promise_rules_for(debtor.portfolio).reminder_days_before
        zone = debtor_zone(debtor)
        local_today = now.astimezone(zone).date()
        # Not on the day the promise was made: the collector has just read it back, and a
        # reminder call minutes later would put the debtor straight back in the queue. A
        # promise made today is reminded from tomorrow, if it is not due today.
        made_today = promise.created_at.astimezone(zone).date() >= local_today
        if (
            days_before
            and not made_today
            and promise.due_date - timedelta(days=days_before) <= local_today <= promise.due_date
        ):
            due.append(promise)
    if not due:
        return
    calls_needed = reminder_messages_queue(promises=due, now=now, result=result, lawful_moments=next_lawful_moments)
    if not calls_needed:
        return
    moments = next_lawful_moments([(promise.debtor, now) for promise in calls_needed], "voice")
    rows = []
    for promise, due_at in zip(calls_needed, moments):
        if due_at is None:
            result.no_lawful_moment += 1
            continue
        rows.append(
            _row(
                debtor_id=promise.debtor_id,
                assigned_to_id=promise.debtor.assigned_to_id or promise.collector_id,
                due_at=due_at,
                reason=FollowUp.Reason.REMINDER,
                subject_key=f"promise:{promise.pk}",
                promise_id=promise.pk,
                created_by_job=SCHEDULER,
                created_at=now,
            )
        )
    result.reminder_calls += _insert_follow_ups(rows)


def follow_ups_schedule(*, now: datetime | None = None) -> ScheduleResult:
    """Put the right follow-up in the right queue at a lawful moment, never twice.

    1. A call for every promise broken in the last week that has none yet.
    2. The callbacks debtors asked for, at the agreed time or the next lawful one.
    3. Documents, consultations and other commitments, at the first lawful moment of their day.
    4. A retry after the latest attempt that did not reach the debtor, on the portfolio's
       cadence, once the debtor has no other open follow-up (logging a call settles the
       ones that were due) and still has a usable number.
    5. Reminders before due dates: a message where consented, otherwise a call.
    Each step looks for work that has no follow-up (of any status) yet and inserts with
    ON CONFLICT DO NOTHING, so reruns and concurrent runs add nothing.
    """
    now = now or timezone.now()
    result = ScheduleResult()
    steps = (
        _schedule_broken_promises,
        _schedule_callbacks,
        _schedule_commitments,
        _schedule_retries,
        _schedule_reminders,
    )
    for step in steps:
        with transaction.atomic():
            step(now, result)
    return result


# --- Logging a call: outcome, stance, commitment (the collector's desk) ---------------------

INSTALMENT_FREQUENCIES = ("weekly", "fortnightly", "monthly")
MIN_INSTALMENTS = 2  # one payment is a promise
MAX_INSTALMENTS = 120  # ten years monthly: beyond that it is a typing slip, not a plan
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
    return list(zip(instalment_dates(first_date, count, frequency), amounts))


def _call_log_errors(
    *, debtor, phone, outcome, stance, stance_reason, commitment, details: dict, notes: str, now: datetime
) -> tuple[dict, list | None]:
    """Every reason the call cannot be logged as given, by field; and an instalment plan's schedule."""
    errors: dict[str, str] = {}
    schedule = None
    local_today = debtor_local_today(debtor, now)
    if phone is None:
        errors["phone"] = _("Choose the number that was called.")
    # A sent message is logged by the outbox, never by hand.
    if outcome not in CallOutcome.values or outcome == CallOutcome.MESSAGE_SENT:
        errors["outcome"] = _("Choose how the call ended.")
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
        if commitment in (Call.Commitment.PROMISE, Call.Commitment.INSTALMENTS):
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
    callback_at: datetime | None = None,
    follow_up_on: date | None = None,
    notes: str = "",
    override_by=None,
    override_reason: str = "",
    debt=None,
) -> CallLogResult:
    """Log a collection call with its outcome, the debtor's stance and the commitment it ended with.

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
    from promises.services import arrangement_propose, promise_propose

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
    )
    if errors:
        raise ValidationError(errors)

    call = _attempt_record(
        debtor=debtor,
        collector=collector,
        channel="voice",
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
    )
    result = CallLogResult(call=call)

    new_status = PHONE_STATUS_AFTER.get(outcome)
    if new_status is not None:
        Phone.objects.filter(pk=phone.pk).exclude(status=new_status).update(status=new_status)
        phone.status = new_status
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
        )
        result.arrangement = result.promise.arrangement
    elif commitment == Call.Commitment.INSTALMENTS:
        result.arrangement = arrangement_propose(
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


# --- Follow-ups: settled by calls, done or moved by hand -----------------------------------------
# Every change is a FollowUpEvent row (who, when, why); the follow-up row is updated with a
# compare-and-set on its open status, so that two people (or a call and a click) close it once.


def _settle_follow_ups(*, call: Call, by, at: datetime) -> tuple[list[FollowUp], bool]:
    """Close the debtor's open follow-ups that `call` worked, one event row each; also say
    whether any stays open.

    1. A conversation with the debtor, whatever it ended with (a lost call too), is the
       day's work on the debtor done: every follow-up due by the end of the debtor's day is
       settled, a callback agreed for later that day included: the debtor has been heard,
       and a new agreement makes a follow-up of its own.
    2. Any other attempt (no answer, busy, voicemail, a third party, a wrong or dead number)
       settles what was due when it was made. Work due later stays: a callback the debtor
       asked for at 16:00 is not settled by an unanswered call at 11:00. The retry job
       schedules the next attempt on the portfolio's cadence once nothing else is open.
    3. The rows are locked, then closed: a click on "done" at the same moment waits and
       finds them closed. All the debtor's open rows are read in that one statement (a debtor
       has a handful), so that the retry rule needs no second look.
    """
    reached = call.outcome == CallOutcome.RIGHT_PARTY
    if reached:
        local_day = debtor_local_today(call.debtor, call.started_at)
        day_end = day_start(local_day + timedelta(days=1), call.debtor.time_zone)
    open_rows = list(
        FollowUp.objects.select_for_update()
        .filter(debtor_id=call.debtor_id, status=FollowUp.Status.OPEN)
        .order_by("due_at", "pk")
    )
    due = [row for row in open_rows if (row.due_at < day_end if reached else row.due_at <= call.started_at)]
    others_open = len(due) < len(open_rows)
    if not due:
        return [], others_open
    FollowUp.objects.filter(pk__in=[f.pk for f in due], status=FollowUp.Status.OPEN).update(
        status=FollowUp.Status.DONE, closed_at=at
    )
    FollowUpEvent.objects.bulk_create(
        FollowUpEvent(
            follow_up=follow_up,
            debtor_id=call.debtor_id,
            kind=FollowUpEvent.Kind.SETTLED_BY_CALL,
            from_status=FollowUp.Status.OPEN,
            to_status=FollowUp.Status.DONE,
            from_due_at=follow_up.due_at,
            at=at,
            by=by,
            call=call,
        )
        for follow_up in due
    )
    for follow_up in due:
        follow_up.status, follow_up.closed_at = FollowUp.Status.DONE, at
    return due, others_open


def _retry_expected(call: Call, *, other_follow_up_open: bool, phone) -> int | None:
    """Minutes after `call` at which the retry job will try again (at a lawful moment), or None.

    The job's own rule (`_schedule_retries`) for this one call: an attempt that did not
    reach the debtor, no callback agreed, a usable number left and no other open follow-up.
    """
    from debtors.models import Phone
    from promises.selectors import promise_rules_by_portfolio

    if call.outcome not in RETRY_OUTCOMES or call.commitment == Call.Commitment.CALLBACK or other_follow_up_open:
        return None
    number_left = (phone is not None and phone.status in USABLE_PHONE_STATUSES) or Phone.objects.filter(
        debtor_id=call.debtor_id, status__in=USABLE_PHONE_STATUSES
    ).exists()
    if not number_left:
        return None
    portfolio_id = call.debtor.portfolio_id
    return promise_rules_by_portfolio([portfolio_id])[portfolio_id].retry_after_minutes


def _require_reason(note: str, missing: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError(missing, code="required")})
    if len(note) > 500:
        raise ValidationError({"note": ValidationError(_("Keep the reason to 500 characters."), code="max_length")})
    return note


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, by, note: str, at: datetime | None = None) -> bool:
    """Mark an open follow-up done by hand, saying why; False if it is no longer open.

    Whoever may work the debtor may (a collector their own debtors; otherwise 404). The
    reason is required: a follow-up closed without a call must say what made it unnecessary.
    """
    from collections_crm.permissions import can_act_on_debtor

    if not can_act_on_debtor(by, follow_up.debtor):
        raise Http404
    note = _require_reason(note, _("Say why the follow-up is done without a call."))
    at = at or timezone.now()
    locked = FollowUp.objects.select_for_update().filter(pk=follow_up.pk, status=FollowUp.Status.OPEN).first()
    if locked is None:
        return False
    FollowUp.objects.filter(pk=locked.pk).update(status=FollowUp.Status.DONE, closed_at=at, note=note)
    FollowUpEvent.objects.create(
        follow_up=locked,
        debtor_id=locked.debtor_id,
        kind=FollowUpEvent.Kind.DONE,
        from_status=FollowUp.Status.OPEN,
        to_status=FollowUp.Status.DONE,
        from_due_at=locked.due_at,
        at=at,
        by=by,
        note=note,
    )
    follow_up.status, follow_up.closed_at, follow_up.note = FollowUp.Status.DONE, at, note
    return True


@transaction.atomic
def follow_up_move(*, follow_up: FollowUp, by, due_at: datetime, note: str, at: datetime | None = None) -> bool:
    """Move an open follow-up to another moment, saying why; False if it is no longer open.

    1. Scope as for `follow_up_complete`; the reason is required.
    2. The new moment is in the future and lawful for a call to the debtor: the contact
       policy is asked for that moment, and a refusal names its reasons and the first lawful
       moment after it (on the debtor's clock), so the collector can pick that instead.
    """
    from collections_crm.permissions import can_act_on_debtor

    debtor = follow_up.debtor
    if not can_act_on_debtor(by, debtor):
        raise Http404
    at = at or timezone.now()
    locked = FollowUp.objects.select_for_update().filter(pk=follow_up.pk, status=FollowUp.Status.OPEN).first()
    if locked is None:
        return False
    errors = {}
    try:
        note = _require_reason(note, _("Say why the follow-up is moved."))
    except ValidationError as error:
        errors.update(error.error_dict)
    if not isinstance(due_at, datetime) or timezone.is_naive(due_at):
        errors["due_at"] = [ValidationError(_("Say when to call the debtor instead."), code="required")]
    elif due_at <= at:
        errors["due_at"] = [ValidationError(_("The new time must be in the future."), code="past")]
    else:
        verdict = check_contact(debtor, "voice", due_at)
        if not verdict.allowed:
            messages = [_("The contact policy does not allow a call to the debtor then.")]
            messages.extend(reason.message for reason in verdict.reasons)
            if verdict.next_allowed_at is not None:
                moment = formats.date_format(
                    timezone.localtime(verdict.next_allowed_at, debtor_zone(debtor)), "l j F, H:i"
                )
                messages.append(
                    _("The first lawful moment after it is %(moment)s on the debtor's clock.") % {"moment": moment}
                )
            errors["due_at"] = [ValidationError(" ".join(messages), code="contact_blocked")]
    if errors:
        raise ValidationError(errors)
    FollowUp.objects.filter(pk=locked.pk).update(due_at=due_at)
    FollowUpEvent.objects.create(
        follow_up=locked,
        debtor_id=locked.debtor_id,
        kind=FollowUpEvent.Kind.MOVED,
        from_status=FollowUp.Status.OPEN,
        to_status=FollowUp.Status.OPEN,
        from_due_at=locked.due_at,
        to_due_at=due_at,
        at=at,
        by=by,
        note=note,
    )
    follow_up.due_at = due_at
    return True


# --- The closing summary, sent to the debtor -----------------------------------------------------
# After a commitment the collector may send the agreement they read back by SMS, WhatsApp or
# e-mail. The message goes through the outbox (promises.Message), so it is sent by the same
# job as reminders, at a lawful moment, at most once; the idempotency key is per call and
# channel, so a second click (or a retried request) finds the first message instead.

SUMMARY_CHANNELS = ("whatsapp", "sms", "email")


@dataclass
class SummaryRoute:
    """One channel the summary could go by: to whom, and why not when it cannot."""

    channel: str
    label: str
    recipient: str = ""
    phone: object | None = None
    refusal: str = ""
    send_after: datetime | None = None
    message: object | None = None

    @property
    def allowed(self) -> bool:
        return not self.refusal

    @property
    def deferred(self) -> bool:
        # Lawful later (the message window is closed now): queued for that moment.
        return self.allowed and self.send_after is not None and self.message is None


def call_summary_can_be_sent(call) -> bool:
    """Only an agreement reached with the debtor is read back, so only that is sent."""
    return call.outcome == CallOutcome.RIGHT_PARTY and call.commitment not in ("", Call.Commitment.NONE)


def call_summary_routes(*, call, at: datetime, phones=None) -> list[SummaryRoute]:
    """Each summary channel with its recipient or the reason it cannot be used now.

    1. A recipient: the debtor's own usable number that consented to the channel (best
       first: WhatsApp, SMS), or the debtor's e-mail address.
    2. The contact policy for that channel and number: a block with no lawful moment ahead
       (a hold, no authorisation) refuses the channel; a block that lifts later queues the
       message for that moment.
    3. A summary already queued on that channel is shown instead of offering it again.
    """
    from promises.models import Message

    debtor = call.debtor
    phones = list(debtor.phones.all()) if phones is None else phones
    own = [p for p in phones if p.relationship == "own" and p.status in USABLE_PHONE_STATUSES]
    existing = {
        message.channel: message
        for message in Message.objects.filter(idempotency_key__in=[_summary_key(call, c) for c in SUMMARY_CHANNELS])
    }
    routes = []
    for channel in SUMMARY_CHANNELS:
        route = SummaryRoute(channel=channel, label=str(Message.Channel(channel).label), message=existing.get(channel))
        routes.append(route)
        if channel == "email":
            route.recipient = debtor.email
            if not debtor.email:
                route.refusal = _("There is no e-mail address on file for the debtor.")
                continue
        else:
            consent = f"{channel}_consent"
            route.phone = next((phone for phone in own if getattr(phone, consent)), None)
            if route.phone is None:
                route.refusal = _("None of the debtor's own numbers has consent for %(channel)s.") % {
                    "channel": route.label
                }
                continue
            route.recipient = route.phone.number.as_e164
        verdict = check_contact(debtor, channel, at, phone=route.phone)
        if verdict.allowed:
            continue
        if verdict.next_allowed_at is None:
            route.refusal = " ".join(reason.message for reason in verdict.reasons)
        else:
            route.send_after = verdict.next_allowed_at
    return routes


def _summary_key(call, channel: str) -> str:
    return f"summary:call:{call.pk}:{channel}"


def _summary_promises(call) -> list:
    from promises.models import Promise

    return list(Promise.objects.filter(call=call).order_by("due_date", "instalment_number", "pk"))


def _summary_next_call(call) -> datetime | None:
    """When the commitment's follow-up will call the debtor: the read-back promises no other call."""
    follow_up = (
        FollowUp.objects.filter(call=call, reason__in=(FollowUp.Reason.CALLBACK, FollowUp.Reason.COMMITMENT))
        .exclude(status=FollowUp.Status.CANCELLED)
        .order_by("pk")
        .first()
    )
    return follow_up.due_at if follow_up is not None else None


def render_call_summary(*, call, channel: str, promises=None) -> tuple[str, str]:
    """Subject and text of the closing summary, in the debtor's language and on the debtor's
    clock (what was read back)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from collections_crm.templatetags.crm import money

    debtor = call.debtor
    promises = _summary_promises(call) if promises is None else promises
    next_call = (
        _summary_next_call(call) if call.commitment in (Call.Commitment.CALLBACK, *Call.DATED_COMMITMENTS) else None
    )
    with translation.override(debtor.language), timezone.override(debtor_zone(debtor)):
        context = {
            "call": call,
            "first_name": debtor.spoken_name.split()[0] if debtor.full_name else "",
            "creditor": debtor.portfolio.creditor.name,
            "code": debtor.external_id,
            "promises": [
                {"amount": money(promise.amount, promise.currency), "date": promise.due_date} for promise in promises
            ],
            "total": money(sum((p.amount for p in promises), start=Decimal(0)), promises[0].currency)
            if promises
            else "",
            "next_call": next_call,
            "channel": channel,
        }
        body = render_to_string("calls/summary_message.txt", context).strip()
        subject = render_to_string("calls/summary_message_subject.txt", context).strip() if channel == "email" else ""
    # Plain spaces: a no-break space would push an SMS out of the GSM alphabet (dearer, shorter).
    return subject.replace("\u00a0", " "), body.replace("\u00a0", " ")


@dataclass
class SummarySendResult:
    message: object
    created: bool
    route: SummaryRoute


@transaction.atomic
def call_summary_send(*, call, channel: str, by, at: datetime | None = None) -> SummarySendResult:
    """Queue the closing summary of `call` for the debtor on `channel`, once.

    1. Scope: whoever may act on the debtor (a collector their own debtors); else 404.
    2. Only a right-party call that ended with a commitment has a summary to send.
    3. The channel must have a consenting recipient and not be blocked for good by the
       contact policy (`call_summary_routes`); refusals carry the reason.
    4. Insert-or-nothing on the idempotency key: a second request returns the first message.
       The outbox job sends it at `send_after` (now, or the next lawful moment).
    """
    from collections_crm.permissions import can_act_on_debtor
    from promises.models import Message

    if not can_act_on_debtor(by, call.debtor):
        raise Http404
    if channel not in SUMMARY_CHANNELS:
        raise ValidationError({"channel": _("Choose SMS, WhatsApp or e-mail.")})
    if not call_summary_can_be_sent(call):
        raise ValidationError(_("Only a call that ended with an agreement with the debtor has a summary to send."))
    at = at or timezone.now()
    route = next(route for route in call_summary_routes(call=call, at=at) if route.channel == channel)
    if route.message is not None:
        return SummarySendResult(message=route.message, created=False, route=route)
    if not route.allowed:
        raise ValidationError({"channel": route.refusal})
    promises = _summary_promises(call)
    subject, body = render_call_summary(call=call, channel=channel, promises=promises)
    message, created = Message.objects.get_or_create(
        idempotency_key=_summary_key(call, channel),
        defaults={
            "debtor": call.debtor,
            "promise": promises[0] if promises else None,
            "phone": route.phone,
            "channel": channel,
            "purpose": Message.Purpose.SUMMARY,
            "recipient": route.recipient,
            "language": call.debtor.language,
            "subject": subject,
            "body": body,
            "send_after": route.send_after or at,
            "created_at": at,
        },
    )
    route.message = message
    return SummarySendResult(message=message, created=created, route=route)
