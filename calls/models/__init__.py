"""The calls app's models, one module per concept; all importable from here, as Django and
the migrations expect (`calls.models.recording_upload_to` is named by migrations 0007, 0008).

- `call`: Call, and the Channel, CallOutcome and PolicyDecision choices it records.
- `follow_up`: FollowUp and FollowUpEvent.
- `contact_policy`: ContactPolicy, ContactRule, PortfolioContactSettings,
  DebtorChannelAuthorisation, the PolicyOverride proxy; the engine's cache dropped on saves.
- `call_review`: CallRecording, CallRecordingVersion, CallReview.
- `dialer`: DialerDisposition, a dialer's disposition codes as our outcomes.
- `contactability`: PhoneContactability (how each number answers by weekday and hour) and
  PhoneStatusChange (numbers demoted by failed attempts or restored by hand).
"""

# In the order the models were declared in the one module they came from, so that the app
# registry (and what reads it in order: dumpdata, system checks) lists them as before.
# isort: off
from calls.models.call import Call, CallOutcome, Channel, PolicyDecision
from calls.models.follow_up import FollowUp, FollowUpEvent
from calls.models.contact_policy import (
    Confidence,
    ContactPolicy,
    ContactRule,
    DebtorChannelAuthorisation,
    PolicyOverride,
    PortfolioContactSettings,
)
from calls.models.call_review import CallRecording, CallRecordingVersion, CallReview, recording_upload_to
from calls.models.dialer import DialerDisposition
from calls.models.contactability import PhoneContactability, PhoneStatusChange
# isort: on

__all__ = [
    "Call",
    "CallOutcome",
    "CallRecording",
    "DialerDisposition",
    "PhoneContactability",
    "PhoneStatusChange",
    "CallRecordingVersion",
    "CallReview",
    "Channel",
    "Confidence",
    "ContactPolicy",
    "ContactRule",
    "DebtorChannelAuthorisation",
    "FollowUp",
    "FollowUpEvent",
    "PolicyDecision",
    "PolicyOverride",
    "PortfolioContactSettings",
    "recording_upload_to",
]
