"""Writes for the calls app: contact attempts checked against the contact policy.

One module per sub-domain; every public name is importable from here as well:
- `attempts`: a contact attempt recorded with the policy's verdict; channel authorisations.
- `call_log`: logging a call with its outcome, stance and commitment (the collector's desk).
- `follow_ups`: follow-ups settled by a call, done or moved by hand.
- `scheduling`: the job that puts follow-ups in the queues at lawful moments.
- `summary`: the closing summary of an agreement, sent to the debtor through the outbox.
- `contactability`: how each number answers by weekday and hour; its best window.
- `dialing`: click-to-call, the contact policy asked before the dialer.
- `common`: the debtor's day and the usable phone statuses, shared by the others.
"""

from calls.services.attempts import (
    ContactBlocked,
    call_attempt_record,
    channel_authorisation_record,
    channel_authorisation_revoke,
    letter_record,
    verdict_snapshot,
)
from calls.services.call_log import (
    COMMITMENT_DETAILS,
    CONTACT_KINDS,
    INSTALMENT_FREQUENCIES,
    MAX_INSTALMENTS,
    MIN_INSTALMENTS,
    PHONE_STATUS_AFTER,
    THIRD_PARTY_COMMITMENTS,
    CallLogResult,
    call_log,
)
from calls.services.common import USABLE_PHONE_STATUSES, day_start
from calls.services.contactability import BestWindow, best_windows, contactability_refresh, phone_restore
from calls.services.dialing import DialOutcome, DispositionResult, click_to_call, dialer_disposition_record
from calls.services.follow_ups import follow_up_complete, follow_up_move
from calls.services.scheduling import (
    BROKEN_LOOKBACK,
    CALLBACK_LOOKBACK,
    RETRY_LOOKBACK,
    RETRY_OUTCOMES,
    SCHEDULER,
    DebtorRow,
    ScheduleResult,
    follow_ups_schedule,
)
from calls.services.summary import (
    SUMMARY_CHANNELS,
    SummaryRoute,
    SummarySendResult,
    call_summary_can_be_sent,
    call_summary_routes,
    call_summary_send,
    render_call_summary,
)

__all__ = [
    "BestWindow",
    "DialOutcome",
    "best_windows",
    "contactability_refresh",
    "phone_restore",
    "DispositionResult",
    "dialer_disposition_record",
    "click_to_call",
    "CONTACT_KINDS",
    "BROKEN_LOOKBACK",
    "CALLBACK_LOOKBACK",
    "COMMITMENT_DETAILS",
    "INSTALMENT_FREQUENCIES",
    "MAX_INSTALMENTS",
    "MIN_INSTALMENTS",
    "PHONE_STATUS_AFTER",
    "RETRY_LOOKBACK",
    "RETRY_OUTCOMES",
    "SCHEDULER",
    "SUMMARY_CHANNELS",
    "THIRD_PARTY_COMMITMENTS",
    "USABLE_PHONE_STATUSES",
    "CallLogResult",
    "ContactBlocked",
    "DebtorRow",
    "ScheduleResult",
    "SummaryRoute",
    "SummarySendResult",
    "call_attempt_record",
    "call_log",
    "call_summary_can_be_sent",
    "call_summary_routes",
    "call_summary_send",
    "channel_authorisation_record",
    "channel_authorisation_revoke",
    "day_start",
    "follow_up_complete",
    "letter_record",
    "follow_up_move",
    "follow_ups_schedule",
    "render_call_summary",
    "verdict_snapshot",
]
