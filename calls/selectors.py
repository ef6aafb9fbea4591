from datetime import datetime

from django.db.models import QuerySet

from calls.models import Call, FollowUp
from collections_crm.permissions import debtor_scope
from debtors.selectors import with_account_figures


def follow_ups_due_for(user, *, until: datetime) -> QuerySet[FollowUp]:
    """The user's open follow-ups due by `until`, oldest first, with their debtors."""
    return (
        FollowUp.objects.filter(assigned_to=user, status=FollowUp.Status.OPEN, due_at__lte=until)
        .filter(debtor_scope(user, via="debtor"))
        .select_related("debtor__portfolio", "promise")
        .order_by("due_at", "pk")
    )


def queue_debtors_for(user, *, exclude_ids: list[int], limit: int = 50):
    """Assigned debtors with an open balance, oldest arrears first, after the follow-ups."""
    from debtors.models import Debtor

    queryset = with_account_figures(
        Debtor.objects.filter(assigned_to=user).exclude(pk__in=exclude_ids).select_related("portfolio")
    )
    return queryset.filter(total_balance__gt=0).order_by("oldest_unpaid_due", "-total_balance", "pk")[:limit]


def calls_for_debtor(debtor) -> QuerySet[Call]:
    return debtor.calls.select_related("collector", "phone")


def calls_in_scope(user) -> QuerySet[Call]:
    """Calls on the debtors `user` may reach, with what a closing summary needs."""
    return Call.objects.filter(debtor_scope(user, via="debtor")).select_related(
        "debtor__portfolio__creditor", "debtor__assigned_to"
    )



def queue_portfolios_for(user):
    """The portfolios of the user's assigned debtors: the queue's portfolio filter choices."""
    from debtors.models import Portfolio

    return Portfolio.objects.filter(debtors__assigned_to=user).distinct().order_by("name", "pk")


def _queue_debtors_in_portfolio(user, *, portfolio_id: int, exclude_ids: list[int], limit: int):
    # queue_debtors_for slices its result, so the portfolio must be filtered before that.
    from debtors.models import Debtor

    queryset = with_account_figures(
        Debtor.objects.filter(assigned_to=user, portfolio_id=portfolio_id)
        .exclude(pk__in=exclude_ids)
        .select_related("portfolio")
    )
    return queryset.filter(total_balance__gt=0).order_by("oldest_unpaid_due", "-total_balance", "pk")[:limit]


def queue_lists_for(
    user, *, until: datetime, portfolio_id: int | None = None, reason: str = "", limit: int = 50
) -> tuple[list[FollowUp], list]:
    """The queue's two lists in selector order: follow-ups due by `until`, then accounts.

    A reason belongs to follow-ups only, so filtering by one leaves the accounts list empty.
    """
    follow_ups = follow_ups_due_for(user, until=until)
    if portfolio_id is not None:
        follow_ups = follow_ups.filter(debtor__portfolio_id=portfolio_id)
    if reason:
        follow_ups = follow_ups.filter(reason=reason)
    follow_ups = list(follow_ups[:limit])
    if reason:
        return follow_ups, []
    exclude_ids = [f.debtor_id for f in follow_ups]
    if portfolio_id is None:
        debtors = queue_debtors_for(user, exclude_ids=exclude_ids, limit=limit)
    else:
        debtors = _queue_debtors_in_portfolio(user, portfolio_id=portfolio_id, exclude_ids=exclude_ids, limit=limit)
    return follow_ups, list(debtors)
