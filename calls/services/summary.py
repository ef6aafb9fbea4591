"""The closing summary, sent to the debtor.

After a commitment the collector may send the agreement they read back by SMS, WhatsApp or
e-mail. The message goes through the outbox (promises.Message), so it is sent by the same
job as reminders, at a lawful moment, at most once; the idempotency key is per call and
channel, so a second click (or a retried request) finds the first message instead.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import Call, CallOutcome, FollowUp
from calls.policy import check_contact
from calls.services.common import USABLE_PHONE_STATUSES
from collections_crm.lib.timezones import debtor_zone

SUMMARY_CHANNELS = ("whatsapp", "sms", "email")


@dataclass
class SummaryRoute:
    """One channel the summary could go by: to whom, and why not when it cannot."""

    channel: str
    label: str
    recipient: str = ""
    phone: object | None = None
    refusal: str = ""
    send_after: datetime | None = None
    message: object | None = None

    @property
    def allowed(self) -> bool:
        return not self.refusal

    @property
    def deferred(self) -> bool:
        # Lawful later (the message window is closed now): queued for that moment.
        return self.allowed and self.send_after is not None and self.message is None


def call_summary_can_be_sent(call) -> bool:
    """Only an agreement reached with the debtor is read back, so only that is sent."""
    return call.outcome == CallOutcome.RIGHT_PARTY and call.commitment not in ("", Call.Commitment.NONE)


def call_summary_routes(*, call, at: datetime, phones=None) -> list[SummaryRoute]:
    """Each summary channel with its recipient or the reason it cannot be used now.

    1. A recipient: the debtor's own usable number that consented to the channel (best
       first: WhatsApp, SMS), or the debtor's e-mail address.
    2. The contact policy for that channel and number: a block with no lawful moment ahead
       (a hold, no authorisation) refuses the channel; a block that lifts later queues the
       message for that moment.
    3. A summary already queued on that channel is shown instead of offering it again.
    """
    from promises.models import Message

    debtor = call.debtor
    phones = list(debtor.phones.all()) if phones is None else phones
    own = [p for p in phones if p.relationship == "own" and p.status in USABLE_PHONE_STATUSES]
    existing = {
        message.channel: message
        for message in Message.objects.filter(idempotency_key__in=[_summary_key(call, c) for c in SUMMARY_CHANNELS])
    }
    routes = []
    for channel in SUMMARY_CHANNELS:
        route = SummaryRoute(channel=channel, label=str(Message.Channel(channel).label), message=existing.get(channel))
        routes.append(route)
        if channel == "email":
            route.recipient = debtor.email
            if not debtor.email:
                route.refusal = _("There is no e-mail address on file for the debtor.")
                continue
        else:
            consent = f"{channel}_consent"
            route.phone = next((phone for phone in own if getattr(phone, consent)), None)
            if route.phone is None:
                route.refusal = _("None of the debtor's own numbers has consent for %(channel)s.") % {
                    "channel": route.label
                }
                continue
            route.recipient = route.phone.number.as_e164
        verdict = check_contact(debtor, channel, at, phone=route.phone)
        if verdict.allowed:
            continue
        if verdict.next_allowed_at is None:
            route.refusal = " ".join(reason.message for reason in verdict.reasons)
        else:
            route.send_after = verdict.next_allowed_at
    return routes


def _summary_key(call, channel: str) -> str:
    return f"summary:call:{call.pk}:{channel}"


def _summary_promises(call) -> list:
    from promises.models import Promise

    return list(Promise.objects.filter(call=call).order_by("due_date", "instalment_number", "pk"))


def _summary_next_call(call) -> datetime | None:
    """When the commitment's follow-up will call the debtor: the read-back promises no other call."""
    follow_up = (
        FollowUp.objects.filter(call=call, reason__in=(FollowUp.Reason.CALLBACK, FollowUp.Reason.COMMITMENT))
        .exclude(status=FollowUp.Status.CANCELLED)
        .order_by("pk")
        .first()
    )
    return follow_up.due_at if follow_up is not None else None


