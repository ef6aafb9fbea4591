"""The outbox: reminder messages queued for a lawful moment and sent at most once."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from collections_crm.templatetags.crm import money
from debtors.models import Phone
from promises.messaging import Outgoing, PermanentProviderError, ProviderError, provider_for
from promises.models import Message, Promise

# --- Outbox: reminders and their delivery ------------------------------------------------------

REMINDER_CHANNELS = ("whatsapp", "sms", "email")
# Waits before retrying a message the provider refused: 1 min, 5 min, 30 min, 2 h, 6 h.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claim older than this belongs to a worker that died while sending.
STALE_CLAIM = timedelta(minutes=10)
USABLE_PHONE_STATUSES = ("unknown", "valid")
# The one message a debtor's "STOP" (or "START") calls for: it confirms the change on the
# channel just revoked, so consent, hours and caps do not apply (TCPA's one confirmation text;
# Reg F 1006.6(c)'s "confirm termination").
POLICY_EXEMPT_PURPOSES = frozenset({"consent"})


@dataclass(frozen=True)
class OutboxContact:
    """What the outbox needs from the contact policy, which lives a layer above (calls).

    `check(debtor, channel, moment, phone)` returns a verdict (`allowed`, `reasons`,
    `next_allowed_at`); `record(message, at)` puts a sent message on the debtor's contact
    ledger, the attempts the policy counts, inside the transaction that marks it sent.
    """

    check: Callable
    record: Callable


_contact: OutboxContact | None = None
# Called with each message and its provider just before sending: may turn it into an approved
# template (WhatsApp outside its window) or refuse it for good (PermanentProviderError).
_preparers: list[Callable] = []


def outbox_preparer_register(preparer: Callable, *, first: bool = False) -> None:
    """`first`: before the others (a preparer that changes the text runs before the one that
    turns the text into a template)."""
    if preparer not in _preparers:
        _preparers.insert(0, preparer) if first else _preparers.append(preparer)


# Called with each message as it is marked sent, in the same transaction: delivery receipts
# that arrived before the send was recorded are applied then (conversations app).
_sent_listeners: list[Callable] = []


def outbox_sent_listener_register(listener: Callable) -> None:
    if listener not in _sent_listeners:
        _sent_listeners.append(listener)


# Called with each e-mail's `attachments` references just before it is sent; each returns the
# (file name, bytes, content type) of the references it knows (documents app).
_attachment_loaders: list[Callable] = []


def outbox_attachment_loader_register(loader: Callable) -> None:
    if loader not in _attachment_loaders:
        _attachment_loaders.append(loader)


def _attachments(message: Message) -> tuple:
    if not message.attachments or message.channel != "email":
        return ()
    files = []
    for load in _attachment_loaders:
        files.extend(load(message.attachments))
    return tuple(files)


def outbox_contact_register(contact: OutboxContact) -> None:
    """Called once at start-up by the calls app (CallsConfig.ready)."""
    global _contact
    _contact = contact


def _outbox_contact() -> OutboxContact:
    if _contact is None:
        raise ImproperlyConfigured("The outbox needs the contact policy: add the calls app to INSTALLED_APPS.")
    return _contact


def placeholder_values(debtor, *, amount=None, currency: str = "", due_date=None, collector=None) -> dict:
    """What a template's placeholders may take for `debtor`, written their way (language,
    amounts, dates), with plain spaces (see render_reminder)."""
    with translation.override(debtor.language):
        values = {
            "first_name": debtor.spoken_name.split()[0] if debtor.full_name else "",
            "creditor": debtor.portfolio.creditor.name,
            "balance": money(debtor.open_balance, debtor.portfolio.currency),
        }
        if amount is not None:
            values["amount"] = money(amount, currency or debtor.portfolio.currency)
        if due_date is not None:
            values["due_date"] = formats.date_format(due_date, "SHORT_DATE_FORMAT")
        person = collector or debtor.assigned_to
        if person is not None:
            values["collector"] = person.get_full_name() or person.username
    return {name: str(value).replace("\u00a0", " ") for name, value in values.items()}


# The templates each message about a promise is written from, and the scheduler's count of it.
PROMISE_MESSAGES = {
    Message.Purpose.REMINDER: ("messages/reminder", "reminder_messages"),
    Message.Purpose.BROKEN_PROMISE: ("messages/broken_promise", "broken_promise_messages"),
}


def render_reminder(*, promise: Promise, channel: str, purpose: str = Message.Purpose.REMINDER) -> tuple[str, str]:
    """Subject and text of a reminder (or of another message about a promise, `purpose`), in
    the debtor's language, amounts and dates in its style."""
    template = PROMISE_MESSAGES[purpose][0]
    debtor = promise.debtor
    with translation.override(debtor.language):
        context = {
            "first_name": debtor.spoken_name.split()[0] if debtor.full_name else "",
            "creditor": debtor.portfolio.creditor.name,
            "amount": money(promise.amount, promise.currency),
            "due_date": formats.date_format(promise.due_date, "SHORT_DATE_FORMAT"),
        }
        body = render_to_string(f"{template}.txt", context).strip()
        subject = render_to_string(f"{template}_subject.txt", context).strip() if channel == "email" else ""
    # Plain spaces: a no-break space would push an SMS out of the GSM alphabet (dearer, shorter).
    return subject.replace("\u00a0", " "), body.replace("\u00a0", " ")


