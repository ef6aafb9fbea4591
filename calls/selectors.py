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
