"""A debtor's holds and phones edited by hand (the API, the admin): the same rules whoever
calls, and every change of a hold or a consent kept in the history."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from debtors.models import HOLD_FIELDS, ChangeSource, Debtor, Phone
from debtors.services.history import consent_changes_record, hold_changes_record

PHONE_EDITABLE = ("kind", "relationship", "contact_name", "status")


def _can_act_or_404(user, debtor) -> None:
    from collections_crm.permissions import can_act_on_debtor

    if not can_act_on_debtor(user, debtor):
        raise Http404


@transaction.atomic
def debtor_holds_update(
    *,
    debtor: Debtor,
    by,
    holds: dict[str, bool],
    reason: str = "",
    source: str = ChangeSource.API,
    at: datetime | None = None,
) -> Debtor:
    """Set or lift holds (do not contact, dispute, lawsuit…); the contact policy reads them at
    once, and each change is kept with who, when, where from and why."""
    _can_act_or_404(by, debtor)
    unknown = set(holds) - set(HOLD_FIELDS)
    if unknown:
        raise ValidationError({name: _("Not a hold.") for name in sorted(unknown)})
    changed = {name: bool(value) for name, value in holds.items() if getattr(debtor, name) != bool(value)}
    for name, value in changed.items():
        setattr(debtor, name, value)
    if changed:
        debtor.save(update_fields=[*changed, "updated_at"])
        hold_changes_record(
            debtor=debtor, changes=changed, by=by, source=source, at=at or timezone.now(), reason=reason.strip()
        )
    return debtor


def _apply_consent(phone: Phone, channel: str, values: dict, at: datetime) -> tuple | None:
    """Consent is kept with its source and date (a regulator asks for both). Returns the
    change for the history, (channel, granted, where it comes from), or None."""
    if f"{channel}_consent" not in values:
        return None
    consent = bool(values[f"{channel}_consent"])
    was = getattr(phone, f"{channel}_consent")
    given_source = (values.get(f"{channel}_consent_source") or "").strip()
    if consent and not getattr(phone, f"{channel}_consent"):
        source = (values.get(f"{channel}_consent_source") or "").strip()
        if not source:
            raise ValidationError(
                {f"{channel}_consent_source": _("Say where the consent comes from (a call, a signed form…).")}
            )
        setattr(phone, f"{channel}_consent_source", source)
        setattr(phone, f"{channel}_consent_at", values.get(f"{channel}_consent_at") or at)
    elif not consent:
        setattr(phone, f"{channel}_consent_source", "")
        setattr(phone, f"{channel}_consent_at", None)
    setattr(phone, f"{channel}_consent", consent)
    return (channel, consent, given_source) if consent != was else None


def _save_phone(phone: Phone) -> Phone:
    try:
        phone.full_clean()
    except ValidationError as error:
        if (
            "__all__" in getattr(error, "error_dict", {})
            and Phone.objects.filter(debtor_id=phone.debtor_id, number=phone.number).exclude(pk=phone.pk).exists()
        ):
            raise ValidationError(
                {"number": ValidationError(_("The debtor already has this number."), code="phone_exists")}
            ) from None
        raise
    phone.save()
    return phone


@transaction.atomic
def phone_add(
    *,
    debtor: Debtor,
    by,
    number: str,
    at: datetime | None = None,
    source: str = ChangeSource.API,
    consent_reason: str = "",
    **values,
) -> Phone:
    """Add a number to a debtor, read in the portfolio's country as the importer reads it."""
    from debtors.importing.phones import normalise_phone
    from debtors.importing.values import ValueProblem

    _can_act_or_404(by, debtor)
    try:
        e164 = normalise_phone(number, debtor.portfolio.country)
    except ValueProblem as problem:
        raise ValidationError(
            {"number": str(problem.message) % {k: str(v) for k, v in problem.params.items()}}
        ) from None
    phone = Phone(debtor=debtor, number=e164, **{k: v for k, v in values.items() if k in PHONE_EDITABLE})
    return _save_with_history(phone, values, by=by, at=at or timezone.now(), source=source, reason=consent_reason)


@transaction.atomic
def phone_update(
    *,
    phone: Phone,
    by,
    at: datetime | None = None,
    source: str = ChangeSource.API,
    consent_reason: str = "",
    **values,
) -> Phone:
    """Change a number's kind, relationship, status or consents; the number itself stays."""
    _can_act_or_404(by, phone.debtor)
    for name in PHONE_EDITABLE:
        if name in values:
            setattr(phone, name, values[name])
    return _save_with_history(phone, values, by=by, at=at or timezone.now(), source=source, reason=consent_reason)


def _save_with_history(phone: Phone, values: dict, *, by, at: datetime, source: str, reason: str) -> Phone:
    changes = [_apply_consent(phone, channel, values, at) for channel in ("sms", "whatsapp")]
    phone = _save_phone(phone)
    consent_changes_record(
        changes=[(phone, *change) for change in changes if change], by=by, source=source, at=at, reason=reason.strip()
    )
    return phone