def _reminder_route(debtor, phones) -> tuple[str, object | None, str] | None:
    """The channel the debtor consented to, best first: WhatsApp, SMS, then e-mail."""
    own = [phone for phone in phones if phone.relationship == "own" and phone.status in USABLE_PHONE_STATUSES]
    for channel, consent in (("whatsapp", "whatsapp_consent"), ("sms", "sms_consent")):
        phone = next((phone for phone in own if getattr(phone, consent)), None)
        if phone is not None:
            return channel, phone, phone.number.as_e164
    if debtor.email:
        return "email", None, debtor.email
    return None


def reminder_messages_queue(
    *, promises: list[Promise], now: datetime, result, lawful_moments: Callable, purpose: str = Message.Purpose.REMINDER
) -> list[Promise]:
    """Queue a reminder message (or the message `purpose` names, PROMISE_MESSAGES) per promise
    where a consented channel exists.

    Returns the promises that need a call instead. A message is queued for the
    first lawful moment on its channel (`lawful_moments([(debtor, moment)…], channel)`, the
    contact policy's, passed by the caller); its idempotency key makes a second queueing a
    no-op.
    """

    phones_by_debtor: dict[int, list] = {}
    for phone in Phone.objects.filter(debtor_id__in={promise.debtor_id for promise in promises}):
        phones_by_debtor.setdefault(phone.debtor_id, []).append(phone)
    routed, calls_needed = {}, []
    for promise in promises:
        route = _reminder_route(promise.debtor, phones_by_debtor.get(promise.debtor_id, []))
        if route is None:
            calls_needed.append(promise)
        else:
            routed[promise.pk] = (promise, *route)
    messages = []
    for channel in REMINDER_CHANNELS:
        batch = [entry for entry in routed.values() if entry[1] == channel]
        if not batch:
            continue
        moments = lawful_moments([(promise.debtor, now) for promise, *_rest in batch], channel)
        for (promise, _channel, phone, recipient), send_after in zip(batch, moments):
            if send_after is None:
                result.no_lawful_moment += 1
                continue
            subject, body = render_reminder(promise=promise, channel=channel, purpose=purpose)
            messages.append(
                Message(
                    debtor_id=promise.debtor_id,
                    promise=promise,
                    phone=phone,
                    channel=channel,
                    purpose=purpose,
                    recipient=recipient,
                    language=promise.debtor.language,
                    subject=subject,
                    body=body,
                    idempotency_key=f"{purpose}:promise:{promise.pk}",
                    placeholder_values=placeholder_values(
                        promise.debtor, amount=promise.amount, currency=promise.currency, due_date=promise.due_date
                    ),
                    send_after=send_after,
                    created_at=now,
                )
            )
    Message.objects.bulk_create(messages, batch_size=2000, ignore_conflicts=True)
    counter = PROMISE_MESSAGES[purpose][1]
    setattr(result, counter, getattr(result, counter) + len(messages))
    return calls_needed


