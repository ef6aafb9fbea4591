"""The dashboard's figures: promises made and their fate, per collector and per week."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    Q,
    Sum,
)

from calls.models import Call, CallReview
from collections_crm.permissions import collector_scope
from promises.models import CallRollup, Payment, PaymentRollup, Promise, PromiseRollup
from supervision.selectors.scope import (
    JUDGED,
    RESOLVED,
    DashboardFilters,
    Period,
    collectors_for_user,
    money_sum,
    rate,
    rollup_scope,
)


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
        .annotate(count=Count("pk"), amount=money_sum("amount"))
        .order_by()
    )
    for row in made:
        figures[row["currency"]]["made"] = {"count": row["count"], "amount": row["amount"]}

    aggregates = {"due_count": Count("pk"), "due_amount": money_sum("amount")}
    for status in JUDGED:
        aggregates[f"{status}_count"] = Count("pk", filter=Q(status=status))
        aggregates[f"{status}_amount"] = money_sum("amount", Q(status=status))
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
        .annotate(amount=money_sum("amount"))
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
        entry["kept_rate_count"] = rate(entry["kept"]["count"], resolved_count)
        entry["kept_rate_amount"] = rate(entry["kept"]["amount"], resolved_amount)
        # Collected against what fell due: money in, whichever promise it paid.
        entry["collected_rate"] = rate(entry["collected"], entry["due"]["amount"])
        result.append(entry)
    return result


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
                "contact_rate": rate(call_row.get("right_party", 0), call_row.get("calls", 0)),
                "promises": promise_row.get("made", 0),
                "kept": kept,
                "broken": promise_row.get("broken", 0),
                "kept_rate": rate(kept, resolved),
            }
        )
    return rows


def dashboard_figures(user, period: Period, filters: DashboardFilters, zone=None) -> list[dict]:
    """The figures of `promise_figures`, read from the rollups in 2 queries whatever the volume.

    Plain sums grouped by (currency, kind, status), pivoted here: cheaper in SQL than one
    filtered aggregate per figure.
    """

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
        .annotate(amount=money_sum("amount"))
        .order_by()
    )
    for row in collected:
        figures[row["currency"]]["collected"] = row["amount"]
    return _figures_finish(figures)


def weekly_trend(user, end: date, filters: DashboardFilters, weeks: int = 12) -> list[dict]:
    """Counts per week (Monday first) for the `weeks` weeks ending with `end`'s week: 1 query."""

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
        trend.append({"week": monday, **counts, "kept_rate": rate(counts["kept"], resolved)})
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
        .annotate(amount=money_sum("amount"))
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
                "contact_rate": rate(right_party, call_row.get("calls", 0)),
                "promises": promise_row.get("made", 0),
                "promises_per_contact": rate(promise_row.get("made", 0), right_party),
                "kept": promise_row.get("kept", 0),
                "broken": promise_row.get("broken", 0),
                "kept_rate": rate(promise_row.get("kept", 0), promise_row.get("resolved", 0)),
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
            "kept_rate": rate(row["kept"], row["resolved"]),
        }
        for row in rows
    ]
