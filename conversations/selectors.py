"""Reads of the conversations app."""

from datetime import datetime, timedelta

from django.db.models import QuerySet

from conversations.models import InboundMessage, MessageTemplate
from debtors.models import Debtor
from debtors.selectors import debtor_ids_by_identifier, debtors_for_user

# WhatsApp's customer-service window: free text only within 24 hours of the debtor's last message.
WHATSAPP_WINDOW = timedelta(hours=24)


def unmatched_messages() -> QuerySet[InboundMessage]:
    """Messages from numbers no debtor holds (or several do), newest first. Everyone who may
    see the inbox may see them: no debtor, so no scope, and a supervisor must be able to
    find their debtor."""
    return InboundMessage.objects.filter(debtor__isnull=True).order_by("-received_at", "-pk")


def inbound_for_debtor(debtor) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(debtor=debtor).order_by("-received_at", "-pk")


def debtors_identified_for_user(user, identifier: str) -> list[Debtor]:
    """The debtors in the user's scope that `identifier` names whole: the page number (#1234),
    the creditor's customer code, the national id, or a phone number."""
    identifier = identifier.strip()
    ids = set(debtor_ids_by_identifier(identifier)) if identifier else set()
    digits = identifier.removeprefix("#")
    if digits.isdigit() and len(digits) < 19:
        ids.add(int(digits))
    return list(debtors_for_user(user).filter(pk__in=ids).select_related("portfolio")[:10])


def whatsapp_window_open(number: str, *, at: datetime) -> bool:
    """Whether the debtor wrote to us on WhatsApp from `number` in the last 24 hours."""
    return InboundMessage.objects.filter(
        sender=number, channel="whatsapp", received_at__gt=at - WHATSAPP_WINDOW, received_at__lte=at
    ).exists()


def templates_for_language(language: str) -> QuerySet[MessageTemplate]:
    """The templates collectors choose from when replying (those for system messages aside)."""
    return MessageTemplate.objects.filter(language=language, active=True, purpose="").order_by("channel", "name")
