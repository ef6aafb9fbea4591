"""Follow-up scheduling (calls.tasks.schedule_follow_ups): broken promises, callbacks,
dated commitments, retries and reminders, each put in the right queue at a lawful moment,
never twice; and the retry rule as a logged call sees it (`_retry_expected`)."""

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from calls.models import Call, CallOutcome, FollowUp
from calls.policy import HOLD_FIELDS, next_lawful_moments
from calls.services.common import USABLE_PHONE_STATUSES, day_start
from calls.services.contactability import best_windows, best_windows_by_debtor
from collections_crm.lib.timezones import debtor_zone, zone_for

SCHEDULER = "schedule_follow_ups"
# Only recent events are scheduled: a promise broken a month ago needs a person, not a job.
BROKEN_LOOKBACK = timedelta(days=7)
CALLBACK_LOOKBACK = timedelta(days=2)
RETRY_LOOKBACK = timedelta(days=1)
# Attempts that did not reach the debtor and are tried again on the portfolio's cadence: no
# contact, a third party who took no callback, a wrong or dead number (another number of the
# debtor's is tried next; with none left there is no retry).
# A retry waits for the number's best hour of the week if that hour comes within a day.
AIM_WITHIN = timedelta(hours=24)
RETRY_OUTCOMES = ("no_answer", "busy", "voicemail", "third_party", "wrong_number", "disconnected")


@dataclass
class ScheduleResult:
    broken_promises: int = 0
    callbacks: int = 0
    commitments: int = 0
    retries: int = 0
    reminder_calls: int = 0
    reminder_messages: int = 0
    broken_promise_messages: int = 0
    due_date_messages: int = 0
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
    """A call for each recently broken promise: at once, or, where the debtor's strategy puts
    a message first and the debtor consented to a channel, a message now and the call the
    strategy's hours later (a debtor who pays on the message is not called)."""
    from promises.models import Message, Promise, Strategy
    from promises.selectors import strategies_by_debtor
    from promises.services import reminder_messages_queue

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
    strategies = strategies_by_debtor(debtors)
    message_first = {
        promise_id: strategies[debtor_id]
        for promise_id, debtor_id in broken
        if debtor_id in strategies and strategies[debtor_id].first_channel == Strategy.FirstChannel.MESSAGE
    }
    called_at_once = set()
    if message_first:
        promises = list(
            Promise.objects.filter(pk__in=message_first).select_related(
                "debtor__portfolio__creditor", "debtor__assigned_to"
            )
        )
        called_at_once = {
            promise.pk
            for promise in reminder_messages_queue(
                promises=promises,
                now=now,
                result=result,
                lawful_moments=next_lawful_moments,
                purpose=Message.Purpose.BROKEN_PROMISE,
            )
        }
    earliest = [
        now
        if promise_id not in message_first or promise_id in called_at_once
        else now + timedelta(hours=message_first[promise_id].call_after_message_hours)
        for promise_id, _debtor_id in broken
    ]
    aims = best_windows_by_debtor(debtors)
    moments = next_lawful_moments(
        [
            (debtors[debtor_id], _aimed_at(aims.get(debtor_id), at, debtors[debtor_id].time_zone))
            for (_pk, debtor_id), at in zip(broken, earliest)
        ],
        "voice",
    )
    rows = []
    for (promise_id, debtor_id), due_at in zip(broken, moments):
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
    from promises.selectors import promise_rules_by_portfolio, retry_after_minutes, strategies_by_debtor

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
        .values_list("pk", "debtor_id", "started_at", "collector_id", "phone_id")
    )
    if not attempts:
        return
    debtors = _debtors_by_id({attempt[1] for attempt in attempts})
    rules = promise_rules_by_portfolio(debtor.portfolio_id for debtor in debtors.values())
    strategies = strategies_by_debtor(debtors)
    windows = best_windows({attempt[4] for attempt in attempts if attempt[4]})
    requests = []
    for _pk, debtor_id, started_at, _collector, phone_id in attempts:
        debtor = debtors[debtor_id]
        # The cadence of the debtor's strategy, else the portfolio's; then the number's best hour
        # of the week if it comes within a day.
        minutes = retry_after_minutes(rules[debtor.portfolio_id], strategies.get(debtor_id))
        earliest = max(now, started_at + timedelta(minutes=minutes))
        requests.append((debtor, _aimed_at(windows.get(phone_id), earliest, debtor.time_zone)))
    moments = next_lawful_moments(requests, "voice")
    rows = []
    for (call_id, debtor_id, _started_at, collector_id, _phone_id), due_at in zip(attempts, moments):
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