@dataclass
class SendResult:
    sent: int = 0
    deferred: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0


def _outgoing(message: Message) -> Outgoing:
    return Outgoing(
        channel=message.channel,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        idempotency_key=message.idempotency_key,
        template_name=message.template_name,
        template_params=tuple(str(value) for value in message.template_params),
        language=message.language,
        attachments=_attachments(message),
    )


def _mark_sent(message: Message, *, provider_id: str, at: datetime) -> None:
    """Sent: the outbox row, and the contact on the debtor's ledger the policy counts."""
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.SENT, sent_at=at, provider_message_id=provider_id[:200], last_error=""
        )
        if updated:
            _outbox_contact().record(message, at)
            message.status, message.sent_at, message.provider_message_id = Message.Status.SENT, at, provider_id[:200]
            for listener in _sent_listeners:
                listener(message)


def _recover_stale_claims(now: datetime, result: SendResult) -> None:
    """Messages a dead worker left in "sending": ask the provider before doing anything.

    The provider already has it: mark it sent. The provider can say it does not: send
    again. The provider cannot say (e-mail): fail it rather than risk sending it twice.
    """
    stale = Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).select_related(
        "debtor"
    )
    for message in stale:
        provider = provider_for(message.channel)
        try:
            found = provider.lookup(message.idempotency_key)
        except ProviderError:
            continue  # ask again next time
        if found:
            _mark_sent(message, provider_id=found, at=now)
            result.recovered += 1
        elif provider.can_lookup:
            Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(status=Message.Status.QUEUED)
        else:
            Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
                status=Message.Status.FAILED,
                last_error=gettext("Interrupted while sending; not sent again so that it cannot arrive twice."),
            )
            result.failed += 1


def messages_send_due(*, now: datetime | None = None, limit: int = 500) -> SendResult:
    """Send the queued messages that are due, each at most once.

    1. Recover messages a dead worker left half-sent (see `_recover_stale_claims`).
    2. Claim each due message with a compare-and-set (queued → sending): two workers
       never send the same message.
    3. Ask the contact policy again at the moment of sending: a message that became
       unlawful waits for the next lawful moment, or is blocked for good by a hold.
    4. Send; mark sent and put the contact on the debtor's ledger. A provider error
       requeues the message with back-off, up to MAX_ATTEMPTS.
    """
    check_contact = _outbox_contact().check
    now = now or timezone.now()
    result = SendResult()
    _recover_stale_claims(now, result)
    due_ids = list(
        Message.objects.filter(status=Message.Status.QUEUED, send_after__lte=now)
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in due_ids:
        claimed = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
            status=Message.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            continue
        message = Message.objects.select_related("debtor", "phone").get(pk=message_id)
        exempt = message.purpose in POLICY_EXEMPT_PURPOSES
        verdict = None if exempt else check_contact(message.debtor, message.channel, now, phone=message.phone)
        if verdict is not None and not verdict.allowed:
            reasons = " ".join(reason.message for reason in verdict.reasons)[:500]
            if verdict.next_allowed_at is None:
                Message.objects.filter(pk=message_id).update(status=Message.Status.BLOCKED, last_error=reasons)
                result.blocked += 1
            else:
                Message.objects.filter(pk=message_id).update(
                    status=Message.Status.QUEUED,
                    send_after=verdict.next_allowed_at,
                    attempts=F("attempts") - 1,
                    last_error=reasons,
                )
                result.deferred += 1
            continue
        try:
            provider = provider_for(message.channel)
            for prepare in _preparers:
                prepare(message, provider, now)
            provider_id = provider.send(_outgoing(message))
        except (ProviderError, OSError) as error:
            if message.attempts >= MAX_ATTEMPTS or isinstance(error, PermanentProviderError):
                Message.objects.filter(pk=message_id).update(status=Message.Status.FAILED, last_error=str(error)[:500])
                result.failed += 1
            else:
                Message.objects.filter(pk=message_id).update(
                    status=Message.Status.QUEUED,
                    send_after=now + BACKOFF[message.attempts - 1],
                    last_error=str(error)[:500],
                )
                result.retried += 1
            continue
        _mark_sent(message, provider_id=provider_id, at=now)
        result.sent += 1
    return result
