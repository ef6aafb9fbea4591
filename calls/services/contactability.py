"""How each number answers, by weekday and hour of the debtor's own day: recounted nightly from
the calls of the last CONTACTABILITY_DAYS, in one statement (calls.tasks.refresh_contactability),
and each number's best window for the desk."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from calls.models import Call, PhoneContactability

CONTACTABILITY_DAYS = 180
# Someone picked up: the debtor, or a third party at the debtor's number.
CONNECTED = ("right_party", "third_party")


def _slot_sql() -> tuple[str, str]:
    """The weekday (0 is Monday) and hour of a call's stored local time ("2026-11-18T10:00:00-05:00")."""
    if connection.vendor == "postgresql":
        return (
            "(EXTRACT(ISODOW FROM CAST(substr(local_time, 1, 10) AS date))::int - 1)",
            "CAST(substr(local_time, 12, 2) AS integer)",
        )
    return (
        "((CAST(strftime('%%w', substr(local_time, 1, 10)) AS integer) + 6) %% 7)",
        "CAST(substr(local_time, 12, 2) AS integer)",
    )


@transaction.atomic
def contactability_refresh(*, now: datetime | None = None, days: int = CONTACTABILITY_DAYS) -> int:
    """Recount every number's attempts, answers and right-party contacts per (weekday, hour)
    from our outbound voice calls; returns the number of slots written."""
    now = now or timezone.now()
    weekday, hour = _slot_sql()
    table, calls = PhoneContactability._meta.db_table, Call._meta.db_table
    connected = ", ".join(f"'{outcome}'" for outcome in CONNECTED)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (phone_id, weekday, hour, attempts, connects, right_party, counted_at) "
            f"SELECT phone_id, {weekday}, {hour}, COUNT(*), "
            f"SUM(CASE WHEN outcome IN ({connected}) THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN outcome = 'right_party' THEN 1 ELSE 0 END), %s "
            f"FROM {calls} WHERE phone_id IS NOT NULL AND channel = 'voice' AND direction = 'outbound' "
            f"AND local_time <> '' AND started_at >= %s GROUP BY phone_id, {weekday}, {hour}",
            [now, now - timedelta(days=days)],
        )
        return cursor.rowcount


@dataclass(frozen=True)
class BestWindow:
    weekday: int
    hour: int
    attempts: int
    connects: int
    right_party: int


def best_windows(phone_ids) -> dict[int, BestWindow]:
    """Each number's best (weekday, hour): the likeliest to reach the debtor (right-party
    contacts over attempts, smoothed so that one lucky call does not win over a steady slot),
    among slots where someone ever answered. Numbers with no such slot are left out."""
    best: dict[int, tuple[float, BestWindow]] = {}
    rows = PhoneContactability.objects.filter(phone_id__in=list(phone_ids), connects__gt=0).order_by("pk")
    for row in rows:
        score = (row.right_party + 0.5 * (row.connects - row.right_party) + 1) / (row.attempts + 2)
        window = BestWindow(row.weekday, row.hour, row.attempts, row.connects, row.right_party)
        if row.phone_id not in best or score > best[row.phone_id][0]:
            best[row.phone_id] = (score, window)
    return {phone_id: window for phone_id, (_score, window) in best.items()}
