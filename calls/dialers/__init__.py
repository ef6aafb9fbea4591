"""Click-to-call through the install's dialer: the contact policy first, then the dialer places
the call from the collector's own phone.

DIALER (environment) names it: `tel` (the default: the phone's tel: link, nothing dials from
here), `vicidial` (VICIdial's Agent API, `external_dial`) or `asterisk` (Asterisk's AMI,
`Originate`). A collector's extension and VICIdial agent user are on their user (admin ›
Users, or their own preferences).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _


class DialerError(Exception):
    """The dialer refused or could not be reached; the message is for the collector."""


@dataclass(frozen=True)
class Dial:
    """One call to place: the debtor's number and who places it."""

    number: str  # E.164
    country_code: int
    national_number: str
    extension: str
    agent_user: str
    debtor_id: int
    phone_id: int
    reference: str  # ours, echoed by the dialer where it can (AMI ActionID)


def dialer_name() -> str:
    return getattr(settings, "DIALER", "tel") or "tel"


def dial(call: Dial) -> str:
    """Ask the configured dialer to place `call`; returns what it answered, for the collector
    (raises DialerError when it refuses)."""
    name = dialer_name()
    if name == "vicidial":
        from calls.dialers.vicidial import external_dial

        return external_dial(call)
    if name == "asterisk":
        from calls.dialers.asterisk import originate

        return originate(call)
    raise DialerError(_("No dialer is configured: call from your phone."))