def _settlement_discount(promises) -> str:
    """What a settlement made on the call forgives, written the debtor's way; empty otherwise."""
    from collections_crm.templatetags.crm import money

    arrangement = promises[0].arrangement if promises and promises[0].arrangement_id else None
    if arrangement is None or arrangement.kind != "settlement":
        return ""
    return money(arrangement.discount_amount, arrangement.currency)


def render_call_summary(*, call, channel: str, promises=None) -> tuple[str, str]:
    """Subject and text of the closing summary, in the debtor's language and on the debtor's
    clock (what was read back)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from collections_crm.templatetags.crm import money

    debtor = call.debtor
    promises = _summary_promises(call) if promises is None else promises
    next_call = (
        _summary_next_call(call) if call.commitment in (Call.Commitment.CALLBACK, *Call.DATED_COMMITMENTS) else None
    )
    with translation.override(debtor.language), timezone.override(debtor_zone(debtor)):
        context = {
            "call": call,
            "first_name": debtor.spoken_name.split()[0] if debtor.full_name else "",
            "creditor": debtor.portfolio.creditor.name,
            "code": debtor.external_id,
            "promises": [
                {"amount": money(promise.amount, promise.currency), "date": promise.due_date} for promise in promises
            ],
            "total": money(sum((p.amount for p in promises), start=Decimal(0)), promises[0].currency)
            if promises
            else "",
            "next_call": next_call,
            "channel": channel,
            "discount": _settlement_discount(promises),
        }
        body = render_to_string("calls/summary_message.txt", context).strip()
        subject = render_to_string("calls/summary_message_subject.txt", context).strip() if channel == "email" else ""
    # Plain spaces: a no-break space would push an SMS out of the GSM alphabet (dearer, shorter).
    return subject.replace("\u00a0", " "), body.replace("\u00a0", " ")


@dataclass
class SummarySendResult:
    message: object
    created: bool
    route: SummaryRoute


@transaction.atomic
def call_summary_send(*, call, channel: str, by, at: datetime | None = None) -> SummarySendResult:
    """Queue the closing summary of `call` for the debtor on `channel`, once.

    1. Scope: whoever may act on the debtor (a collector their own debtors); else 404.
    2. Only a right-party call that ended with a commitment has a summary to send.
    3. The channel must have a consenting recipient and not be blocked for good by the
       contact policy (`call_summary_routes`); refusals carry the reason.
    4. Insert-or-nothing on the idempotency key: a second request returns the first message.
       The outbox job sends it at `send_after` (now, or the next lawful moment).
    """
    from collections_crm.permissions import can_act_on_debtor
    from promises.models import Message
    from promises.services import placeholder_values

    if not can_act_on_debtor(by, call.debtor):
        raise Http404
    if channel not in SUMMARY_CHANNELS:
        raise ValidationError({"channel": _("Choose SMS, WhatsApp or e-mail.")})
    if not call_summary_can_be_sent(call):
        raise ValidationError(_("Only a call that ended with an agreement with the debtor has a summary to send."))
    at = at or timezone.now()
    route = next(route for route in call_summary_routes(call=call, at=at) if route.channel == channel)
    if route.message is not None:
        return SummarySendResult(message=route.message, created=False, route=route)
    if not route.allowed:
        raise ValidationError({"channel": route.refusal})
    promises = _summary_promises(call)
    subject, body = render_call_summary(call=call, channel=channel, promises=promises)
    message, created = Message.objects.get_or_create(
        idempotency_key=_summary_key(call, channel),
        defaults={
            "debtor": call.debtor,
            "promise": promises[0] if promises else None,
            "phone": route.phone,
            "channel": channel,
            "purpose": Message.Purpose.SUMMARY,
            "recipient": route.recipient,
            "language": call.debtor.language,
            "subject": subject,
            "body": body,
            "placeholder_values": placeholder_values(
                call.debtor,
                amount=promises[0].amount if promises else None,
                currency=promises[0].currency if promises else "",
                due_date=promises[0].due_date if promises else None,
                collector=call.collector,
            ),
            "send_after": route.send_after or at,
            "created_at": at,
        },
    )
    route.message = message
    return SummarySendResult(message=message, created=created, route=route)
