"""What a payment score is computed from: the features, and how they are read for a portfolio
as they stood at a given moment.

Every feature is read as of a moment `at` (now when scoring, a past day when training or
testing), from rows dated before it: a payment made after `at` must not tell the model who
pays after `at`. Each source table is read once per portfolio, grouped by debtor (set-based,
one query each, on either database); the arrays are put together with numpy.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext_lazy as _

from calls.models import Call, CallOutcome
from debtors.models import HOLD_FIELDS, Debtor, Phone
from promises.models import Payment, Promise, PromiseStatus

# Days after which "how long since" stops growing: a year without a payment is as bad as two.
DAYS_CAP = 365
RECENT_DAYS = 90
ATTEMPT_DAYS = 30
OUTCOME_DAYS = 30  # the score is the probability of a payment within this many days
PIECE = 50_000  # rows read from the database at a time


@dataclass(frozen=True)
class Feature:
    name: str
    label: str
    logged: bool = False  # a count or an amount: modelled on a log scale


FEATURES = (
    Feature("days_past_due", _("Days past due")),
    Feature("balance", _("Open balance"), logged=True),
    Feature("share_paid_90d", _("Share of the balance paid in 90 days")),
    Feature("payments_90d", _("Payments in 90 days"), logged=True),
    Feature("days_since_payment", _("Days since the last payment")),
    Feature("promises_kept", _("Promises kept"), logged=True),
    Feature("promises_partial", _("Promises partly kept"), logged=True),
    Feature("promises_broken", _("Promises broken"), logged=True),
    Feature("open_promise", _("A promise pending")),
    Feature("right_party_90d", _("Conversations with the debtor in 90 days"), logged=True),
    Feature("days_since_right_party", _("Days since the last conversation")),
    Feature("attempts_30d", _("Contact attempts in 30 days"), logged=True),
    Feature("usable_phones", _("Usable phone numbers")),
    Feature("consented_numbers", _("Numbers with message consent")),
    Feature("objection_heard", _("Last stance heard: an objection")),
    Feature("hardship_heard", _("Last stance heard: a hardship")),
    Feature("on_hold", _("On hold")),
)
FEATURE_NAMES = [feature.name for feature in FEATURES]
COLUMN = {name: index for index, name in enumerate(FEATURE_NAMES)}
LOGGED = [feature.logged for feature in FEATURES]
FEATURE_CHOICES = [(feature.name, feature.label) for feature in FEATURES]


@dataclass
class Book:
    """A portfolio's open debtors as of a moment: their ids (ascending) and feature values."""

    debtor_ids: np.ndarray
    values: np.ndarray  # debtors × FEATURES, raw (days, counts, amounts, 0/1)

    def __len__(self) -> int:
        return int(self.debtor_ids.size)


