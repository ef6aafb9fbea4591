from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DecimalField,
    FilteredRelation,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from calls.models import Call, CallReview
from collections_crm.permissions import collector_scope, debtor_scope, debtor_scope_flag, scope_ordering
from debtors.models import MONEY
from promises.models import ApprovalStatus, Arrangement, Payment, Promise, PromiseEvent, PromiseRules

ZERO = Value(Decimal("0"), output_field=DecimalField(**MONEY))
RESOLVED = (Promise.Status.KEPT, Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN)
JUDGED = (Promise.Status.PENDING, *RESOLVED)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self, zone=None) -> tuple[datetime, datetime]:
        """Aware datetimes [start, end) in `zone`, by default the current (viewer's) time zone."""
        zone = zone or timezone.get_current_timezone()
        start = datetime.combine(self.start, time.min, tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return start, end


def _money_sum(field: str, condition: Q | None = None):
    return Coalesce(Sum(field, filter=condition), ZERO)


def _rate(part, whole):
    return (part / whole) if whole else None


def promise_figures(user, period: Period, filters: "DashboardFilters | None" = None, zone=None) -> list[dict]:
    """Promises made and due in a period, per currency, for the user's scope (3 queries).

    Read straight from the promise and payment tables: exact, but seconds at scale. The
    dashboard reads `dashboard_figures` (the rollups); this one is the reference they must match.
    Amounts in different currencies are never added together: each currency is a row.
    """
    filters = filters or DashboardFilters()
    start, end = period.bounds(zone)
    scoped = Promise.objects.filter(collector_scope(user, "collector"), filters.promise_q())
    figures: dict[str, dict] = defaultdict(dict)

    made = (
        scoped.filter(created_at__gte=start, created_at__lt=end)
        .values("currency")
        .annotate(count=Count("pk"), amount=_money_sum("amount"))
        .order_by()
    )
    for row in made:
        figures[row["currency"]]["made"] = {"count": row["count"], "amount": row["amount"]}

    aggregates = {"due_count": Count("pk"), "due_amount": _money_sum("amount")}
    for status in JUDGED:
        aggregates[f"{status}_count"] = Count("pk", filter=Q(status=status))
        aggregates[f"{status}_amount"] = _money_sum("amount", Q(status=status))
    due = (
        scoped.filter(due_date__gte=period.start, due_date__lte=period.end, status__in=JUDGED)
        .values("currency")
        .annotate(**aggregates)
        .order_by()
    )
    for row in due:
        entry = figures[row["currency"]]
        entry["due"] = {"count": row["due_count"], "amount": row["due_amount"]}
        for status in JUDGED:
            entry[status] = {"count": row[f"{status}_count"], "amount": row[f"{status}_amount"]}

    collected = (
        Payment.objects.filter(
            collector_scope(user, "credited_to"), filters.payment_q(), paid_at__gte=start, paid_at__lt=end
        )
        .values("currency")
        .annotate(amount=_money_sum("amount"))
        .order_by()
    )
    for row in collected:
        figures[row["currency"]]["collected"] = row["amount"]

    return _figures_finish(figures)


def _figures_finish(figures: dict[str, dict]) -> list[dict]:
    empty = {"count": 0, "amount": Decimal("0")}
    result = []
    for currency in sorted(figures):
        entry = figures[currency]
        for key in ("made", "due", *JUDGED):
            entry.setdefault(key, dict(empty))
        entry.setdefault("collected", Decimal("0"))
        resolved_count = sum(entry[s]["count"] for s in RESOLVED)
        resolved_amount = sum(entry[s]["amount"] for s in RESOLVED)
        entry["currency"] = currency
        entry["kept_rate_count"] = _rate(entry["kept"]["count"], resolved_count)
        entry["kept_rate_amount"] = _rate(entry["kept"]["amount"], resolved_amount)
        # Collected against what fell due: money in, whichever promise it paid.
        entry["collected_rate"] = _rate(entry["collected"], entry["due"]["amount"])
        result.append(entry)
    return result


def collectors_for_user(user) -> QuerySet:
    collectors = get_user_model().objects.filter(role="collector", is_active=True)
    if not user.is_crm_admin:
        collectors = collectors.filter(team__supervisor=user)
    return collectors.select_related("team").order_by("first_name", "last_name", "username")


def collector_table(user, period: Period) -> list[dict]:
    """One row per collector in scope: calls, contacts, promises made and their fate (3 queries)."""
    start, end = period.bounds()
    collectors = list(collectors_for_user(user))
    calls = {
        row["collector"]: row
        for row in Call.objects.filter(collector__in=collectors, started_at__gte=start, started_at__lt=end)
        .values("collector")
        .annotate(calls=Count("pk"), right_party=Count("pk", filter=Q(outcome=Call.Outcome.RIGHT_PARTY)))
        .order_by()
    }
    promises = {
        row["collector"]: row
        for row in Promise.objects.filter(collector__in=collectors, created_at__gte=start, created_at__lt=end)
        .values("collector")
        .annotate(
            made=Count("pk"),
            kept=Count("pk", filter=Q(status=Promise.Status.KEPT)),
            partially_kept=Count("pk", filter=Q(status=Promise.Status.PARTIALLY_KEPT)),
            broken=Count("pk", filter=Q(status=Promise.Status.BROKEN)),
        )
        .order_by()
    }
    rows = []
    for collector in collectors:
        call_row = calls.get(collector.pk, {})
        promise_row = promises.get(collector.pk, {})
        kept = promise_row.get("kept", 0)
        resolved = kept + promise_row.get("partially_kept", 0) + promise_row.get("broken", 0)
        rows.append(
            {
                "collector": collector,
                "calls": call_row.get("calls", 0),
                "right_party": call_row.get("right_party", 0),
                "contact_rate": _rate(call_row.get("right_party", 0), call_row.get("calls", 0)),
                "promises": promise_row.get("made", 0),
                "kept": kept,
                "broken": promise_row.get("broken", 0),
                "kept_rate": _rate(kept, resolved),
            }
        )
    return rows


def promises_for_debtor(debtor) -> QuerySet[Promise]:
    events = Prefetch("events", queryset=PromiseEvent.objects.select_related("by"))
    return debtor.promises.select_related("collector", "debt", "arrangement").prefetch_related(events)


def promise_rules_for(portfolio) -> PromiseRules:
    """The portfolio's promise rules, or the defaults when it has none saved."""
    try:
        return portfolio.promise_rules
    except PromiseRules.DoesNotExist:
        return PromiseRules(portfolio=portfolio)


def promise_rules_by_portfolio(portfolio_ids) -> dict[int, PromiseRules]:
    """Rules for many portfolios in one query; defaults where none are saved."""
    portfolio_ids = set(portfolio_ids)
    saved = {rules.portfolio_id: rules for rules in PromiseRules.objects.filter(portfolio_id__in=portfolio_ids)}
    return {pk: saved.get(pk) or PromiseRules(portfolio_id=pk) for pk in portfolio_ids}


def arrangements_awaiting_approval(user) -> QuerySet[Arrangement]:
    """Arrangements beyond the limits waiting for `user`'s decision, oldest first, in one query.

    Supervisors see their teams' debtors, admins all; anyone else nothing. Each row carries
    its instalment count and first due date.
    """
    if not (user.is_supervisor or user.is_crm_admin):
        return Arrangement.objects.none()
    return (
        Arrangement.objects.filter(approval_status=ApprovalStatus.PENDING)
        .filter(debtor_scope(user, via="debtor", few_rows=True))
        .select_related("debtor__portfolio", "created_by")
        .annotate(instalment_count=Count("promises"), first_due_date=Min("promises__due_date"))
        .order_by("created_at", "pk")
    )


def arrangement_get_for_decision(user, pk: int) -> Arrangement:
    """The arrangement, for a supervisor or admin whose scope holds its debtor; 404 for anyone else."""
    if not (user.is_supervisor or user.is_crm_admin):
        raise Http404
    try:
        return (
            Arrangement.objects.filter(debtor_scope(user, via="debtor"))
            .select_related("debtor__assigned_to__team")
            .get(pk=pk)
        )
    except Arrangement.DoesNotExist:
        raise Http404 from None


# --- The supervisor dashboard (read from the rollups) -----------------------------------------


@dataclass(frozen=True)
class DashboardFilters:
    """The dashboard's filters; each figure, drill-down and export applies the same ones."""

    team: int | None = None
    collector: int | None = None
    portfolio: int | None = None
    creditor: int | None = None

    @classmethod
    def from_query(cls, query) -> "DashboardFilters":
        def number(name):
            value = query.get(name, "")
            return int(value) if value.isdigit() else None

        return cls(
            team=number("team"),
            collector=number("collector"),
            portfolio=number("portfolio"),
            creditor=number("creditor"),
        )

    def as_query(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if value is not None}

    def _q(self, *, collector: str, portfolio: str) -> Q:
        condition = Q()
        if self.team is not None:
            condition &= Q(**{f"{collector}__team_id": self.team})
        if self.collector is not None:
            condition &= Q(**{f"{collector}_id": self.collector})
        if self.portfolio is not None:
            condition &= Q(**{f"{portfolio}_id": self.portfolio})
        if self.creditor is not None:
            condition &= Q(**{f"{portfolio}__creditor_id": self.creditor})
        return condition

    def rollup_q(self) -> Q:
        return self._q(collector="collector", portfolio="portfolio")

    def promise_q(self) -> Q:
        return self._q(collector="collector", portfolio="debtor__portfolio")

    def payment_q(self) -> Q:
        return self._q(collector="credited_to", portfolio="debtor__portfolio")

    def call_q(self) -> Q:
        return self._q(collector="collector", portfolio="debtor__portfolio")

    def debtor_q(self) -> Q:
        return self._q(collector="assigned_to", portfolio="portfolio")


def rollup_scope(user) -> Q:
    """`collector_scope` for the rollup tables, as `collector IN (team members)`: the rollup rows
    are then read by index with no join to users and teams."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_crm_admin:
        return Q()
    members = get_user_model().objects.filter(team__supervisor=user).values("pk")
    if user.is_supervisor:
        return Q(collector__in=members) | Q(collector=user)
    return Q(collector=user)


def _sum_int(condition: Q):
    return Coalesce(Sum("count", filter=condition), 0)


def rollup_state():
    from promises.models import RollupState

    return RollupState.objects.filter(name="dashboard").first()


def dashboard_figures(user, period: Period, filters: DashboardFilters, zone=None) -> list[dict]:
    """The figures of `promise_figures`, read from the rollups in 2 queries whatever the volume.

    Plain sums grouped by (currency, kind, status), pivoted here: cheaper in SQL than one
    filtered aggregate per figure.
    """
    from promises.models import PaymentRollup, PromiseRollup

    in_period = Q(day__gte=period.start, day__lte=period.end)
    rows = (
        PromiseRollup.objects.filter(rollup_scope(user), filters.rollup_q(), in_period)
        .values("currency", "kind", "status")
        .annotate(n=Sum("count"), amount=Sum("amount"))
        .order_by()
    )
    figures: dict[str, dict] = defaultdict(dict)
    for row in rows:
        entry = figures[row["currency"]]
        for key in ("made", "due", *JUDGED):
            entry.setdefault(key, {"count": 0, "amount": Decimal("0")})
        if row["kind"] == PromiseRollup.Kind.MADE:
            keys = ("made",)
        elif row["status"] in JUDGED:
            keys = ("due", row["status"])
        else:
            continue  # cancelled: made, but never due
        for key in keys:
            entry[key]["count"] += row["n"]
            entry[key]["amount"] += row["amount"]
    collected = (
        PaymentRollup.objects.filter(rollup_scope(user), filters.rollup_q(), in_period)
        .values("currency")
        .annotate(amount=_money_sum("amount"))
        .order_by()
    )
    for row in collected:
        figures[row["currency"]]["collected"] = row["amount"]
    return _figures_finish(figures)


def weekly_trend(user, end: date, filters: DashboardFilters, weeks: int = 12) -> list[dict]:
    """Counts per week (Monday first) for the `weeks` weeks ending with `end`'s week: 1 query."""
    from promises.models import PromiseRollup

    last_monday = end - timedelta(days=end.weekday())
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    rows = (
        PromiseRollup.objects.filter(
            rollup_scope(user),
            filters.rollup_q(),
            day__gte=first_monday,
            day__lt=last_monday + timedelta(days=7),
        )
        .values("day", "kind", "status")
        .annotate(n=Sum("count"))
        .order_by()
    )
    keys = ("made", *JUDGED)
    buckets = {first_monday + timedelta(weeks=i): dict.fromkeys(keys, 0) for i in range(weeks)}
    for row in rows:
        week = buckets[row["day"] - timedelta(days=row["day"].weekday())]
        if row["kind"] == PromiseRollup.Kind.MADE:
            week["made"] += row["n"]
        elif row["status"] in JUDGED:
            week[row["status"]] += row["n"]
    trend = []
    for monday, counts in buckets.items():
        resolved = sum(counts[s] for s in RESOLVED)
        trend.append({"week": monday, **counts, "kept_rate": _rate(counts["kept"], resolved)})
    return trend


COLLECTOR_SORTS = (
    "name",
    "calls",
    "right_party",
    "contact_rate",
    "promises",
    "promises_per_contact",
    "kept_rate",
    "collected",
    "qa_score",
)


def collector_performance(user, period: Period, filters: DashboardFilters, sort: str = "name", zone=None) -> list[dict]:
    """One row per collector in scope and filters: calls, contacts, promises, kept rate,
    money collected (per currency) and QA score. 5 queries; sorted on the server by `sort`
    (a column name, "-" first for descending; unknown names sort by name)."""
    from promises.models import CallRollup, PaymentRollup, PromiseRollup

    start, end = period.bounds(zone)
    collectors = collectors_for_user(user)
    if filters.team is not None:
        collectors = collectors.filter(team_id=filters.team)
    if filters.collector is not None:
        collectors = collectors.filter(pk=filters.collector)
    collectors = list(collectors)
    ids = [collector.pk for collector in collectors]
    in_period = Q(day__gte=period.start, day__lte=period.end)
    calls = {
        row["collector"]: row
        for row in CallRollup.objects.filter(filters.rollup_q(), in_period, collector__in=ids)
        .values("collector")
        .annotate(calls=Sum("calls"), right_party=Sum("right_party"))
        .order_by()
    }
    promises: dict[int, dict] = defaultdict(lambda: {"made": 0, "kept": 0, "resolved": 0, "broken": 0})
    for row in (
        PromiseRollup.objects.filter(filters.rollup_q(), in_period, collector__in=ids)
        .values("collector", "kind", "status")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        counts = promises[row["collector"]]
        if row["kind"] == PromiseRollup.Kind.MADE:
            counts["made"] += row["n"]
        elif row["status"] in RESOLVED:
            counts["resolved"] += row["n"]
            if row["status"] in (Promise.Status.KEPT, Promise.Status.BROKEN):
                counts[row["status"]] += row["n"]
    collected: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        PaymentRollup.objects.filter(filters.rollup_q(), in_period, collector__in=ids)
        .values("collector", "currency")
        .annotate(amount=_money_sum("amount"))
        .order_by("currency")
    ):
        collected[row["collector"]][row["currency"]] = row["amount"]
    scores = {
        row["collector"]: row
        for row in CallReview.objects.filter(collector__in=ids, call_started_at__gte=start, call_started_at__lt=end)
        .values("collector")
        .annotate(score=Avg("score"), reviews=Count("pk"))
        .order_by()
    }
    rows = []
    for collector in collectors:
        call_row = calls.get(collector.pk, {})
        promise_row = promises.get(collector.pk, {})
        score_row = scores.get(collector.pk, {})
        right_party = call_row.get("right_party", 0)
        rows.append(
            {
                "collector": collector,
                "display_name": collector.get_full_name() or collector.username,
                "team_name": collector.team.name if collector.team_id else "—",
                "name": (collector.get_full_name() or collector.username).lower(),
                "calls": call_row.get("calls", 0),
                "right_party": right_party,
                "contact_rate": _rate(right_party, call_row.get("calls", 0)),
                "promises": promise_row.get("made", 0),
                "promises_per_contact": _rate(promise_row.get("made", 0), right_party),
                "kept": promise_row.get("kept", 0),
                "broken": promise_row.get("broken", 0),
                "kept_rate": _rate(promise_row.get("kept", 0), promise_row.get("resolved", 0)),
                "collected": dict(collected.get(collector.pk, {})),
                "qa_score": score_row.get("score"),
                "qa_reviews": score_row.get("reviews", 0),
            }
        )
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in COLLECTOR_SORTS:
        key, descending = "name", False

    def sort_key(row):
        value = row[key]
        if key == "collected":
            # Amounts in different currencies are not comparable; order by the count of
            # currencies, then by each amount, which is exact within one currency.
            value = tuple(sorted(value.values()))
        return (value is None, value if value is not None else 0)

    present = [row for row in rows if row[key] is not None]
    missing = [row for row in rows if row[key] is None]
    present.sort(key=sort_key, reverse=descending)
    return present + missing  # "no figure" last either way


def dashboard_options(user) -> dict:
    """The choices of the dashboard's filters, scoped to the user (3 queries; collectors come along)."""
    from collections_crm.users.models import Team
    from debtors.models import Creditor, Portfolio

    teams = Team.objects.all() if user.is_crm_admin else Team.objects.filter(supervisor=user)
    return {
        "teams": list(teams.order_by("name")),
        "portfolios": list(Portfolio.objects.select_related("creditor").order_by("name")),
        "creditors": list(Creditor.objects.order_by("name")),
    }


# --- Drill-downs ------------------------------------------------------------------------------
#
# The rule (README, "Supervisor dashboards"): a figure credits the collector who did the work
# (who made the promise, placed the call, was credited with the payment), so it stays put when
# debtors are reassigned later. Its drill-down lists exactly the rows the figure counts; the
# rows whose debtor has since left the reader's scope carry `in_scope` False and are shown and
# exported without who the debtor is (no name, customer code, link, reference or notes).


def promises_behind(
    user, *, period: Period, filters: DashboardFilters, kind: str, status: str = "", currency: str = "", zone=None
):
    """The promises counted in one dashboard figure: made in the period, or due in it (by
    status), in the figure's currency; each with `in_scope` (see the rule above)."""
    promises = Promise.objects.filter(collector_scope(user, "collector"), filters.promise_q())
    if kind == "made":
        start, end = period.bounds(zone)
        promises = promises.filter(created_at__gte=start, created_at__lt=end)
        if status:
            promises = promises.filter(status=status)
    else:
        promises = promises.filter(due_date__gte=period.start, due_date__lte=period.end)
        promises = promises.filter(status=status) if status else promises.filter(status__in=JUDGED)
    if currency:
        promises = promises.filter(currency=currency)
    return (
        promises.annotate(in_scope=debtor_scope_flag(user))
        .select_related("debtor__portfolio", "collector")
        .order_by(*scope_ordering(user, "due_date", "pk"))
    )


def calls_behind(
    user, *, period: Period, filters: DashboardFilters, outcome: str = "", stance_reason: str = "", zone=None
):
    start, end = period.bounds(zone)
    calls = Call.objects.filter(
        collector_scope(user, "collector"), filters.call_q(), started_at__gte=start, started_at__lt=end
    )
    if outcome:
        calls = calls.filter(outcome=outcome)
    if stance_reason:
        calls = calls.filter(stance_reason=stance_reason)
    return (
        calls.annotate(in_scope=debtor_scope_flag(user))
        .select_related("debtor__portfolio", "collector", "review")
        .order_by("-started_at", "-pk")
    )


def payments_behind(user, *, period: Period, filters: DashboardFilters, currency: str = "", zone=None):
    start, end = period.bounds(zone)
    payments = Payment.objects.filter(
        collector_scope(user, "credited_to"), filters.payment_q(), paid_at__gte=start, paid_at__lt=end
    )
    if currency:
        payments = payments.filter(currency=currency)
    return (
        payments.annotate(in_scope=debtor_scope_flag(user))
        .select_related("debtor__portfolio", "credited_to")
        .order_by("-paid_at", "-pk")
    )


# --- Portfolio health -------------------------------------------------------------------------

BUCKETS = ("current", "1-30", "31-60", "61-90", "91-180", "180+")
BUCKET_UPPER_DAYS = (("1-30", 30), ("31-60", 60), ("61-90", 90), ("91-180", 180))
BALANCE_ROLLUP_STATE = "balances"
# How many days the balance rollups stay exact without a refresh: the job runs every few
# minutes, so a week covers a stopped worker over a long weekend. At most 30 (the narrowest
# bucket), so the folding windows of promises.services._folded_due_day never overlap.
AGING_HORIZON_DAYS = 7


def _bucket_case(on: date, field: str = "due_date"):
    """A debt's aging bucket on `on`, computed in SQL from its due date (debts with a balance)."""
    whens = [When(**{f"{field}__gte": on}, then=Value("current"))]
    for bucket, upper in BUCKET_UPPER_DAYS:
        whens.append(When(**{f"{field}__gte": on - timedelta(days=upper)}, then=Value(bucket)))
    return Case(*whens, default=Value("180+"), output_field=CharField())


def open_debts(user, filters: DashboardFilters):
    from debtors.models import Debt

    return Debt.objects.filter(
        debtor_scope(user, via="debtor"),
        _prefixed(filters.debtor_q(), "debtor"),
        balance__gt=0,
        recalled_on__isnull=True,
    )


def _prefixed(condition: Q, prefix: str) -> Q:
    """The same filter, one relation further away (debtor filters applied to debts)."""
    result = Q()
    for child in condition.children:
        name, value = child
        result &= Q(**{f"{prefix}__{name}": value})
    return result


def balances_by_bucket(user, filters: DashboardFilters, on: date) -> list[dict]:
    """Open balances per currency and aging bucket on `on`, from the debts (1 query).

    Exact, but a pass over every open debt in scope: a second and more at a million debtors.
    The page reads `aging_figures` (the balance rollups); this one is the reference they match.
    """
    rows = (
        open_debts(user, filters)
        .annotate(bucket=_bucket_case(on))
        .values("currency", "bucket")
        .annotate(debts=Count("pk"), balance=Sum("balance"))
        .order_by("currency")
    )
    return _aging_table(rows)


def balance_rollup_state(on: date):
    """The balance rollups' state when they are exact on `on` (see AGING_HORIZON_DAYS), else None."""
    from promises.models import RollupState

    state = RollupState.objects.filter(name=BALANCE_ROLLUP_STATE, aged_on__isnull=False).first()
    if state is None or not state.aged_on <= on <= state.aged_on + timedelta(days=AGING_HORIZON_DAYS):
        return None
    return state


def aging_figures(user, filters: DashboardFilters, on: date, state) -> list[dict]:
    """`balances_by_bucket`, read from the balance rollups when `state` (from `balance_rollup_state`)
    says they are exact on `on`: a few thousand rows whatever the number of debts (1 query)."""
    from promises.models import BalanceRollup

    if state is None:
        return balances_by_bucket(user, filters, on)
    rows = (
        BalanceRollup.objects.filter(debtor_scope(user), filters.debtor_q())
        .annotate(bucket=_bucket_case(on, "day"))
        .values("currency", "bucket")
        .annotate(debts=Sum("debts"), balance=Sum("balance"))
        .order_by("currency")
    )
    return _aging_table(rows)


def _aging_table(rows) -> list[dict]:
    table: dict[str, dict] = {}
    for row in rows:
        cells = table.setdefault(row["currency"], {b: {"debts": 0, "balance": Decimal("0")} for b in BUCKETS})
        cells[row["bucket"]] = {"debts": row["debts"], "balance": row["balance"]}
    return [
        {
            "currency": currency,
            "buckets": [{"bucket": b, **cells[b]} for b in BUCKETS],
            "total": sum((cells[b]["balance"] for b in BUCKETS), Decimal("0")),
        }
        for currency, cells in sorted(table.items())
    ]


def debts_in_bucket(user, filters: DashboardFilters, bucket: str, on: date, currency: str = ""):
    """The open debts behind one cell of `balances_by_bucket`: its bucket, in its currency."""
    debts = open_debts(user, filters).filter(currency=currency) if currency else open_debts(user, filters)
    return (
        debts.annotate(bucket=_bucket_case(on))
        .filter(bucket=bucket)
        .select_related("debtor__portfolio", "debtor__assigned_to")
        .order_by("due_date", "pk")
    )


def month_end_snapshot_days(today: date, months: int) -> list[date]:
    """The last snapshot day of each of the last `months` months that has one, oldest first."""
    from debtors.models import DebtSnapshot

    days = []
    month_start = today.replace(day=1)
    for _ in range(months):
        day = (
            DebtSnapshot.objects.filter(taken_on__gte=month_start, taken_on__lte=today)
            .order_by("-taken_on")
            .values_list("taken_on", flat=True)
            .first()
        )
        if day:
            days.append(day)
        today = month_start - timedelta(days=1)
        month_start = today.replace(day=1)
    return sorted(days)


def roll_rates(user, filters: DashboardFilters, today: date, months: int = 6) -> list[dict]:
    """Month-over-month movement between aging buckets, from the nightly DebtSnapshot rows.

    For each pair of consecutive month-end snapshots: how many debts in each bucket stayed,
    rolled forward to a worse bucket, cured to a better one, or left (paid off, closed).
    """
    from debtors.models import DebtSnapshot

    days = month_end_snapshot_days(today, months + 1)
    order = {bucket: index for index, bucket in enumerate(BUCKETS)}
    result = []
    for earlier, later in zip(days, days[1:]):
        # One LEFT JOIN of the earlier night's rows to the later night's, by debt: the database
        # can hash-join the two days rather than look each debt up.
        rows = (
            DebtSnapshot.objects.filter(debt_scope_q(user, filters), taken_on=earlier)
            .annotate(later=FilteredRelation("debt__snapshots", condition=Q(debt__snapshots__taken_on=later)))
            .values("aging_bucket", "later__aging_bucket")
            .annotate(n=Count("pk"))
            .order_by()
        )
        matrix = {b: {**dict.fromkeys(BUCKETS, 0), "gone": 0} for b in BUCKETS}
        for row in rows:
            matrix[row["aging_bucket"]][row["later__aging_bucket"] or "gone"] += row["n"]
        lines = []
        for bucket in BUCKETS:
            cells = matrix[bucket]
            total = sum(cells.values())
            worse = sum(n for b, n in cells.items() if b != "gone" and order[b] > order[bucket])
            better = sum(n for b, n in cells.items() if b != "gone" and order[b] < order[bucket])
            lines.append(
                {
                    "bucket": bucket,
                    "total": total,
                    "cells": [cells[b] for b in BUCKETS] + [cells["gone"]],
                    "roll_rate": _rate(worse, total),
                    "cure_rate": _rate(better, total),
                }
            )
        result.append({"from": earlier, "to": later, "lines": lines})
    return result


def debt_scope_q(user, filters: DashboardFilters) -> Q:
    return debtor_scope(user, via="debt__debtor") & _prefixed(filters.debtor_q(), "debt__debtor")


def stance_outcomes(user, period: Period, filters: DashboardFilters, zone=None) -> list[dict]:
    """Objections and situations heard in the period, most frequent first, with the promises
    those calls produced and how many were kept (1 query)."""
    start, end = period.bounds(zone)
    rows = (
        Call.objects.filter(
            collector_scope(user, "collector"), filters.call_q(), started_at__gte=start, started_at__lt=end
        )
        .exclude(stance="")
        .values("stance", "stance_reason")
        .annotate(
            calls=Count("pk", distinct=True),
            promise_count=Count("promises", distinct=True),
            kept=Count("promises", filter=Q(promises__status=Promise.Status.KEPT), distinct=True),
            resolved=Count("promises", filter=Q(promises__status__in=RESOLVED), distinct=True),
        )
        .order_by("-calls", "stance", "stance_reason")
    )
    stances = dict(Call.Stance.choices)
    reasons = dict(Call.StanceReason.choices)
    return [
        {
            **row,
            "promises": row["promise_count"],
            "stance_label": stances.get(row["stance"], row["stance"]),
            "reason_label": reasons.get(row["stance_reason"], row["stance_reason"]),
            "kept_rate": _rate(row["kept"], row["resolved"]),
        }
        for row in rows
    ]


# --- Work management --------------------------------------------------------------------------


def debtors_for_reassignment(user, *, from_collector: int | None = None, portfolio: int | None = None, ids=None):
    """Debtors a supervisor (their teams) or admin may move, narrowed by collector, portfolio or ids."""
    from debtors.models import Debtor

    if not (user.is_supervisor or user.is_crm_admin):
        return Debtor.objects.none()
    debtors = Debtor.objects.filter(debtor_scope(user))
    if from_collector is not None:
        debtors = debtors.filter(assigned_to_id=from_collector)
    if portfolio is not None:
        debtors = debtors.filter(portfolio_id=portfolio)
    if ids is not None:
        debtors = debtors.filter(pk__in=ids)
    return debtors
