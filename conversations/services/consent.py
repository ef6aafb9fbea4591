"""Consent follows the debtor's words: a keyword sent alone revokes or restores consent on the
channel it came by, on every record of that number, with its source and time."""

from datetime import datetime

from django.db.models import Q

from conversations.models import ConsentKeyword, InboundMessage, keyword_normalise
from debtors.models import ChangeSource, Phone
from debtors.services.history import consent_changes_record
from promises.models import Message

CONSENT_FIELDS = {"sms": "sms_consent", "whatsapp": "whatsapp_consent"}


def consent_keyword_find(body: str) -> ConsentKeyword | None:
    word = keyword_normalise(body)
    if not word or len(word) > 40:
        return None
    return ConsentKeyword.objects.filter(word=word).first()


def consent_keyword_apply(inbound: InboundMessage, keyword: ConsentKeyword, *, now: datetime) -> list[Phone]:
    """Revoke or restore the channel's consent on every record of the sender's number.

    Returns the records whose consent changed: a second "BAJA" changes nothing and is not
    confirmed again.
    """
    field = CONSENT_FIELDS[inbound.channel]
    grant = keyword.action == ConsentKeyword.Action.START
    changed = list(Phone.objects.filter(Q(number=inbound.sender) & ~Q(**{field: grant})).select_related("debtor"))
    if changed:
        source = f"{keyword.word.upper()} · {inbound.get_provider_display()} {inbound.provider_message_id}"[:100]
        Phone.objects.filter(pk__in=[phone.pk for phone in changed]).update(
            **{field: grant, f"{field}_source": source, f"{field}_at": now}
        )
        consent_changes_record(
            changes=[(phone, inbound.channel, grant, source) for phone in changed],
            by=None,
            source=ChangeSource.KEYWORD,
            at=now,
        )
    return changed


def consent_confirmation_queue(inbound: InboundMessage, keyword: ConsentKeyword, phone: Phone, *, now) -> None:
    """The one confirmation a consent change calls for, exempt from the policy (see
    POLICY_EXEMPT_PURPOSES); its key makes it once per inbound message."""
    Message.objects.bulk_create(
        [
            Message(
                debtor_id=phone.debtor_id,
                phone=phone,
                channel=inbound.channel,
                purpose=Message.Purpose.CONSENT,
                recipient=inbound.sender,
                language=keyword.language,
                body=keyword.confirmation,
                idempotency_key=f"consent:{inbound.provider}:{inbound.provider_message_id}"[:100],
                send_after=now,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
