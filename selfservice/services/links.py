"""Self-service links: made for one debtor, sent through the outbox, revoked by staff."""

import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from calls.policy import check_contact
from collections_crm.permissions import can_act_on_debtor
from debtors.models import Debtor
from promises.models import Message
from promises.services import placeholder_values
from selfservice.models import SelfServiceEvent, SelfServiceLimits, SelfServiceLink
from selfservice.tokens import link_token

LINK_CHANNELS = ("sms", "whatsapp", "email")
# The identity question asks for the last digits of the national id.
ID_DIGITS = 4


def limits_for(portfolio) -> SelfServiceLimits:
    try:
        return portfolio.self_service_limits
    except SelfServiceLimits.DoesNotExist:
        return SelfServiceLimits(portfolio=portfolio)


def national_id_digits(debtor: Debtor) -> str:
    return "".join(character for character in debtor.national_id if character.isdigit())


def link_url(link: SelfServiceLink, *, base_url: str = "") -> str:
    # The install's public address wins over the desk user's (which may be an internal one).
    base = (settings.SELF_SERVICE_BASE_URL or base_url).rstrip("/")
    return f"{base}{reverse('selfservice:page', args=[link_token(link)])}"


def _route(debtor: Debtor, channel: str):
    """(phone, recipient) on `channel`: an own usable number that consented, or the e-mail."""
    if channel == "email":
        if not debtor.email:
            raise ValidationError({"channel": _("The debtor has no e-mail address on file.")})
        return None, debtor.email
    consent = f"{channel}_consent"
    for phone in debtor.phones.filter(relationship="own", status__in=("unknown", "valid")).order_by("pk"):
        if getattr(phone, consent):
            return phone, phone.number.as_e164
    raise ValidationError({"channel": _("The debtor has no number that consented to this channel.")})


@transaction.atomic
def link_send(
    *, debtor: Debtor, channel: str, by, base_url: str = "", document=None, at: datetime | None = None
) -> tuple[SelfServiceLink, Message]:
    """A new link for `debtor`, queued on `channel` for the first lawful moment.

    Refused when the portfolio does not offer self-service, when the debtor has no national id
    to confirm identity with, when the channel has no consented route, or when the contact
    policy will never allow a message on it (a hold).
    """
    if not can_act_on_debtor(by, debtor):
        raise Http404
    at = at or timezone.now()
    if channel not in LINK_CHANNELS:
        raise ValidationError({"channel": _("Send the link by SMS, WhatsApp or e-mail.")})
    limits = limits_for(debtor.portfolio)
    if not limits.enabled:
        raise ValidationError(_("This portfolio does not offer the self-service page."), code="disabled")
    if len(national_id_digits(debtor)) < ID_DIGITS:
        raise ValidationError(
            _("The debtor needs a national id on file to confirm who they are on the page."), code="no_identity"
        )
    phone, recipient = _route(debtor, channel)
    verdict = check_contact(debtor, channel, at, phone=phone)
    if not verdict.allowed and verdict.next_allowed_at is None:
        raise ValidationError(" ".join(reason.message for reason in verdict.reasons), code="contact_blocked")
    link = SelfServiceLink.objects.create(
        debtor=debtor,
        created_by=by,
        created_at=at,
        expires_at=at + limits.link_duration,
        channel=channel,
        document=document,
    )
    url = link_url(link, base_url=base_url)
    with translation.override(debtor.language):
        context = {
            "first_name": debtor.spoken_name.split()[0] if debtor.full_name else "",
            "url": url,
            "days": limits.link_days,
            "document": document.get_kind_display() if document is not None else "",
        }
        body = render_to_string("selfservice/link_message.txt", context).strip().replace("\u00a0", " ")
        subject = (
            render_to_string("selfservice/link_message_subject.txt", context).strip() if channel == "email" else ""
        )
    message = Message.objects.create(
        debtor=debtor,
        phone=phone,
        channel=channel,
        purpose=Message.Purpose.SELF_SERVICE,
        recipient=recipient,
        language=debtor.language,
        subject=subject,
        body=body,
        idempotency_key=f"self_service:{link.pk}:{uuid.uuid4().hex[:8]}",
        # WhatsApp outside its window sends the admin's template for this purpose, link included.
        placeholder_values={**placeholder_values(debtor), "link": url},
        send_after=verdict.next_allowed_at if not verdict.allowed else at,
        created_at=at,
    )
    SelfServiceEvent.objects.create(
        link=link, debtor=debtor, kind=SelfServiceEvent.Kind.LINK_SENT, at=at, detail=f"{channel} → {recipient}"
    )
    return link, message


@transaction.atomic
def link_revoke(*, link: SelfServiceLink, by, at: datetime | None = None) -> bool:
    """The link stops opening the page at once, sessions opened with it included."""
    if not can_act_on_debtor(by, link.debtor):
        raise Http404
    at = at or timezone.now()
    revoked = SelfServiceLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=at, revoked_by=by)
    if revoked:
        SelfServiceEvent.objects.create(
            link=link,
            debtor_id=link.debtor_id,
            kind=SelfServiceEvent.Kind.LINK_REVOKED,
            at=at,
            detail=by.get_username(),
        )
    return bool(revoked)
