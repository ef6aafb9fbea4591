"""Writes for promises and payments, one module per sub-domain. Every status change leaves a
PromiseEvent row. The names are re-exported here: callers write `promises.services.X`."""

from promises.services.approvals import (
    ABOVE_BALANCE,
    MAX_DAYS_TO_FIRST,
    MAX_DISCOUNT,
    MAX_INSTALMENTS,
    MIN_SHARE,
    arrangement_approve,
    arrangement_limits_check,
    arrangement_propose,
    arrangement_reject,
    promise_propose,
)
from promises.services.commitments import (
    PENDING,
    arrangement_create,
    promise_cancel,
    promise_create,
    promise_renegotiate,
)
from promises.services.due_reminders import due_date_reminders_queue, render_due_reminder
from promises.services.lapsing import FlagResult, promises_flag_lapsed
from promises.services.outbox import (
    BACKOFF,
    MAX_ATTEMPTS,
    REMINDER_CHANNELS,
    STALE_CLAIM,
    OutboxContact,
    SendResult,
    messages_send_due,
    outbox_contact_register,
    outbox_preparer_register,
    outbox_sent_listener_register,
    placeholder_values,
    reminder_messages_queue,
    render_reminder,
)
from promises.services.payments import PAYMENT_CLOCK_SKEW, PaymentResult, payment_record

__all__ = [
    "BACKOFF",
    "MAX_ATTEMPTS",
    "MAX_DAYS_TO_FIRST",
    "ABOVE_BALANCE",
    "MAX_DISCOUNT",
    "MAX_INSTALMENTS",
    "MIN_SHARE",
    "PAYMENT_CLOCK_SKEW",
    "PENDING",
    "REMINDER_CHANNELS",
    "STALE_CLAIM",
    "FlagResult",
    "OutboxContact",
    "PaymentResult",
    "SendResult",
    "arrangement_approve",
    "arrangement_create",
    "arrangement_limits_check",
    "arrangement_propose",
    "arrangement_reject",
    "due_date_reminders_queue",
    "messages_send_due",
    "outbox_contact_register",
    "outbox_preparer_register",
    "outbox_sent_listener_register",
    "placeholder_values",
    "payment_record",
    "promise_cancel",
    "promise_create",
    "promise_propose",
    "promise_renegotiate",
    "promises_flag_lapsed",
    "reminder_messages_queue",
    "render_due_reminder",
    "render_reminder",
]
