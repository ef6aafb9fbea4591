"""Promise rules as pure functions: thresholds, lapse moments, instalment schedules.

No database here: services and jobs call these, tests call them directly.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from collections_crm.lib.timezones import zone_for

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Thresholds:
    kept: Decimal  # paid at least this much: kept
    partial: Decimal  # paid at least this much (but less than kept): partially kept


def thresholds_for(
    amount: Decimal, *, tolerance_percent: Decimal, tolerance_amount: Decimal, partial_minimum_percent: Decimal
) -> Thresholds:
    """What a promise must receive to count as kept, or as partially kept.

    A small shortfall (bank fees, rounding) is forgiven up to the larger of the two
    tolerances; a payment below the partial minimum share counts as nothing paid.
    """
    shortfall = max(amount * tolerance_percent / HUNDRED, tolerance_amount)
    kept = max((amount - shortfall).quantize(CENT, ROUND_HALF_UP), CENT)
    partial = max((amount * partial_minimum_percent / HUNDRED).quantize(CENT, ROUND_HALF_UP), CENT)
    return Thresholds(kept=kept, partial=min(partial, kept))


def judge(paid: Decimal, thresholds: Thresholds) -> str:
    """The status of a lapsed promise given what was paid towards it in time."""
    if paid >= thresholds.kept:
        return "kept"
    if paid >= thresholds.partial:
        return "partially_kept"
    return "broken"


def lapse_moment(due_date: date, grace_days: int, time_zone: str) -> datetime:
    """The end of the last grace day, in the debtor's zone: until then a payment counts."""
    last_day = due_date + timedelta(days=grace_days)
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone_for(time_zone))


def split_evenly(total: Decimal, count: int) -> list[Decimal]:
    """Instalment amounts that add up to the total to the cent; the last one takes the rest."""
    if count < 1:
        raise ValueError("count must be at least 1")
    share = (total / count).quantize(CENT, rounding="ROUND_DOWN")
    return [share] * (count - 1) + [total - share * (count - 1)]


def instalment_dates(first: date, count: int, frequency: str) -> list[date]:
    """Due dates of a plan: weekly, fortnightly or monthly (same day of month, clamped)."""
    if frequency == "weekly":
        return [first + timedelta(weeks=n) for n in range(count)]
    if frequency == "fortnightly":
        return [first + timedelta(weeks=2 * n) for n in range(count)]
    if frequency == "monthly":
        dates = []
        for n in range(count):
            month_index = first.month - 1 + n
            year, month = first.year + month_index // 12, month_index % 12 + 1
            day = min(first.day, _days_in_month(year, month))
            dates.append(date(year, month, day))
        return dates
    raise ValueError(f"unknown frequency {frequency!r}")


def _days_in_month(year: int, month: int) -> int:
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return (next_month - timedelta(days=1)).day
