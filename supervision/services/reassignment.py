"""Reassignment: a supervisor moves debtors, with their open follow-ups, to another collector."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from calls.models import FollowUp
from collections_crm.permissions import debtor_scope
from debtors.models import Debtor
from promises.models import (
    Reassignment,
)
from supervision.selectors.scope import collectors_for_user

# --- Work management ------------------------------------------------------------------------


@dataclass
class ReassignmentPreview:
    debtors: int
    follow_ups: int


def _reassignable(*, by, debtors, to_collector):
    """The debtors of `debtors` that `by` may move to `to_collector` (not already theirs)."""

    if not (by.is_supervisor or by.is_crm_admin):
        raise Http404
    if not collectors_for_user(by).filter(pk=to_collector.pk).exists():
        raise ValidationError(gettext("You can only give work to active collectors of your own teams."))
    return debtors.filter(debtor_scope(by)).exclude(assigned_to=to_collector)


def debtors_reassign_preview(*, by, debtors, to_collector) -> ReassignmentPreview:

    movable = _reassignable(by=by, debtors=debtors, to_collector=to_collector)
    return ReassignmentPreview(
        debtors=movable.count(),
        follow_ups=FollowUp.objects.filter(debtor__in=movable.values("pk"), status=FollowUp.Status.OPEN).count(),
    )


@transaction.atomic
def debtors_reassign(
    *, by, debtors, to_collector, from_collector=None, criteria: str = "", at: datetime | None = None
) -> Reassignment:
    """Move debtors and their open follow-ups to another collector, in two UPDATE statements.

    Only debtors in `by`'s scope move (a supervisor's teams, an admin's all), only to a
    collector of `by`'s teams. Promises keep the collector they were made by: figures credit
    the work to who did it. The move is recorded (who, when, which debtors).
    """

    at = at or timezone.now()
    movable = _reassignable(by=by, debtors=debtors, to_collector=to_collector)
    # Lock the rows first, so the ids recorded are exactly the rows updated.
    ids = list(movable.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    follow_ups = FollowUp.objects.filter(debtor_id__in=ids, status=FollowUp.Status.OPEN).update(
        assigned_to=to_collector
    )
    Debtor.objects.filter(pk__in=ids).update(assigned_to=to_collector, updated_at=at)
    return Reassignment.objects.create(
        by=by,
        at=at,
        to_collector=to_collector,
        from_collector=from_collector,
        debtor_count=len(ids),
        follow_up_count=follow_ups,
        debtor_ids=ids,
        criteria=criteria[:500],
    )
