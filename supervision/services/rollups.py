"""The dashboard's rollups: per day and collector, kept up to date a minute at a time."""

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, DateField, F, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from calls.models import Call
from collections_crm.lib.timezones import zone_for
from debtors.models import Debt
from promises.models import (
    BalanceRollup,
    CallRollup,
    Payment,
    PaymentRollup,
    Promise,
    PromiseEvent,
    PromiseRollup,
    RollupState,
)
from supervision.selectors.aging import AGING_HORIZON_DAYS, BALANCE_ROLLUP_STATE, BUCKET_UPPER_DAYS

# --- Dashboard rollups --------------------------------------------------------------------


ROLLUP_STATE = "dashboard"
# Ids are handed out when a row is inserted but become visible when its transaction commits,
# so a slow transaction can commit an id below the last one read. Each run also re-reads the
# ids up to ROLLUP_ID_OVERLAP behind the watermark that were written since shortly before the
# previous run (ROLLUP_LATE_COMMIT): those are the only rows a late commit can hide. The time
# bound keeps a bulk load's last thousand rows from being re-read every minute. Recomputing a
# day is idempotent, so reading a row twice is harmless.
ROLLUP_ID_OVERLAP = 1000
ROLLUP_LATE_COMMIT = timedelta(minutes=10)


def _since_watermark(queryset, *, last_id: int, up_to: int, stamp: str, since: datetime | None):
    """Rows with ids above the watermark, and recent rows just below it (see ROLLUP_ID_OVERLAP)."""
    fresh = Q(pk__gt=last_id)
    if since is not None:
        fresh |= Q(pk__gt=max(last_id - ROLLUP_ID_OVERLAP, 0), **{f"{stamp}__gte": since})
    return queryset.filter(fresh, pk__lte=up_to)


@dataclass
class RollupResult:
    full: bool
    made_days: int
    due_days: int
    payment_days: int
    call_days: int
    duration_ms: int


def reporting_zone() -> zoneinfo.ZoneInfo:
    return zone_for(settings.DASHBOARD_TIME_ZONE)


def _day_spans(days) -> list[tuple[date, date]]:
    """Runs of consecutive days as (first, last) pairs."""
    spans: list[list[date]] = []
    for day in sorted(set(days)):
        if spans and day == spans[-1][1] + timedelta(days=1):
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return [(first, last) for first, last in spans]


def _moment_filter(field: str, days) -> Q:
    """Moments on `days` in the reporting zone, as [start, end) ranges on `field`.

    Ranges on the timestamp, rather than a date computed per row, let its index serve the query.
    """
    zone = reporting_zone()
    condition = Q(pk__in=[])
    for first, last in _day_spans(days):
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        condition |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return condition


def _insert_select(model, columns: list[str], queryset) -> None:
    """INSERT INTO model (columns) SELECT …: the aggregate never leaves the database."""
    sql, params = queryset.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {sql}", params)


def _promise_rollup_rows(kind: str, condition: Q):
    if kind == "made":
        # What was promised does not depend on how it ended: made rows carry no status, so a
        # status change never touches them and they are half as many rows to read.
        day, status = TruncDate("created_at", tzinfo=reporting_zone()), Value("", output_field=CharField())
    else:
        day, status = F("due_date"), F("status")
    return (
        Promise.objects.filter(condition)
        .annotate(
            rollup_kind=Value(kind, output_field=CharField()),
            rollup_day=day,
            rollup_portfolio=F("debtor__portfolio_id"),
            rollup_status=status,
        )
        .values("rollup_kind", "rollup_day", "collector_id", "rollup_portfolio", "currency", "rollup_status")
        .annotate(rollup_count=Count("pk"), rollup_amount=Sum("amount"))
        .order_by()
    )


def _payment_rollup_rows(condition: Q):
    return (
        Payment.objects.filter(condition)
        .annotate(rollup_day=TruncDate("paid_at", tzinfo=reporting_zone()), rollup_portfolio=F("debtor__portfolio_id"))
        .values("rollup_day", "credited_to_id", "rollup_portfolio", "currency")
        .annotate(rollup_count=Count("pk"), rollup_amount=Sum("amount"))
        .order_by()
    )


def _call_rollup_rows(condition: Q):
    return (
        Call.objects.filter(condition, collector__isnull=False)
        .annotate(
            rollup_day=TruncDate("started_at", tzinfo=reporting_zone()), rollup_portfolio=F("debtor__portfolio_id")
        )
        .values("rollup_day", "collector_id", "rollup_portfolio")
        .annotate(rollup_calls=Count("pk"), rollup_right_party=Count("pk", filter=Q(outcome="right_party")))
        .order_by()
    )