def _aimed_at(window, earliest: datetime, time_zone: str) -> datetime:
    """The start of the number's best hour of the week (calls.services.contactability) when it
    comes within AIM_WITHIN of `earliest`, else `earliest`."""
    if window is None:
        return earliest
    local = earliest.astimezone(zone_for(time_zone))
    slot = (local + timedelta(days=(window.weekday - local.weekday()) % 7)).replace(
        hour=window.hour, minute=0, second=0, microsecond=0
    )
    if slot < local:
        slot += timedelta(days=7)
    return slot if slot - local <= AIM_WITHIN else earliest


def _retry_expected(call: Call, *, other_follow_up_open: bool, phone) -> int | None:
    """Minutes after `call` at which the retry job will try again (at a lawful moment), or None.

    The job's own rule (`_schedule_retries`) for this one call: an attempt that did not
    reach the debtor, no callback agreed, a usable number left and no other open follow-up.
    """
    from debtors.models import Phone
    from promises.selectors import retry_after_minutes_for

    if call.outcome not in RETRY_OUTCOMES or call.commitment == Call.Commitment.CALLBACK or other_follow_up_open:
        return None
    number_left = (phone is not None and phone.status in USABLE_PHONE_STATUSES) or Phone.objects.filter(
        debtor_id=call.debtor_id, status__in=USABLE_PHONE_STATUSES
    ).exists()
    if not number_left:
        return None
    return retry_after_minutes_for(call.debtor)


def _schedule_reminders(now: datetime, result: ScheduleResult) -> None:
    """Before a promise falls due, as many days before as the debtor's strategy says (else the
    portfolio's rules): a message where the debtor consented, else a call task; a call task
    at once where the strategy calls first. From the day after the promise was made."""
    from promises.models import Message, Promise, PromiseRules, Strategy
    from promises.selectors import promise_rules_for, reminder_days_before, strategies_by_debtor
    from promises.services import reminder_messages_queue

    today = now.date()
    has_call = FollowUp.objects.filter(promise=OuterRef("pk"), reason=FollowUp.Reason.REMINDER)
    has_message = Message.objects.filter(promise=OuterRef("pk"), purpose=Message.Purpose.REMINDER)
    # A coarse window in SQL (the widest reminder window of any portfolio, a day either side
    # for time zones); each portfolio's own number of days is applied below.
    widest = max(
        [
            PromiseRules().reminder_days_before,
            *PromiseRules.objects.values_list("reminder_days_before", flat=True),
            *Strategy.objects.filter(reminder_days_before__isnull=False).values_list("reminder_days_before", flat=True),
        ]
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
        .select_related("debtor__portfolio__promise_rules", "debtor__portfolio__creditor", "debtor__assigned_to")
        .order_by()
    )
    strategies = strategies_by_debtor({promise.debtor_id for promise in candidates})
    due, call_first = [], []
    for promise in candidates:
        debtor = promise.debtor
        strategy = strategies.get(debtor.pk)
        days_before = reminder_days_before(promise_rules_for(debtor.portfolio), strategy)
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
            calling = strategy is not None and strategy.first_channel == Strategy.FirstChannel.CALL
            (call_first if calling else due).append(promise)
    if not due and not call_first:
        return
    calls_needed = call_first + (
        reminder_messages_queue(promises=due, now=now, result=result, lawful_moments=next_lawful_moments) if due else []
    )
    if not calls_needed:
        return
    aims = best_windows_by_debtor({promise.debtor_id for promise in calls_needed})
    moments = next_lawful_moments(
        [
            (promise.debtor, _aimed_at(aims.get(promise.debtor_id), now, promise.debtor.time_zone))
            for promise in calls_needed
        ],
        "voice",
    )
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


def _schedule_due_date_reminders(now: datetime, result: ScheduleResult) -> None:
    from promises.services import due_date_reminders_queue

    due_date_reminders_queue(now=now, result=result, lawful_moments=next_lawful_moments)


def follow_ups_schedule(*, now: datetime | None = None) -> ScheduleResult:
    """Put the right follow-up in the right queue at a lawful moment, never twice.

    1. A call for every promise broken in the last week that has none yet: at once, or after a
       message where the debtor's strategy puts messages first and the debtor consented; at the
       debtor's best hour of the week when it comes within a day (so do retries and reminder calls).
    2. The callbacks debtors asked for, at the agreed time or the next lawful one.
    3. Documents, consultations and other commitments, at the first lawful moment of their day.
    4. A retry after the latest attempt that did not reach the debtor, on the cadence of the
       debtor's strategy (else the portfolio's), aimed at the number's best hour of the week
       when that comes within a day, once the debtor has no other open follow-up (logging a
       call settles the ones that were due) and still has a usable number.
    5. Reminders before due dates, as the debtor's strategy says: a message where consented
       (unless the strategy calls first), otherwise a call.
    6. Preventive reminders of debts' own due dates (before, on, after), by message only.
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
        _schedule_due_date_reminders,
    )
    for step in steps:
        with transaction.atomic():
            step(now, result)
    return result
