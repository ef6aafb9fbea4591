"""The rows behind each figure, for the drill-down pages and their CSV exports."""

from datetime import date

from calls.models import Call
from collections_crm.permissions import collector_scope, debtor_scope, debtor_scope_flag, scope_ordering
from debtors.models import Debtor
from promises.models import Payment, Promise
from supervision.selectors.aging import bucket_case, open_debts
from supervision.selectors.scope import JUDGED, DashboardFilters, Period

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


def debts_in_bucket(user, filters: DashboardFilters, bucket: str, on: date, currency: str = ""):
    """The open debts behind one cell of `balances_by_bucket`: its bucket, in its currency."""
    debts = open_debts(user, filters).filter(currency=currency) if currency else open_debts(user, filters)
    return (
        debts.annotate(bucket=bucket_case(on))
        .filter(bucket=bucket)
        .select_related("debtor__portfolio", "debtor__assigned_to")
        .order_by("due_date", "pk")
    )


# --- Work management --------------------------------------------------------------------------


def debtors_for_reassignment(user, *, from_collector: int | None = None, portfolio: int | None = None, ids=None):
    """Debtors a supervisor (their teams) or admin may move, narrowed by collector, portfolio or ids."""

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