CALL_ROLLUP_COLUMNS = ["day", "collector", "portfolio", "calls", "right_party"]
PROMISE_ROLLUP_COLUMNS = ["kind", "day", "collector", "portfolio", "currency", "status", "count", "amount"]
PAYMENT_ROLLUP_COLUMNS = ["day", "collector", "portfolio", "currency", "count", "amount"]


@transaction.atomic
def promise_rollups_refresh(*, full: bool = False, now: datetime | None = None) -> RollupResult:
    """Bring the dashboard rollups up to date with the promises and payments that changed.

    1. Lock the state row, so two runs never rebuild the same days at once.
    2. Read the promise events, payments and calls newer than the last run (with an overlap,
       see ROLLUP_ID_OVERLAP) and find the days they touch: the day each new promise was made,
       the due date of each promise that changed, each new payment's and call's day.
    3. For those days (all days when `full` or on the first run) delete the rollup rows and
       insert them again from one GROUP BY each. Idempotent: a day is recomputed, never added to.
    4. Move the watermarks and stamp "as of" with the moment the run began.
    """
    started = monotonic()
    now = now or timezone.now()
    RollupState.objects.get_or_create(name=ROLLUP_STATE)
    state = RollupState.objects.select_for_update().get(name=ROLLUP_STATE)
    last_event = PromiseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_promise = Promise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_payment = Payment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_call = Call.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    full = full or state.refreshed_at is None

    if full:
        PromiseRollup.objects.all().delete()
        PaymentRollup.objects.all().delete()
        _insert_select(PromiseRollup, PROMISE_ROLLUP_COLUMNS, _promise_rollup_rows("made", Q()))
        _insert_select(PromiseRollup, PROMISE_ROLLUP_COLUMNS, _promise_rollup_rows("due", Q()))
        _insert_select(PaymentRollup, PAYMENT_ROLLUP_COLUMNS, _payment_rollup_rows(Q()))
        CallRollup.objects.all().delete()
        _insert_select(CallRollup, CALL_ROLLUP_COLUMNS, _call_rollup_rows(Q()))
        made_days = due_days = payment_days = call_days = -1
    else:
        since = state.refreshed_at - ROLLUP_LATE_COMMIT
        events = _since_watermark(
            PromiseEvent.objects, last_id=state.last_event_id, up_to=last_event, stamp="at", since=since
        )
        # New promises by id (whoever inserted them, with or without an event), changed ones by event.
        new = _since_watermark(
            Promise.objects, last_id=state.last_promise_id, up_to=last_promise, stamp="created_at", since=since
        )
        made, due = set(), set()
        for made_day, due_date in (
            new.annotate(made_day=TruncDate("created_at", tzinfo=reporting_zone()))
            .values_list("made_day", "due_date")
            .distinct()
        ):
            made.add(made_day)
            due.add(due_date)
        due |= set(
            Promise.objects.filter(pk__in=events.values("promise_id")).values_list("due_date", flat=True).distinct()
        )
        paid = set(
            _since_watermark(
                Payment.objects, last_id=state.last_payment_id, up_to=last_payment, stamp="created_at", since=since
            )
            .annotate(paid_day=TruncDate("paid_at", tzinfo=reporting_zone()))
            .values_list("paid_day", flat=True)
            .distinct()
        )
        if made:
            PromiseRollup.objects.filter(kind="made", day__in=made).delete()
            _insert_select(
                PromiseRollup, PROMISE_ROLLUP_COLUMNS, _promise_rollup_rows("made", _moment_filter("created_at", made))
            )
        if due:
            PromiseRollup.objects.filter(kind="due", day__in=due).delete()
            _insert_select(PromiseRollup, PROMISE_ROLLUP_COLUMNS, _promise_rollup_rows("due", Q(due_date__in=due)))
        if paid:
            PaymentRollup.objects.filter(day__in=paid).delete()
            _insert_select(PaymentRollup, PAYMENT_ROLLUP_COLUMNS, _payment_rollup_rows(_moment_filter("paid_at", paid)))
        # Calls are logged once and not edited afterwards, so new ids are all that changes.
        called = set(
            _since_watermark(Call.objects, last_id=state.last_call_id, up_to=last_call, stamp="created_at", since=since)
            .annotate(call_day=TruncDate("started_at", tzinfo=reporting_zone()))
            .values_list("call_day", flat=True)
            .distinct()
        )
        if called:
            CallRollup.objects.filter(day__in=called).delete()
            _insert_select(CallRollup, CALL_ROLLUP_COLUMNS, _call_rollup_rows(_moment_filter("started_at", called)))
        made_days, due_days, payment_days, call_days = len(made), len(due), len(paid), len(called)

    duration_ms = int((monotonic() - started) * 1000)
    state.last_event_id = last_event
    state.last_promise_id = last_promise
    state.last_payment_id = last_payment
    state.last_call_id = last_call
    state.refreshed_at = now
    state.generation = uuid.uuid4().hex
    state.duration_ms = duration_ms
    state.days_refreshed = sum(max(days, 0) for days in (made_days, due_days, payment_days, call_days))
    state.save()
    return RollupResult(
        full=full,
        made_days=made_days,
        due_days=due_days,
        payment_days=payment_days,
        call_days=call_days,
        duration_ms=duration_ms,
    )


