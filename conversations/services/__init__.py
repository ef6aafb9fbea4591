"""Writes of the conversations app: inbound messages, receipts, consent keywords, replies."""

from conversations.services.consent import consent_keyword_find, keyword_normalise
from conversations.services.delivery import (
    delivery_events_apply_for,
    delivery_events_apply_pending,
    delivery_receipt_record,
)
from conversations.services.inbound import InboundResult, inbound_message_attach, inbound_message_receive
from conversations.services.replies import ReplyQueued, reply_send

__all__ = [
    "InboundResult",
    "ReplyQueued",
    "consent_keyword_find",
    "delivery_events_apply_for",
    "delivery_events_apply_pending",
    "delivery_receipt_record",
    "inbound_message_attach",
    "inbound_message_receive",
    "keyword_normalise",
    "reply_send",
]