def book_as_of(portfolio_id: int, at: datetime) -> Book:
    """The portfolio's debtors that existed at `at` and owed something then, with their features.

    The balance at `at` is today's plus what was paid since: payments are what lower it.
    """
    day = at.date()
    ids_parts, arrears_parts, balance_parts, hold_parts = [], [], [], []
    rows = (
        Debtor.objects.filter(portfolio_id=portfolio_id, created_at__lte=at)
        .order_by("pk")
        .values_list("pk", "arrears_since", "open_balance", *HOLD_FIELDS)
    )
    # In pieces into arrays: a million rows held as Python tuples took ≈ 300 MB.
    for batch in _pieces(rows.iterator(chunk_size=PIECE), PIECE):
        size = len(batch)
        ids_parts.append(np.fromiter((row[0] for row in batch), dtype=np.int64, count=size))
        arrears_parts.append(
            np.fromiter(
                (min(max((day - row[1]).days, 0), 10 * DAYS_CAP) if row[1] else 0 for row in batch),
                dtype=np.float64,
                count=size,
            )
        )
        balance_parts.append(np.fromiter((float(row[2]) for row in batch), dtype=np.float64, count=size))
        hold_parts.append(np.fromiter((1.0 if any(row[3:]) else 0.0 for row in batch), dtype=np.float64, count=size))
    ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, dtype=np.int64)
    values = np.zeros((ids.size, len(FEATURES)), dtype=np.float64)
    if not ids.size:
        return Book(ids, values)
    values[:, COLUMN["days_past_due"]] = np.concatenate(arrears_parts)
    balance = np.concatenate(balance_parts)
    values[:, COLUMN["on_hold"]] = np.concatenate(hold_parts)
    del ids_parts, arrears_parts, balance_parts, hold_parts

    values[:, COLUMN["days_since_payment"]] = DAYS_CAP
    values[:, COLUMN["days_since_right_party"]] = DAYS_CAP
    paid_since = np.zeros(len(ids))
    paid_recent = np.zeros(len(ids))
    recent = at - timedelta(days=RECENT_DAYS)

    payments = (
        Payment.objects.filter(debtor__portfolio_id=portfolio_id)
        .values("debtor_id")
        .annotate(
            since=Sum("amount", filter=Q(paid_at__gte=at)),
            recent_count=Count("pk", filter=Q(paid_at__gte=recent, paid_at__lt=at)),
            recent_amount=Sum("amount", filter=Q(paid_at__gte=recent, paid_at__lt=at)),
            last=Max("paid_at", filter=Q(paid_at__lt=at)),
        )
        .values_list("debtor_id", "since", "recent_count", "recent_amount", "last")
    )
    for rows, index in _placed(ids, payments):
        paid_since[index] = [float(row[1] or 0) for row in rows]
        values[index, COLUMN["payments_90d"]] = [row[2] for row in rows]
        paid_recent[index] = [float(row[3] or 0) for row in rows]
        values[index, COLUMN["days_since_payment"]] = [_days_since(row[4], at) for row in rows]
    balance += paid_since
    values[:, COLUMN["balance"]] = balance
    owed_before = balance + paid_recent
    values[:, COLUMN["share_paid_90d"]] = np.divide(
        paid_recent, owed_before, out=np.zeros_like(paid_recent), where=owed_before > 0
    )

    calls = (
        Call.objects.filter(
            debtor__portfolio_id=portfolio_id, started_at__lt=at, started_at__gte=at - timedelta(days=DAYS_CAP)
        )
        .values("debtor_id")
        .annotate(
            right_party=Count("pk", filter=Q(outcome=CallOutcome.RIGHT_PARTY, started_at__gte=recent)),
            last_right_party=Max("started_at", filter=Q(outcome=CallOutcome.RIGHT_PARTY)),
            attempts=Count("pk", filter=Q(started_at__gte=at - timedelta(days=ATTEMPT_DAYS))),
            last_objection=Max("started_at", filter=Q(stance=Call.Stance.OBJECTION)),
            last_hardship=Max("started_at", filter=Q(stance=Call.Stance.SITUATION)),
        )
        .values_list("debtor_id", "right_party", "last_right_party", "attempts", "last_objection", "last_hardship")
    )
    for rows, index in _placed(ids, calls):
        values[index, COLUMN["right_party_90d"]] = [row[1] for row in rows]
        values[index, COLUMN["days_since_right_party"]] = [_days_since(row[2], at) for row in rows]
        values[index, COLUMN["attempts_30d"]] = [row[3] for row in rows]
        values[index, COLUMN["objection_heard"]] = [_latest_is_first(row[4], row[5]) for row in rows]
        values[index, COLUMN["hardship_heard"]] = [_latest_is_first(row[5], row[4]) for row in rows]

    resolved_before = Q(resolved_at__lt=at)
    promises = (
        Promise.objects.filter(debtor__portfolio_id=portfolio_id, created_at__lt=at)
        .values("debtor_id")
        .annotate(
            kept=Count("pk", filter=Q(status=PromiseStatus.KEPT) & resolved_before),
            partial=Count("pk", filter=Q(status=PromiseStatus.PARTIALLY_KEPT) & resolved_before),
            broken=Count("pk", filter=Q(status=PromiseStatus.BROKEN) & resolved_before),
            pending=Count("pk", filter=Q(resolved_at__isnull=True) | Q(resolved_at__gte=at)),
        )
        .values_list("debtor_id", "kept", "partial", "broken", "pending")
    )
    for rows, index in _placed(ids, promises):
        values[index, COLUMN["promises_kept"]] = [row[1] for row in rows]
        values[index, COLUMN["promises_partial"]] = [row[2] for row in rows]
        values[index, COLUMN["promises_broken"]] = [row[3] for row in rows]
        values[index, COLUMN["open_promise"]] = [1.0 if row[4] else 0.0 for row in rows]

    # Phones keep no history: their state today stands for their state then.
    phones = (
        Phone.objects.filter(debtor__portfolio_id=portfolio_id)
        .values("debtor_id")
        .annotate(
            usable=Count("pk", filter=~Q(status__in=[Phone.Status.WRONG_NUMBER, Phone.Status.DISCONNECTED])),
            consented=Count("pk", filter=Q(sms_consent=True) | Q(whatsapp_consent=True)),
        )
        .values_list("debtor_id", "usable", "consented")
    )
    for rows, index in _placed(ids, phones):
        values[index, COLUMN["usable_phones"]] = [row[1] for row in rows]
        values[index, COLUMN["consented_numbers"]] = [row[2] for row in rows]

    owing = balance > 0
    if owing.all():  # no copy of the features when every debtor owes (136 MB a million debtors)
        return Book(ids, values)
    return Book(ids[owing], values[owing])


def payers_between(portfolio_id: int, start: datetime, end: datetime, debtor_ids: np.ndarray):
    """(paid 0/1, amount paid) per debtor of `debtor_ids` for payments in [start, end)."""
    paid = np.zeros(debtor_ids.size)
    amount = np.zeros(debtor_ids.size)
    rows = (
        Payment.objects.filter(debtor__portfolio_id=portfolio_id, paid_at__gte=start, paid_at__lt=end)
        .values("debtor_id")
        .annotate(total=Sum("amount"))
        .values_list("debtor_id", "total")
    )
    for found, index in _placed(debtor_ids, rows):
        paid[index] = 1.0
        amount[index] = [float(row[1]) for row in found]
    return paid, amount


def _pieces(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _placed(ids: np.ndarray, rows):
    """The grouped rows in pieces, each with the positions of its debtors in `ids` (rows of
    debtors not in `ids`, created after the moment, are left out)."""
    for batch in _pieces(rows.iterator(chunk_size=PIECE), PIECE):
        yield _positions(ids, batch)


def _positions(ids: np.ndarray, batch: list):
    wanted = np.fromiter((row[0] for row in batch), dtype=np.int64, count=len(batch))
    index = np.searchsorted(ids, wanted)
    index[index >= ids.size] = 0
    found = ids[index] == wanted if ids.size else np.zeros(len(batch), dtype=bool)
    return [row for row, hit in zip(batch, found, strict=True) if hit], index[found]


def _days_since(moment: datetime | None, at: datetime) -> float:
    if moment is None:
        return DAYS_CAP
    return min(max((at - moment).days, 0), DAYS_CAP)


def _latest_is_first(first: datetime | None, other: datetime | None) -> float:
    return 1.0 if first is not None and (other is None or first > other) else 0.0