# --- Balance rollups (portfolio health) ---------------------------------------------------


def _folded_due_day(on: date):
    """A debt's due date, folded so that dates which age alike from `on` to `on + horizon` share one.

    A debt's bucket on day t only asks whether due_date >= t − b for each bucket edge b (0, 30,
    60, 90, 180 days). For t in [on, on + horizon] that answer can change only when the due date
    lies in [on − b, on − b + horizon − 1]: those days are kept as they are. Every other date
    gets the same answers as the last day of the gap it lies in (or `on + horizon` above the
    newest edge, `on − 181` below the oldest), so it is stored as that day: about five days per
    horizon day instead of one per due date, and exact on every day of the horizon.
    """
    horizon = AGING_HORIZON_DAYS
    edges = [0, *(upper for _, upper in BUCKET_UPPER_DAYS)]
    whens = [When(due_date__gte=on + timedelta(days=horizon), then=Value(on + timedelta(days=horizon)))]
    for edge, older in zip(edges, [*edges[1:], None]):
        whens.append(When(due_date__gte=on - timedelta(days=edge), then=F("due_date")))
        if older is not None:
            whens.append(
                When(due_date__gte=on - timedelta(days=older - horizon), then=Value(on - timedelta(days=edge + 1)))
            )
    return Case(*whens, default=Value(on - timedelta(days=edges[-1] + 1)), output_field=DateField())


@dataclass
class BalanceRollupResult:
    rows: int
    duration_ms: int


BALANCE_ROLLUP_COLUMNS = ["day", "assigned_to", "portfolio", "currency", "debts", "balance"]


def _balance_rollup_rows(on: date):
    return (
        Debt.objects.filter(balance__gt=0, recalled_on__isnull=True)
        .annotate(
            rollup_day=_folded_due_day(on),
            rollup_assigned=F("debtor__assigned_to_id"),
            rollup_portfolio=F("debtor__portfolio_id"),
        )
        .values("rollup_day", "rollup_assigned", "rollup_portfolio", "currency")
        .annotate(rollup_debts=Count("pk"), rollup_balance=Sum("balance"))
        .order_by()
    )


@transaction.atomic
def balance_rollups_refresh(*, now: datetime | None = None) -> BalanceRollupResult:
    """Recount the open debts by folded due day, collector, portfolio and currency (portfolio health).

    1. Lock the state row, so two runs never rebuild at once.
    2. Delete every row and insert them again from one GROUP BY over the open debts: balances
       change through payments, imports, recalls and reassignments alike, and one pass over the
       debts costs less than following each of them. Readers see the old rows until the commit.
    3. Stamp "as of" with the moment the run began and the day the due dates were folded from.
    """
    started = monotonic()
    now = now or timezone.now()
    on = timezone.localdate(now, timezone=reporting_zone())
    RollupState.objects.get_or_create(name=BALANCE_ROLLUP_STATE)
    state = RollupState.objects.select_for_update().get(name=BALANCE_ROLLUP_STATE)
    BalanceRollup.objects.all().delete()
    _insert_select(BalanceRollup, BALANCE_ROLLUP_COLUMNS, _balance_rollup_rows(on))
    duration_ms = int((monotonic() - started) * 1000)
    state.refreshed_at = now
    state.aged_on = on
    state.generation = uuid.uuid4().hex
    state.duration_ms = duration_ms
    state.save()
    return BalanceRollupResult(rows=BalanceRollup.objects.count(), duration_ms=duration_ms)
