"""Follow-ups: settled by calls, done or moved by hand.

Every change is a FollowUpEvent row (who, when, why); the follow-up row is updated with a
compare-and-set on its open status, so that two people (or a call and a click) close it once.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from calls.models import Call, CallOutcome, FollowUp, FollowUpEvent
from calls.policy import check_contact
from calls.services.common import day_start
from collections_crm.lib.timezones import debtor_local_today, debtor_zone


def _settle_follow_ups(*, call: Call, by, at: datetime) -> tuple[list[FollowUp], bool]:
    """Close the debtor's open follow-ups that `call` worked, one event row each; also say
    whether any stays open.

    1. A conversation with the debtor, whatever it ended with (a lost call too), is the
       day's work on the debtor done: every follow-up due by the end of the debtor's day is
       settled, a callback agreed for later that day included: the debtor has been heard,
       and a new agreement makes a follow-up of its own.
    2. Any other attempt (no answer, busy, voicemail, a third party, a wrong or dead number)
       settles what was due when it was made. Work due later stays: a callback the debtor
       asked for at 16:00 is not settled by an unanswered call at 11:00. The retry job
       schedules the next attempt on the portfolio's cadence once nothing else is open.
    3. The rows are locked, then closed: a click on "done" at the same moment waits and
       finds them closed. All the debtor's open rows are read in that one statement (a debtor
       has a handful), so that the retry rule needs no second look.
    """
    reached = call.outcome == CallOutcome.RIGHT_PARTY
    if reached:
        local_day = debtor_local_today(call.debtor, call.started_at)
        day_end = day_start(local_day + timedelta(days=1), call.debtor.time_zone)
    open_rows = list(
        FollowUp.objects.select_for_update()
        .filter(debtor_id=call.debtor_id, status=FollowUp.Status.OPEN)
        .order_by("due_at", "pk")
    )
    due = [row for row in open_rows if (row.due_at < day_end if reached else row.due_at <= call.started_at)]
    others_open = len(due) < len(open_rows)
    if not due:
        return [], others_open
    FollowUp.objects.filter(pk__in=[f.pk for f in due], status=FollowUp.Status.OPEN).update(
        status=FollowUp.Status.DONE, closed_at=at
    )
    FollowUpEvent.objects.bulk_create(
        FollowUpEvent(
            follow_up=follow_up,
            debtor_id=call.debtor_id,
            kind=FollowUpEvent.Kind.SETTLED_BY_CALL,
            from_status=FollowUp.Status.OPEN,
            to_status=FollowUp.Status.DONE,
            from_due_at=follow_up.due_at,
            at=at,
            by=by,
            call=call,
        )
        for follow_up in due
    )
    for follow_up in due:
        follow_up.status, follow_up.closed_at = FollowUp.Status.DONE, at
    return due, others_open


def _require_reason(note: str, missing: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError(missing, code="required")})
    if len(note) > 500:
        raise ValidationError({"note": ValidationError(_("Keep the reason to 500 characters."), code="max_length")})
    return note


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, by, note: str, at: datetime | None = None) -> bool:
    """Mark an open follow-up done by hand, saying why; False if it is no longer open.

    Whoever may work the debtor may (a collector their own debtors; otherwise 404). The
    reason is required: a follow-up closed without a call must say what made it unnecessary.
    """
    from collections_crm.permissions import can_act_on_debtor

    if not can_act_on_debtor(by, follow_up.debtor):
        raise Http404
    note = _require_reason(note, _("Say why the follow-up is done without a call."))
    at = at or timezone.now()
    locked = FollowUp.objects.select_for_update().filter(pk=follow_up.pk, status=FollowUp.Status.OPEN).first()
    if locked is None:
        return False
    FollowUp.objects.filter(pk=locked.pk).update(status=FollowUp.Status.DONE, closed_at=at, note=note)
    FollowUpEvent.objects.create(
        follow_up=locked,
        debtor_id=locked.debtor_id,
        kind=FollowUpEvent.Kind.DONE,
        from_status=FollowUp.Status.OPEN,
        to_status=FollowUp.Status.DONE,
        from_due_at=locked.due_at,
        at=at,
        by=by,
        note=note,
    )
    follow_up.status, follow_up.closed_at, follow_up.note = FollowUp.Status.DONE, at, note
    return True


@transaction.atomic
def follow_up_move(*, follow_up: FollowUp, by, due_at: datetime, note: str, at: datetime | None = None) -> bool:
    """Move an open follow-up to another moment, saying why; False if it is no longer open.

    1. Scope as for `follow_up_complete`; the reason is required.
    2. The new moment is in the future and lawful for a call to the debtor: the contact
       policy is asked for that moment, and a refusal names its reasons and the first lawful
       moment after it (on the debtor's clock), so the collector can pick that instead.
    """
    from collections_crm.permissions import can_act_on_debtor

    debtor = follow_up.debtor
    if not can_act_on_debtor(by, debtor):
        raise Http404
    at = at or timezone.now()
    locked = FollowUp.objects.select_for_update().filter(pk=follow_up.pk, status=FollowUp.Status.OPEN).first()
    if locked is None:
        return False
    errors = {}
    try:
        note = _require_reason(note, _("Say why the follow-up is moved."))
    except ValidationError as error:
        errors.update(error.error_dict)
    if not isinstance(due_at, datetime) or timezone.is_naive(due_at):
        errors["due_at"] = [ValidationError(_("Say when to call the debtor instead."), code="required")]
    elif due_at <= at:
        errors["due_at"] = [ValidationError(_("The new time must be in the future."), code="past")]
    else:
        verdict = check_contact(debtor, "voice", due_at)
        if not verdict.allowed:
            messages = [_("The contact policy does not allow a call to the debtor then.")]
            messages.extend(reason.message for reason in verdict.reasons)
            if verdict.next_allowed_at is not None:
                moment = formats.date_format(
                    timezone.localtime(verdict.next_allowed_at, debtor_zone(debtor)), "l j F, H:i"
                )
                messages.append(
                    _("The first lawful moment after it is %(moment)s on the debtor's clock.") % {"moment": moment}
                )
            errors["due_at"] = [ValidationError(" ".join(messages), code="contact_blocked")]
    if errors:
        raise ValidationError(errors)
    FollowUp.objects.filter(pk=locked.pk).update(due_at=due_at)
    FollowUpEvent.objects.create(
        follow_up=locked,
        debtor_id=locked.debtor_id,
        kind=FollowUpEvent.Kind.MOVED,
        from_status=FollowUp.Status.OPEN,
        to_status=FollowUp.Status.OPEN,
        from_due_at=locked.due_at,
        to_due_at=due_at,
        at=at,
        by=by,
        note=note,
    )
    follow_up.due_at = due_at
    return True
