"""VICIdial's Agent API, function external_dial, as VICIdial's own Agent API document describes it:

    GET {VICIDIAL_URL}/agc/api.php?source=…&user=…&pass=…&agent_user=…&function=external_dial
        &value=<number without its country code>&phone_code=<country code>&search=YES&preview=NO&focus=YES

The answer is one line per result: `SUCCESS: external_dial function set - <value>|<agent_user>|
<phone_code>|<search>|<preview>|<focus>|<vendor_id>|<epoch>|…`, or `ERROR: <why> - <details>`,
possibly after a `NOTICE:` line. The agent must be logged in to VICIdial and paused.
"""

import re
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from calls.dialers import Dial, DialerError

TIMEOUT_SECONDS = 10
# The reasons VICIdial gives, in the collector's words; any other ERROR is shown as it came.
_REASONS = {
    "agent_user is not logged in": gettext_lazy(
        "You are not logged in to VICIdial: log in to your agent screen and try again."
    ),
    "agent_user is not paused": gettext_lazy("Pause in VICIdial before calling from here."),
    "agent_user is not allowed to place manual dial calls": gettext_lazy(
        "VICIdial does not let your agent user dial by hand."
    ),
    "phone_number is already in this agents manual dial queue": gettext_lazy(
        "This number is already waiting in your VICIdial queue."
    ),
    "no user found": gettext_lazy("VICIdial does not know your agent user: ask an admin to check it."),
}


def external_dial_url(call: Dial) -> str:
    query = urllib.parse.urlencode(
        [
            ("source", re.sub(r"[^0-9A-Za-z]", "", settings.VICIDIAL_SOURCE)[:20] or "crm"),
            ("user", settings.VICIDIAL_API_USER),
            ("pass", settings.VICIDIAL_API_PASS),
            ("agent_user", call.agent_user),
            ("function", "external_dial"),
            ("value", call.national_number),
            ("phone_code", str(call.country_code)),
            ("search", "YES"),
            ("preview", "NO"),
            ("focus", "YES"),
        ]
    )
    return f"{settings.VICIDIAL_URL.rstrip('/')}/agc/api.php?{query}"


def external_dial(call: Dial) -> str:
    if not call.agent_user:
        raise DialerError(_("You have no VICIdial agent user: ask an admin to set it on your user."))
    try:
        with urllib.request.urlopen(external_dial_url(call), timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - URL from settings
            text = response.read(4096).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        raise DialerError(_("The dialer did not answer: call from your phone, or try again in a moment.")) from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    result = next((line for line in reversed(lines) if line.startswith(("SUCCESS:", "ERROR:"))), "")
    if result.startswith("SUCCESS:"):
        fields = result.partition(" - ")[2].split("|")
        return fields[7] if len(fields) > 7 else ""  # VICIdial's epoch of the request
    why = result.removeprefix("ERROR:").partition(" - ")[0].strip()
    if why.startswith("Invalid Username/Password"):  # the answer echoes the password: never shown
        raise DialerError(_("The dialer refused the CRM's API user: ask an admin to check its settings."))
    if why in _REASONS:
        raise DialerError(str(_REASONS[why]))
    raise DialerError(_("The dialer refused the call: %(why)s.") % {"why": why or text[:200]})
