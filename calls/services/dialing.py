"""Click-to-call: the contact policy decides before anything dials (calls.dialers)."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.dialers import Dial, DialerError, dial
from calls.policy import check_contact


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
