"""How each number answers, by weekday and hour of the debtor's own day: recounted nightly from
the calls of the last CONTACTABILITY_DAYS, in one statement (calls.tasks.refresh_contactability),
and each number's best window for the desk. A number is demoted after the portfolio's number of
failed attempts of one kind, and restored by hand with a reason; both are kept as history."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call, PhoneContactability, PhoneStatusChange, PortfolioContactSettings

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
    rows = PhoneContactability.objects.filter(phone_id__in=list(phone_ids), connects__gt=0)
    return _best_by(rows.order_by("pk"), "phone_id")


def best_windows_by_debtor(debtor_ids) -> dict[int, BestWindow]:
    """Each debtor's best (weekday, hour) over their numbers still in use: where the calls the
    strategies schedule (after a broken promise, before a due date) aim."""
    rows = PhoneContactability.objects.filter(
        phone__debtor_id__in=list(debtor_ids), phone__status__in=("unknown", "valid"), connects__gt=0
    ).annotate(debtor_id=F("phone__debtor_id"))
    return _best_by(rows.order_by("pk"), "debtor_id")


def _best_by(rows, key: str) -> dict[int, BestWindow]:
    best: dict[int, tuple[float, BestWindow]] = {}
    for row in rows:
        # Right-party contacts count whole, someone else answering half; +1/+2 smooths few calls.
        score = (row.right_party + 0.5 * (row.connects - row.right_party) + 1) / (row.attempts + 2)
        window = BestWindow(row.weekday, row.hour, row.attempts, row.connects, row.right_party)
        owner = getattr(row, key)
        if owner not in best or score > best[owner][0]:
            best[owner] = (score, window)
    return {owner: window for owner, (_score, window) in best.items()}


# Outcomes that say a number is not the debtor's, or no longer works.
DEMOTING_OUTCOMES = ("wrong_number", "disconnected")


def demotion_due(*, phone, outcome: str, debtor) -> bool:
    """Whether the calls with `outcome` on `phone` since it last reached someone (or was
    restored) have reached the portfolio's `demote_number_after` (the call just logged counts)."""
    needed = (
        PortfolioContactSettings.objects.filter(portfolio_id=debtor.portfolio_id)
        .values_list("demote_number_after", flat=True)
        .first()
        or 1
    )
    if needed <= 1:
        return True
    reached = Call.objects.filter(phone=phone, outcome__in=CONNECTED).order_by("-started_at").values("started_at")[:1]
    restored = PhoneStatusChange.objects.filter(phone=phone, source=PhoneStatusChange.Source.RESTORED)
    failures = Call.objects.filter(phone=phone, outcome=outcome)
    last_reached = reached.first()
    last_restored = restored.order_by("-at").values_list("at", flat=True).first()
    since = max(
        [moment for moment in (last_reached and last_reached["started_at"], last_restored) if moment], default=None
    )
    if since is not None:
        failures = failures.filter(started_at__gt=since)
    return failures.count() >= needed


def phone_demote(*, phone, status: str, call, at: datetime) -> None:
    type(phone).objects.filter(pk=phone.pk).update(status=status)
    PhoneStatusChange.objects.create(
        phone=phone,
        debtor_id=phone.debtor_id,
        from_status=phone.status,
        to_status=status,
        at=at,
        by=call.collector,
        source=PhoneStatusChange.Source.CALLS,
        call=call,
    )
    phone.status = status


@transaction.atomic
def phone_restore(*, phone, by, reason: str, at: datetime | None = None):
    """A demoted number back in use, because someone knows better (the debtor confirmed it, the
    creditor sent it again): the reason is kept with who and when."""
    from collections_crm.permissions import can_act_on_debtor

    if not can_act_on_debtor(by, phone.debtor):
        raise Http404
    if phone.status not in DEMOTING_OUTCOMES:
        raise ValidationError(_("This number is in use: there is nothing to restore."), code="not_demoted")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the number is restored.")}, code="required")
    PhoneStatusChange.objects.create(
        phone=phone,
        debtor_id=phone.debtor_id,
        from_status=phone.status,
        to_status="valid",
        at=at or timezone.now(),
        by=by,
        source=PhoneStatusChange.Source.RESTORED,
        reason=reason[:500],
    )
    type(phone).objects.filter(pk=phone.pk).update(status="valid")
    phone.status = "valid"
    return phone
