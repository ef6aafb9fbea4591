"""Contact attempts recorded with the contact policy's verdict as evidence, and the channels a
debtor authorised (which the policy reads in Colombia)."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call, DebtorChannelAuthorisation, PolicyDecision
from calls.policy import Verdict, check_contact
from collections_crm.lib.checked_save import save_checked
from collections_crm.lib.timezones import debtor_zone


class ContactBlocked(ValidationError):
    """The contact policy forbids this attempt; `verdict` says why and until when."""

    def __init__(self, verdict: Verdict):
        super().__init__([ValidationError(reason.message, code=reason.code) for reason in verdict.reasons])
        self.verdict = verdict


def verdict_snapshot(verdict: Verdict) -> dict:
    """The verdict as JSON for the ledger: codes, messages, citations, next lawful moment."""
    return verdict.as_dict()


def _may_override(user) -> bool:
    return bool(user) and (user.is_supervisor or user.is_crm_admin)


def _attempt_record(
    *,
    debtor,
    collector,
    channel: str,
    outcome: str,
    started_at: datetime | None = None,
    phone=None,
    debt=None,
    direction: str = Call.Direction.OUTBOUND,
    duration: timedelta | None = None,
    override_by=None,
    override_reason: str = "",
    **fields,
) -> Call:
    """Record one contact attempt with the policy's verdict as evidence; inside a transaction
    that fails as a whole with it (call_log's, or call_attempt_record's savepoint).

    1. Lock the debtor row, so two collectors cannot both take the last attempt of a cap.
    2. Check the policy at `started_at` (outbound attempts only; an inbound call is the debtor's).
    3. A blocked attempt is refused unless a supervisor or admin overrides it in writing.
    4. Save the UTC moment, the debtor's local time, the policy version and the verdict.
    """
    from debtors.models import Debtor

    started_at = started_at or timezone.now()
    if phone is not None and phone.debtor_id != debtor.pk:
        raise ValidationError({"phone": _("This number belongs to another debtor.")})
    if debt is not None and debt.debtor_id != debtor.pk:
        raise ValidationError({"debt": _("This debt belongs to another debtor.")})
    Debtor.objects.select_for_update().filter(pk=debtor.pk).first()

    verdict = check_contact(debtor, channel, started_at, phone=phone, debt=debt)
    override_reason = override_reason.strip()
    decision = ""
    if direction == Call.Direction.OUTBOUND:
        if verdict.allowed:
            decision = PolicyDecision.WARNED if verdict.warnings else PolicyDecision.ALLOWED
            # Nothing was overridden: do not store an override that did not happen.
            override_by, override_reason = None, ""
        elif override_by is None and not override_reason:
            raise ContactBlocked(verdict)
        elif not _may_override(override_by):
            raise ValidationError(
                _("Only a supervisor or an administrator may override the contact policy."), code="override_not_allowed"
            )
        elif not override_reason:
            raise ValidationError(
                {"override_reason": _("Say why the contact policy is overridden.")}, code="override_reason_missing"
            )
        else:
            decision = PolicyDecision.OVERRIDDEN
    else:
        override_by, override_reason = None, ""

    call = Call(
        debtor=debtor,
        collector=collector,
        phone=phone,
        debt=debt,
        channel=channel,
        direction=direction,
        started_at=started_at,
        duration=duration,
        outcome=outcome,
        local_time=verdict.local_time.isoformat(),
        local_time_zone=debtor.time_zone,
        policy_code=verdict.policy_code,
        policy_version=verdict.policy_version,
        policy_decision=decision,
        policy_verdict=verdict_snapshot(verdict) if direction == Call.Direction.OUTBOUND else None,
        override_by=override_by,
        override_reason=override_reason,
        **fields,
    )
    save_checked(call, savepoint=False)
    return call


# In a transaction of its own (a savepoint inside another): call_log runs the body in its own.
call_attempt_record = transaction.atomic(_attempt_record)


@transaction.atomic
def channel_authorisation_record(
    *, debtor, channel: str, source: str, authorised_at: datetime, recorded_by=None
) -> DebtorChannelAuthorisation:
    """Record that the debtor authorised a channel (Colombia); a second call is a no-op."""
    live = DebtorChannelAuthorisation.objects.filter(debtor=debtor, channel=channel, revoked_at__isnull=True).first()
    if live:
        return live
    authorisation = DebtorChannelAuthorisation(
        debtor=debtor, channel=channel, source=source, authorised_at=authorised_at, recorded_by=recorded_by
    )
    authorisation.full_clean()
    authorisation.save()
    return authorisation


def channel_authorisation_revoke(*, debtor, channel: str, at: datetime) -> int:
    return DebtorChannelAuthorisation.objects.filter(debtor=debtor, channel=channel, revoked_at__isnull=True).update(
        revoked_at=at
    )


def letter_record(*, debtor, by, sent_on: date, notes: str = "", debt=None, override_reason: str = "") -> Call:
    """A letter sent to the debtor, on the same ledger as calls and messages, so that the
    presets that count letters among their actions (Chile's two a week) see it.

    A letter sent on an earlier day is recorded at noon of that day on the debtor's clock (a
    letter has a day, not a time); one sent today, now. A date ahead of the debtor's today is
    refused. Whoever may act on the debtor may record it; the policy is checked as for any
    attempt (a supervisor may override it in writing).
    """
    from collections_crm.lib.timezones import debtor_local_today
    from collections_crm.permissions import can_act_on_debtor

    if not can_act_on_debtor(by, debtor):
        raise Http404
    today = debtor_local_today(debtor)
    if sent_on > today:
        raise ValidationError({"sent_on": _("A letter cannot have been sent on a day still to come.")})
    if debt is not None and debt.debtor_id != debtor.pk:
        raise Http404
    started_at = timezone.now() if sent_on == today else datetime.combine(sent_on, time(12), debtor_zone(debtor))
    return call_attempt_record(
        debtor=debtor,
        collector=by,
        channel="letter",
        outcome="message_sent",
        started_at=started_at,
        debt=debt,
        override_by=by if override_reason.strip() else None,
        override_reason=override_reason,
        notes=notes.strip(),
    )
