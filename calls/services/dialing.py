"""Click-to-call (the contact policy decides before anything dials, calls.dialers) and what a
dialer reports at the end of a call (dispositions, recordings)."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.dialers import Dial, DialerError, dial
from calls.policy import check_contact
from calls.services.attempts import ContactBlocked
from calls.services.call_log import call_log


@dataclass
class DialOutcome:
    placed: bool
    message: str
    reasons: list[str] = field(default_factory=list)


def click_to_call(*, debtor, phone, by, now: datetime | None = None) -> DialOutcome:
    """Ask the policy about this number now; if it allows the call, ask the dialer to place it
    from the collector's phone. A blocked number never reaches the dialer."""
    verdict = check_contact(debtor, "voice", now or timezone.now(), phone=phone)
    if not verdict.allowed:
        return DialOutcome(
            placed=False,
            message=_("Not dialled: the contact policy does not allow this call now."),
            reasons=[reason.message for reason in verdict.reasons],
        )
    parsed = phonenumbers.parse(phone.number.as_e164)
    call = Dial(
        number=phone.number.as_e164,
        country_code=parsed.country_code,
        national_number=str(parsed.national_number),
        extension=by.dialer_extension,
        agent_user=by.dialer_agent_user,
        debtor_id=debtor.pk,
        phone_id=phone.pk,
        reference=f"crm-{uuid.uuid4().hex[:16]}",
    )
    try:
        dial(call)
    except DialerError as error:
        return DialOutcome(placed=False, message=str(error))
    where = by.dialer_extension or by.dialer_agent_user
    return DialOutcome(
        placed=True,
        message=_("Dialling %(number)s: your phone (%(where)s) rings first.")
        % {"number": phone.number.as_international, "where": where},
    )


@dataclass
class DispositionResult:
    status: str  # attached, logged, unmapped, unmatched, blocked
    call: object = None


@transaction.atomic
def dialer_disposition_record(
    *,
    dialer: str,
    call_id: str,
    code: str,
    phone: str,
    agent: str,
    phone_code: str = "",
    recording_url: str = "",
    debtor_id: int | None = None,
    at: datetime | None = None,
) -> DispositionResult:
    """What a dialer reports at the end of a call.

    1. A call the collector already logged with this dialer call id keeps the collector's
       account; the recording's address attaches to it.
    2. Otherwise the code is looked up in the admin's table (DialerDisposition): a code with
       no entry (someone answered, presumably) is left for the collector to log.
    3. The collector is the user with this agent user (VICIdial) or extension (Asterisk); the
       debtor is `debtor_id` (Asterisk's CRM_DEBTOR_ID) or the one debtor in the collector's
       scope who holds the number.
    4. The attempt is logged as any call is (the policy's verdict stored); one the policy
       blocks is not logged but answered as blocked, for the dialer's operator to look into.
    """
    from calls.models import Call, DialerDisposition
    from collections_crm.users.models import User
    from debtors.models import Phone
    from debtors.selectors import debtors_for_user, numbers_for_lookup

    call_id = call_id.strip()[:64]
    if call_id:
        logged = Call.objects.filter(dialer_call_id=call_id).first()
        if logged is not None:
            if recording_url:
                Call.objects.filter(pk=logged.pk).update(recording_url=recording_url[:500])
            return DispositionResult("attached", logged)
    mapping = DialerDisposition.objects.filter(dialer=dialer, code=code.strip().upper()).first()
    if mapping is None:
        return DispositionResult("unmapped")
    agent_field = "dialer_agent_user" if dialer == DialerDisposition.Dialer.VICIDIAL else "dialer_extension"
    collector = User.objects.filter(**{agent_field: agent.strip()}, is_active=True).first() if agent.strip() else None
    if collector is None:
        return DispositionResult("unmatched")
    given = phone.strip()
    if phone_code.strip() and not given.startswith("+"):
        given = f"+{phone_code.strip()}{given}"  # VICIdial sends the number without its country code
    holders = Phone.objects.filter(number__in=numbers_for_lookup(given), debtor__in=debtors_for_user(collector))
    if debtor_id:
        holders = holders.filter(debtor_id=debtor_id)
    found = list(holders.select_related("debtor__portfolio")[:2])
    if len(found) != 1:
        return DispositionResult("unmatched")
    try:
        result = call_log(
            debtor=found[0].debtor,
            collector=collector,
            phone=found[0],
            outcome=mapping.outcome,
            started_at=at,
            dialer_call_id=call_id,
            recording_url=recording_url[:500],
        )
    except ContactBlocked:
        return DispositionResult("blocked")
    return DispositionResult("logged", result.call)
