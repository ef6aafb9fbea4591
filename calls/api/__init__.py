"""API for dialers: ask the contact policy, log a call with its commitment, work follow-ups.

The same services and scope as the desk: `call_log` holds every rule about outcomes,
stances and commitments, `check_contact` every rule about lawful contact.

One module per resource; every public name is importable from here as well (the URL conf
and the schema settings name `calls.api.*`):
- `verdict`: the contact verdict for a debtor.
- `call_input`: what a dialer sends to log a call, `call_log`'s rules as JSON Schema.
- `calls`: listing and logging calls.
- `follow_ups`: listing, completing and moving follow-ups.
- `common`: the error responses and text patterns they share.
"""

from calls.api.call_input import (
    CALLBACK,
    DETAILS,
    LOGGABLE_OUTCOMES,
    NO_COMMITMENT_BECAUSE,
    NOT_REACHED,
    REACHED,
    CallInputSerializer,
    InstalmentsSerializer,
)
from calls.api.calls import CallFilter, CallListCreateApi, CallLoggedSerializer, CallSerializer
from calls.api.common import BLANK, ERRORS, NON_BLANK
from calls.api.follow_ups import (
    FollowUpCompleteApi,
    FollowUpCompleteSerializer,
    FollowUpFilter,
    FollowUpListApi,
    FollowUpMoveApi,
    FollowUpMoveSerializer,
    FollowUpSerializer,
)
from calls.api.verdict import (
    BlockedSerializer,
    ContactVerdictApi,
    ReasonSerializer,
    VerdictQuerySerializer,
    VerdictSerializer,
)

__all__ = [
    "BLANK",
    "CALLBACK",
    "DETAILS",
    "ERRORS",
    "LOGGABLE_OUTCOMES",
    "NON_BLANK",
    "NOT_REACHED",
    "NO_COMMITMENT_BECAUSE",
    "REACHED",
    "BlockedSerializer",
    "CallFilter",
    "CallInputSerializer",
    "CallListCreateApi",
    "CallLoggedSerializer",
    "CallSerializer",
    "ContactVerdictApi",
    "FollowUpCompleteApi",
    "FollowUpCompleteSerializer",
    "FollowUpFilter",
    "FollowUpListApi",
    "FollowUpMoveApi",
    "FollowUpMoveSerializer",
    "FollowUpSerializer",
    "InstalmentsSerializer",
    "ReasonSerializer",
    "VerdictQuerySerializer",
    "VerdictSerializer",
]
