from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, Min, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from calls.models import Call
from collections_crm.permissions import collector_scope, debtor_scope
from debtors.models import MONEY
from promises.models import ApprovalStatus, Arrangement, Payment, Promise, PromiseEvent, PromiseRules

ZERO = Value(Decimal("0"), output_field=DecimalField(**MONEY))
RESOLVED = (Promise.Status.KEPT, Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN)
JUDGED = (Promise.Status.PENDING, *RESOLVED)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def bounds(self) -> tuple[datetime, datetime]:
        """Aware datetimes [start, end) in the current (viewer's) time zone."""
        zone = timezone.get_current_timezone()
        start = datetime.combine(self.start, time.min, tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return start, end


def _money_sum(field: str, condition: Q | None = None):
    return Coalesce(Sum(field, filter=condition), ZERO)


def _rate(part, whole):
    return (part / whole) if whole else None


def promise_figures(user, period: Period) -> list[dict]:
    """Promises made and due in a period, per currency, for the user's scope (3 queries).

    Amounts in different currencies are never added together: each currency is a row.
    """
    start, end = period.bounds()
    scoped = Promise.objects.filter(collector_scope(user, "collector"))
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
        Payment.objects.filter(collector_scope(user, "credited_to"), paid_at__gte=start, paid_at__lt=end)
        .values("currency")
        .annotate(amount=_money_sum("amount"))
        .order_by()
    )
    for row in collected:
        figures[row["currency"]]["collected"] = row["amount"]

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
        .filter(debtor_scope(user, via="debtor"))
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
