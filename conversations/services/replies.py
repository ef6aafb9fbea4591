"""The collector answers the debtor by SMS or WhatsApp from the debtor page, through the outbox
and the contact policy like every other message."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import FollowUp
from calls.policy import check_contact
from calls.services import follow_up_complete
from collections_crm.permissions import can_act_on_debtor
from conversations.models import MessageTemplate
from conversations.selectors import whatsapp_window_open
from conversations.services.consent import CONSENT_FIELDS
from conversations.services.inbound import REPLY_SUBJECT
from promises.models import Message
from promises.services import placeholder_values

# Twilio joins at most 1,600 characters into one SMS; WhatsApp takes 4,096 in a text message.
MAX_TEXT = {"sms": 1600, "whatsapp": 4096}


@dataclass(frozen=True)
class ReplyQueued:
    message: Message
    created: bool
    send_after: datetime


def _checked_text(channel: str, text: str, template, *, window_open: bool) -> None:
    if template is not None:
        if template.channel != channel or not template.active:
            raise ValidationError({"template": _("This template is not for this channel.")})
        return
    if not text:
        raise ValidationError({"text": _("Write the message or choose a template.")})
    if len(text) > MAX_TEXT[channel]:
        raise ValidationError(
            {"text": _("At most %(count)s characters on this channel.") % {"count": f"{MAX_TEXT[channel]:,}"}}
        )
    if channel == "whatsapp" and not window_open:
        raise ValidationError(
            {
                "template": _(
                    "The debtor has not written on WhatsApp in the last 24 hours: WhatsApp only lets us "
                    "send an approved template. Choose one."
                )
            }
        )


def reply_send(
    *,
    debtor,
    by,
    channel: str,
    phone,
    text: str = "",
    template: MessageTemplate | None = None,
    key: str,
    now: datetime | None = None,
) -> ReplyQueued:
    """Queue a reply to `phone` on `channel` for the first lawful moment.

    1. Whoever may act on the debtor may write; the number must be the debtor's and consent
       to the channel. WhatsApp takes free text only within 24 hours of the debtor's last
       message there; outside it, an approved template.
    2. The contact policy is asked now: a block with no end (a hold, no consent) refuses;
       outside hours or over a cap, the reply waits in the outbox for the next lawful moment.
    3. `key` (one per form shown) makes a second submission of the same form a no-op.
    4. The debtor's open "debtor replied" follow-up is done: they have been answered.
    """
    now = now or timezone.now()
    if not can_act_on_debtor(by, debtor):
        raise PermissionDenied
    if channel not in CONSENT_FIELDS:
        raise ValidationError({"channel": _("Choose SMS or WhatsApp.")})
    if phone is None or phone.debtor_id != debtor.pk:
        raise ValidationError({"phone": _("Choose one of the debtor's numbers.")})
    if not getattr(phone, CONSENT_FIELDS[channel]):
        raise ValidationError({"phone": _("This number has no consent for this channel.")})
    text = (text or "").strip()
    number = phone.number.as_e164
    _checked_text(channel, text, template, window_open=whatsapp_window_open(number, at=now))
    verdict = check_contact(debtor, channel, now, phone=phone)
    if not verdict.allowed and verdict.next_allowed_at is None:
        raise ValidationError(" ".join(reason.message for reason in verdict.reasons))
    send_after = now if verdict.allowed else verdict.next_allowed_at
    template_name, params = "", []
    if template is not None:
        text, params = template.render(placeholder_values(debtor, collector=by))
        template_name = template.provider_name
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            idempotency_key=f"reply:{debtor.pk}:{key}"[:100],
            defaults={
                "debtor": debtor,
                "phone": phone,
                "channel": channel,
                "purpose": Message.Purpose.REPLY,
                "recipient": number,
                "language": template.language if template is not None else debtor.language,
                "body": text,
                "template_name": template_name,
                "template_params": params,
                "send_after": send_after,
                "created_at": now,
            },
        )
        if created:
            answered = FollowUp.objects.filter(
                debtor=debtor, reason=FollowUp.Reason.REPLY, subject_key=REPLY_SUBJECT, status=FollowUp.Status.OPEN
            ).first()
            if answered is not None:
                follow_up_complete(follow_up=answered, by=by, note=_("Answered by message."), at=now)
    return ReplyQueued(message=message, created=created, send_after=message.send_after)
