"""Messages debtors send us: stored once, matched to the debtor by number, put on the
debtor's contact ledger, answered by a follow-up at the top of the collector's queue."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call, FollowUp
from collections_crm.lib.timezones import debtor_zone
from collections_crm.permissions import can_view_debtor
from conversations.models import InboundMessage
from conversations.providers import Incoming
from conversations.services.consent import consent_confirmation_queue, consent_keyword_apply, consent_keyword_find
from debtors.models import Debtor, Phone
from promises.models import Message

REPLY_SUBJECT = "reply"  # one open "debtor replied" follow-up per debtor, however many messages


@dataclass
class InboundResult:
    message: InboundMessage | None
    created: bool


def _match(sender: str) -> tuple[Debtor | None, Phone | None]:
    """The debtor a number belongs to.

    1. One debtor holds the number: theirs.
    2. Several do (a shared family phone, a reference who is also a debtor): the debtor we
       last wrote to at that number, since a reply answers a message; the debtor's own
       number comes before a third party's.
    3. Otherwise nobody: the message waits in the unmatched inbox for a supervisor.
    """
    if not sender:
        return None, None
    phones = list(Phone.objects.filter(number=sender).select_related("debtor").order_by("pk"))
    debtor_ids = {phone.debtor_id for phone in phones}
    if len(debtor_ids) == 1:
        own = [phone for phone in phones if not phone.is_third_party]
        phone = (own or phones)[0]
        return phone.debtor, phone
    if not phones:
        return None, None
    last_written = (
        Message.objects.filter(recipient=sender, debtor_id__in=debtor_ids, sent_at__isnull=False)
        .order_by("-sent_at", "-pk")
        .values_list("debtor_id", flat=True)
        .first()
    )
    if last_written is None:
        return None, None
    phone = min((phone for phone in phones if phone.debtor_id == last_written), key=lambda phone: phone.is_third_party)
    return phone.debtor, phone


def _on_the_ledger(inbound: InboundMessage, debtor: Debtor) -> None:
    """The inbound contact on the debtor's ledger: the contact policy sees it (no preset counts
    a debtor's own message as one of our attempts) and the evidence keeps it."""
    call = Call.objects.create(
        debtor=debtor,
        collector=None,
        phone=inbound.phone,
        channel=inbound.channel,
        direction=Call.Direction.INBOUND,
        started_at=inbound.received_at,
        outcome=Call.Outcome.MESSAGE_RECEIVED,
        local_time=timezone.localtime(inbound.received_at, debtor_zone(debtor)).isoformat(),
        local_time_zone=debtor.time_zone,
        notes=inbound.body[:1000],
    )
    InboundMessage.objects.filter(pk=inbound.pk).update(call=call)
    inbound.call = call


def _reply_follow_up_raise(inbound: InboundMessage, debtor: Debtor) -> None:
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                debtor=debtor,
                assigned_to_id=debtor.assigned_to_id,
                due_at=inbound.received_at,
                reason=FollowUp.Reason.REPLY,
                subject_key=REPLY_SUBJECT,
                note=inbound.body[:500],
                created_by_job="conversations.inbound",
            )
        ],
        ignore_conflicts=True,  # one is already open: the collector sees the newest on the timeline
    )


def _after_match(inbound: InboundMessage, debtor: Debtor) -> None:
    _on_the_ledger(inbound, debtor)
    if inbound.keyword:
        return  # "BAJA" is heard and confirmed; it asks for no answer
    _reply_follow_up_raise(inbound, debtor)


def inbound_message_receive(incoming: Incoming, *, now: datetime | None = None) -> InboundResult:
    """Store a message once (a resent webhook changes nothing) and do what it calls for."""
    now = now or timezone.now()
    keyword = consent_keyword_find(incoming.body) if incoming.sender else None
    debtor, phone = _match(incoming.sender)
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                provider=incoming.provider,
                provider_message_id=incoming.provider_message_id,
                channel=incoming.channel,
                sender=incoming.sender,
                recipient=incoming.recipient,
                body=incoming.body,
                received_at=incoming.received_at,
                debtor=debtor,
                phone=phone,
                keyword=keyword.action if keyword else "",
            )
            if keyword is not None:
                changed = consent_keyword_apply(inbound, keyword, now=now)
                confirm_to = phone if phone is not None and phone in changed else (changed or [None])[0]
                if confirm_to is not None:
                    consent_confirmation_queue(inbound, keyword, confirm_to, now=now)
            if debtor is not None:
                _after_match(inbound, debtor)
    except IntegrityError:
        existing = InboundMessage.objects.filter(
            provider=incoming.provider, provider_message_id=incoming.provider_message_id
        ).first()
        if existing is None:
            raise
        return InboundResult(existing, created=False)
    return InboundResult(inbound, created=True)


def inbound_message_attach(*, inbound: InboundMessage, debtor: Debtor, by, now: datetime | None = None) -> None:
    """A supervisor gives an unmatched message its debtor: it joins their timeline and ledger
    and raises the follow-up it would have raised on arrival."""
    now = now or timezone.now()
    if not (by.is_supervisor or by.is_crm_admin) or not can_view_debtor(by, debtor):
        raise PermissionDenied
    with transaction.atomic():
        phone = Phone.objects.filter(debtor=debtor, number=inbound.sender).first() if inbound.sender else None
        updated = InboundMessage.objects.filter(pk=inbound.pk, debtor__isnull=True).update(
            debtor=debtor, phone=phone, attached_by=by, attached_at=now
        )
        if not updated:
            raise ValidationError(_("This message already belongs to a debtor."))
        inbound.refresh_from_db()
        _after_match(inbound, debtor)
