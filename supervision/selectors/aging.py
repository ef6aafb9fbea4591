"""Portfolio health: balances by arrears bucket, month-end snapshots and roll rates."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    FilteredRelation,
    Q,
    Sum,
    Value,
    When,
)

from collections_crm.permissions import debtor_scope
from debtors.models import Debt, DebtSnapshot
from promises.models import BalanceRollup, RollupState
from supervision.selectors.scope import DashboardFilters, debt_scope_q, prefixed, rate

# --- Portfolio health -------------------------------------------------------------------------

BUCKETS = ("current", "1-30", "31-60", "61-90", "91-180", "180+")
BUCKET_UPPER_DAYS = (("1-30", 30), ("31-60", 60), ("61-90", 90), ("91-180", 180))
BALANCE_ROLLUP_STATE = "balances"
# How many days the balance rollups stay exact without a refresh: the job runs every few
# minutes, so a week covers a stopped worker over a long weekend. At most 30 (the narrowest
# bucket), so the folding windows of supervision.services.rollups._folded_due_day never overlap.
AGING_HORIZON_DAYS = 7


def bucket_case(on: date, field: str = "due_date"):
    """A debt's aging bucket on `on`, computed in SQL from its due date (debts with a balance)."""
    whens = [When(**{f"{field}__gte": on}, then=Value("current"))]
    for bucket, upper in BUCKET_UPPER_DAYS:
        whens.append(When(**{f"{field}__gte": on - timedelta(days=upper)}, then=Value(bucket)))
    return Case(*whens, default=Value("180+"), output_field=CharField())


def balances_by_bucket(user, filters: DashboardFilters, on: date) -> list[dict]:
    """Open balances per currency and aging bucket on `on`, from the debts (1 query).

    Exact, but a pass over every open debt in scope: a second and more at a million debtors.
    The page reads `aging_figures` (the balance rollups); this one is the reference they match.
    """
    rows = (
        open_debts(user, filters)
        .annotate(bucket=bucket_case(on))
        .values("currency", "bucket")
        .annotate(debts=Count("pk"), balance=Sum("balance"))
        .order_by("currency")
    )
    return _aging_table(rows)


def balance_rollup_state(on: date):
    """The balance rollups' state when they are exact on `on` (see AGING_HORIZON_DAYS), else None."""

    state = RollupState.objects.filter(name=BALANCE_ROLLUP_STATE, aged_on__isnull=False).first()
    if state is None or not state.aged_on <= on <= state.aged_on + timedelta(days=AGING_HORIZON_DAYS):
        return None
    return state


def aging_figures(user, filters: DashboardFilters, on: date, state) -> list[dict]:
    """`balances_by_bucket`, read from the balance rollups when `state` (from `balance_rollup_state`)
    says they are exact on `on`: a few thousand rows whatever the number of debts (1 query)."""

    if state is None:
        return balances_by_bucket(user, filters, on)
    rows = (
        BalanceRollup.objects.filter(debtor_scope(user), filters.debtor_q())
        .annotate(bucket=bucket_case(on, "day"))
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


def month_end_snapshot_days(today: date, months: int) -> list[date]:
    """The last snapshot day of each of the last `months` months that has one, oldest first."""

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
                    "roll_rate": rate(worse, total),
                    "cure_rate": rate(better, total),
                }
            )
        result.append({"from": earlier, "to": later, "lines": lines})
    return result


def open_debts(user, filters: DashboardFilters):

    return Debt.objects.filter(
        debtor_scope(user, via="debtor"),
        prefixed(filters.debtor_q(), "debtor"),
        balance__gt=0,
        recalled_on__isnull=True,
    )
