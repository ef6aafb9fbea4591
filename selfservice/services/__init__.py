"""Writes of the self-service pages: links, the identity question, the debtor's own agreements
and payment links. Callers write `selfservice.services.X`."""

from selfservice.services.actions import (
    Offers,
    callback_by_debtor,
    debtor_balance,
    offers_for,
    open_commitments,
    plan_by_debtor,
    promise_by_debtor,
    settlement_by_debtor,
)
from selfservice.services.identity import MAX_ATTEMPTS, attempts_left, identity_confirm
from selfservice.services.links import ID_DIGITS, LINK_CHANNELS, limits_for, link_revoke, link_send, link_url
from selfservice.services.payments import NoticeResult, payment_link_start, payment_notice_record, still_owed

__all__ = [
    "ID_DIGITS",
    "LINK_CHANNELS",
    "MAX_ATTEMPTS",
    "NoticeResult",
    "Offers",
    "attempts_left",
    "callback_by_debtor",
    "debtor_balance",
    "identity_confirm",
    "limits_for",
    "link_revoke",
    "link_send",
    "link_url",
    "offers_for",
    "open_commitments",
    "payment_link_start",
    "payment_notice_record",
    "plan_by_debtor",
    "promise_by_debtor",
    "settlement_by_debtor",
    "still_owed",
]
