"""Writes for promises and payments. Every status change leaves a PromiseEvent row."""

import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, CharField, Count, DateField, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Greatest, TruncDate
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from calls.models import Call
from collections_crm.lib.checked_save import save_checked
from collections_crm.lib.timezones import debtor_local_today, debtor_zone, zone_for
from collections_crm.permissions import debtor_scope
from debtors.models import Debt, Debtor
from debtors.services import debtor_queue_figures_refresh
from promises import rules as promise_rules
from promises.messaging import Outgoing, ProviderError, provider_for
from promises.models import (
    ApprovalStatus,
    Arrangement,
    ArrangementLimits,
    BalanceRollup,
    CallRollup,
    Message,
    Payment,
    PaymentAllocation,
    PaymentRollup,
    Promise,
    PromiseEvent,
    PromiseRollup,
    Reassignment,
    RollupState,
)
from promises.selectors import AGING_HORIZON_DAYS, BALANCE_ROLLUP_STATE, BUCKET_UPPER_DAYS, promise_rules_for

PENDING = Promise.Status.PENDING
# Bank files stamp payments with their own clocks; a few minutes ahead is not "the future".
PAYMENT_CLOCK_SKEW = timedelta(minutes=10)


def _event(promise: Promise, *, from_status: str, to_status: str, at: datetime, cause: str, by=None, note: str = ""):
    return PromiseEvent(
        promise=promise, from_status=from_status, to_status=to_status, at=at, cause=cause, by=by, note=note[:500]
    )


def _promise_create(
    *,
    debtor: Debtor,
    collector,
    amount: Decimal,
    due_date: date,
    created_by=None,
    debt: Debt | None = None,
    call=None,
    arrangement: Arrangement | None = None,
    instalment_number: int | None = None,
    replaces: Promise | None = None,
    grace_days: int | None = None,
    tolerance_percent: Decimal | None = None,
    tolerance_amount: Decimal | None = None,
    at: datetime | None = None,
) -> Promise:
    """Record a promise of payment; the portfolio's rules fill what the caller leaves out.
    Inside a transaction that fails as a whole with it (no savepoint of its own).

    `grace_days`, `tolerance_percent` and `tolerance_amount` override the portfolio's rules
    for this promise only. The thresholds that judge it are computed now and stored, so a
    later change of the rules never rewrites the terms of a promise already made.
    """
    at = at or timezone.now()
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("A promise must be for an amount above zero.")})
    if due_date < debtor_local_today(debtor, at):
        raise ValidationError({"due_date": _("The promised date is in the past for the debtor.")})
    if debt is not None and debt.debtor_id != debtor.pk:
        raise ValidationError({"debt": _("This debt belongs to another debtor.")})
    rules = promise_rules_for(debtor.portfolio)
    grace = rules.grace_days if grace_days is None else grace_days
    thresholds = promise_rules.thresholds_for(
        amount,
        tolerance_percent=rules.tolerance_percent if tolerance_percent is None else Decimal(tolerance_percent),
        tolerance_amount=rules.tolerance_amount if tolerance_amount is None else Decimal(tolerance_amount),
        partial_minimum_percent=rules.partial_minimum_percent,
    )
    promise = Promise(
        debtor=debtor,
        debt=debt,
        call=call,
        collector=collector,
        arrangement=arrangement,
        instalment_number=instalment_number,
        replaces=replaces,
        amount=amount,
        currency=debt.currency if debt is not None else debtor.portfolio.currency,
        due_date=due_date,
        grace_days=grace,
        lapses_at=promise_rules.lapse_moment(due_date, grace, debtor.time_zone),
        kept_threshold=thresholds.kept,
        partial_threshold=thresholds.partial,
        status=PENDING,
        created_at=at,
    )
    save_checked(promise, savepoint=False)
    PromiseEvent.objects.create(
        promise=promise,
        from_status="",
        to_status=PENDING,
        at=at,
        cause=PromiseEvent.Cause.CREATED,
        by=created_by or collector,
    )
    return promise


# In a transaction of its own (a savepoint inside another); promise_propose runs the body in its own.
promise_create = transaction.atomic(_promise_create)


@transaction.atomic
def arrangement_create(
    *,
    debtor: Debtor,
    collector,
    schedule: list[tuple[date, Decimal]],
    kind: str = Arrangement.Kind.INSTALMENTS,
    debt: Debt | None = None,
    call=None,
    discount_amount: Decimal = Decimal("0"),
    created_by=None,
    at: datetime | None = None,
) -> Arrangement:
    """An arrangement (instalments, or a discounted settlement): one promise per instalment."""
    if not schedule:
        raise ValidationError(_("An arrangement needs at least one payment."))
    dates = [due for due, _amount in schedule]
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        raise ValidationError(_("Instalment dates must be different and in order."))
    if discount_amount < 0:
        raise ValidationError({"discount_amount": _("A discount cannot be negative.")})
    total = sum((Decimal(amount) for _due, amount in schedule), Decimal("0"))
    arrangement = Arrangement(
        debtor=debtor,
        debt=debt,
        kind=kind,
        total_amount=total,
        discount_amount=discount_amount,
        currency=debt.currency if debt is not None else debtor.portfolio.currency,
        created_by=created_by or collector,
    )
    save_checked(arrangement)
    for number, (due, amount) in enumerate(schedule, start=1):
        promise_create(
            debtor=debtor,
            collector=collector,
            amount=Decimal(amount),
            due_date=due,
            debt=debt,
            call=call,
            arrangement=arrangement,
            instalment_number=number,
            created_by=created_by,
            at=at,
        )
    return arrangement


def _close_pending(
    promise_ids: list[int], *, to_status: str, at: datetime, cause: str, by=None, note: str = ""
) -> list[int]:
    """Compare-and-set pending → to_status; returns the ids that really changed."""
    changed = list(
        Promise.objects.select_for_update().filter(pk__in=promise_ids, status=PENDING).values_list("pk", flat=True)
    )
    if changed:
        Promise.objects.filter(pk__in=changed).update(status=to_status, resolved_at=at)
        PromiseEvent.objects.bulk_create(
            PromiseEvent(promise_id=pk, from_status=PENDING, to_status=to_status, at=at, cause=cause, by=by, note=note)
            for pk in changed
        )
    return changed


@transaction.atomic
def promise_cancel(*, promise: Promise, by, note: str = "", at: datetime | None = None) -> bool:
    """Cancel a pending promise (renegotiated or withdrawn); history stays. False if not pending."""
    at = at or timezone.now()
    return bool(
        _close_pending(
            [promise.pk], to_status=Promise.Status.CANCELLED, at=at, cause=PromiseEvent.Cause.USER, by=by, note=note
        )
    )


@transaction.atomic
def promise_renegotiate(
    *, promise: Promise, by, amount: Decimal, due_date: date, note: str = "", at: datetime | None = None
) -> Promise:
    """Replace a pending promise with a new one; the old one is cancelled and linked."""
    at = at or timezone.now()
    if not promise_cancel(promise=promise, by=by, note=note or _("Renegotiated"), at=at):
        raise ValidationError(_("Only a pending promise can be renegotiated."))
    return promise_create(
        debtor=promise.debtor,
        collector=promise.collector,
        amount=amount,
        due_date=due_date,
        debt=promise.debt,
        replaces=promise,
        created_by=by,
        grace_days=promise.grace_days,
        at=at,
    )


@dataclass
class PaymentResult:
    payment: Payment
    created: bool
    kept_promise_ids: list[int] = field(default_factory=list)
    # The reference is already another debtor's payment (one the recorder may see): `payment`
    # is that one, and nothing was recorded.
    reference_taken: bool = False


@transaction.atomic
def payment_record(
    *,
    debtor: Debtor,
    amount: Decimal,
    paid_at: datetime,
    reference: str,
    source: str,
    debt: Debt | None = None,
    recorded_by=None,
    at: datetime | None = None,
) -> PaymentResult:
    """Record a payment once per (debtor, source, reference) and reconcile the debtor's promises.

    1. A reference already recorded for this debtor from this source changes nothing: the first
       record wins (a feed may resend). One recorded from this source for another debtor that
       `recorded_by` may see (anyone: all debtors) is refused as `reference_taken`; one that
       only debtors outside their scope hold does not count, so the answer never tells them
       that it exists.
    2. The debtor row is locked, so two payments of one debtor are allocated one at a time.
    3. The amount is allocated to the debtor's pending promises that were open when it was
       paid (made before it, lapsing after it), earliest due first, each up to what it
       still lacks; a promise whose allocations reach its amount is kept at once.
    4. The debt's balance goes down by the amount (never below zero).
    """
    at = at or timezone.now()
    amount = Decimal(amount)
    reference = reference.strip()
    if amount <= 0:
        raise ValidationError({"amount": _("A payment must be for an amount above zero.")})
    if not reference:
        raise ValidationError({"reference": _("A payment needs its reference (bank or receipt number).")})
    if paid_at > at + PAYMENT_CLOCK_SKEW:
        raise ValidationError({"paid_at": _("A payment cannot be dated in the future.")})
    if debt is not None and debt.debtor_id != debtor.pk:
        raise ValidationError({"debt": _("This debt belongs to another debtor.")})
    same_reference = Payment.objects.filter(source=source, reference=reference)
    existing = same_reference.filter(debtor=debtor).first()
    if existing is not None:
        return PaymentResult(payment=existing, created=False)
    visible = debtor_scope(recorded_by, via="debtor") if recorded_by is not None else Q()
    taken = same_reference.filter(visible).order_by("pk").first()
    if taken is not None:
        return PaymentResult(payment=taken, created=False, reference_taken=True)

    Debtor.objects.select_for_update().filter(pk=debtor.pk).first()
    payment = Payment(
        debtor=debtor,
        debt=debt,
        amount=amount,
        currency=debt.currency if debt is not None else debtor.portfolio.currency,
        paid_at=paid_at,
        reference=reference,
        source=source,
        recorded_by=recorded_by,
        credited_to=debtor.assigned_to,
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # Recorded by someone else between our look-up and our insert: theirs stands.
        return PaymentResult(payment=same_reference.get(debtor=debtor), created=False)

    # A payment on a known debt pays that debt's promises, or promises not tied to a debt.
    same_debt = Q(debt=debt) | Q(debt__isnull=True) if debt is not None else Q()
    open_promises = (
        Promise.objects.filter(same_debt, debtor=debtor, status=PENDING, created_at__lte=paid_at, lapses_at__gt=paid_at)
        .annotate(allocated=Sum("allocations__amount"))
        .order_by("due_date", "instalment_number", "pk")
    )
    remaining = amount
    allocations, fully_paid = [], []
    for promise in open_promises:
        if remaining <= 0:
            break
        lacking = promise.amount - (promise.allocated or Decimal("0"))
        if lacking <= 0:
            continue
        share = min(lacking, remaining)
        allocations.append(PaymentAllocation(payment=payment, promise=promise, amount=share))
        remaining -= share
        if share == lacking:
            fully_paid.append(promise)
    PaymentAllocation.objects.bulk_create(allocations)
    if allocations and payment.credited_to_id is None:
        Payment.objects.filter(pk=payment.pk).update(credited_to=allocations[0].promise.collector_id)
    kept = _close_pending(
        [promise.pk for promise in fully_paid],
        to_status=Promise.Status.KEPT,
        at=at,
        cause=PromiseEvent.Cause.PAYMENT,
        by=recorded_by,
        note=reference,
    )
    _complete_arrangements({promise.arrangement_id for promise in fully_paid if promise.arrangement_id})

    target = debt or next((a.promise.debt for a in allocations if a.promise.debt_id), None)
    if target is None:
        target = debtor.debts.filter(recalled_on__isnull=True, balance__gt=0).order_by("due_date", "pk").first()
    if target is not None:
        # import_hash cleared: the creditor's next file sets the balance again, not skipped as unchanged.
        Debt.objects.filter(pk=target.pk).update(
            balance=Greatest(F("balance") - amount, Decimal("0")), updated_at=at, import_hash=None
        )
        debtor_queue_figures_refresh(debtor_ids=[target.debtor_id])
        if payment.debt_id is None:
            Payment.objects.filter(pk=payment.pk).update(debt=target)
    return PaymentResult(payment=payment, created=True, kept_promise_ids=kept)


def _complete_arrangements(arrangement_ids) -> None:
    """An active arrangement whose instalments are all kept is completed (one statement)."""
    if not arrangement_ids:
        return
    not_kept = Promise.objects.filter(arrangement=OuterRef("pk")).exclude(status=Promise.Status.KEPT)
    Arrangement.objects.filter(pk__in=list(arrangement_ids), status=Arrangement.Status.ACTIVE).exclude(
        Exists(not_kept)
    ).update(status=Arrangement.Status.COMPLETED)


# --- Lapsed promises -------------------------------------------------------------------------

_PAID = "(SELECT COALESCE(SUM(a.amount), 0) FROM promises_paymentallocation a WHERE a.promise_id = promises_promise.id)"
_FLIP = f"""
    UPDATE promises_promise
    SET status = CASE WHEN {_PAID} >= kept_threshold THEN 'kept'
                      WHEN {_PAID} >= partial_threshold THEN 'partially_kept'
                      ELSE 'broken' END,
        resolved_at = %(now)s
    WHERE status = 'pending' AND lapses_at <= %(now)s
    RETURNING id, status, arrangement_id
"""


@dataclass
class FlagResult:
    kept: int = 0
    partially_kept: int = 0
    broken: int = 0
    arrangements_broken: int = 0
    amounts_carried: int = 0

    @property
    def total(self) -> int:
        return self.kept + self.partially_kept + self.broken


@transaction.atomic
def promises_flag_lapsed(*, now: datetime | None = None) -> FlagResult:
    """Judge every pending promise whose grace has ended, in one set-based statement.

    1. One UPDATE … WHERE status = 'pending' AND lapses_at <= now sets kept, partially kept
       or broken from the payments allocated to each promise. The status in the WHERE is a
       compare-and-set: a second job running at the same time finds those rows no longer
       pending and leaves them alone, so nothing is judged twice.
    2. The same transaction writes one event per changed promise (on PostgreSQL inside the
       same statement), so a status never changes without its event.
    3. Missed instalments apply the portfolio's rule: break the arrangement, or carry the
       shortfall to the last pending instalment.
    """
    now = now or timezone.now()
    params = {"now": connection.ops.adapt_datetimefield_value(now)}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH flipped AS ({_FLIP})
                , events AS (
                    INSERT INTO promises_promiseevent (promise_id, from_status, to_status, at, cause, note)
                    SELECT id, 'pending', status, %(now)s, 'job', '' FROM flipped
                )
                SELECT id, status, arrangement_id FROM flipped
                """,
                params,
            )
            flipped = cursor.fetchall()
        else:
            cursor.execute(_FLIP, params)
            flipped = cursor.fetchall()
            PromiseEvent.objects.bulk_create(
                (
                    PromiseEvent(
                        promise_id=pk, from_status=PENDING, to_status=status, at=now, cause=PromiseEvent.Cause.JOB
                    )
                    for pk, status, _arrangement in flipped
                ),
                batch_size=2000,
            )
    result = FlagResult()
    for _pk, status, _arrangement in flipped:
        setattr(result, status, getattr(result, status) + 1)
    missed = [(pk, arrangement) for pk, status, arrangement in flipped if arrangement and status != Promise.Status.KEPT]
    kept_arrangements = {
        arrangement for _pk, status, arrangement in flipped if arrangement and status == Promise.Status.KEPT
    }
    if missed:
        _apply_missed_instalments(missed, now=now, result=result)
    _complete_arrangements(kept_arrangements)
    return result


def _apply_missed_instalments(missed: list[tuple[int, int]], *, now: datetime, result: FlagResult) -> None:
    """Break the arrangement, or move the unpaid part of the instalment to the last one."""
    arrangements = {
        arrangement.pk: arrangement
        for arrangement in Arrangement.objects.select_for_update()
        .select_related("debtor__portfolio")
        .filter(pk__in={arrangement for _pk, arrangement in missed}, status=Arrangement.Status.ACTIVE)
    }
    paid = dict(
        PaymentAllocation.objects.filter(promise_id__in=[pk for pk, _a in missed])
        .values("promise_id")
        .annotate(total=Sum("amount"))
        .values_list("promise_id", "total")
    )
    amounts = dict(Promise.objects.filter(pk__in=[pk for pk, _a in missed]).values_list("pk", "amount"))
    for promise_id, arrangement_id in missed:
        arrangement = arrangements.get(arrangement_id)
        if arrangement is None or arrangement.status != Arrangement.Status.ACTIVE:
            continue
        rules = promise_rules_for(arrangement.debtor.portfolio)
        pending = list(arrangement.promises.filter(status=PENDING).order_by("-instalment_number"))
        if rules.missed_instalment == rules.MissedInstalment.CARRY_TO_END and pending:
            last = pending[0]
            shortfall = amounts[promise_id] - (paid.get(promise_id) or Decimal("0"))
            new_amount = last.amount + shortfall
            factor = new_amount / last.amount
            Promise.objects.filter(pk=last.pk).update(
                amount=new_amount,
                kept_threshold=(last.kept_threshold * factor).quantize(promise_rules.CENT),
                partial_threshold=(last.partial_threshold * factor).quantize(promise_rules.CENT),
            )
            result.amounts_carried += 1
            continue
        arrangement.status = Arrangement.Status.BROKEN
        arrangement.save(update_fields=["status"])
        _close_pending(
            [promise.pk for promise in pending],
            to_status=Promise.Status.CANCELLED,
            at=now,
            cause=PromiseEvent.Cause.JOB,
            note=_("Arrangement broken by a missed instalment"),
        )
        result.arrangements_broken += 1


# --- Outbox: reminders and their delivery ------------------------------------------------------

REMINDER_CHANNELS = ("whatsapp", "sms", "email")
# Waits before retrying a message the provider refused: 1 min, 5 min, 30 min, 2 h, 6 h.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claim older than this belongs to a worker that died while sending.
STALE_CLAIM = timedelta(minutes=10)
USABLE_PHONE_STATUSES = ("unknown", "valid")


def render_reminder(*, promise: Promise, channel: str) -> tuple[str, str]:
    """Subject and text of a reminder, in the debtor's language, amounts and dates in its style."""
    from collections_crm.templatetags.crm import money

    debtor = promise.debtor
    with translation.override(debtor.language):
        context = {
            "first_name": debtor.spoken_name.split()[0] if debtor.full_name else "",
            "creditor": debtor.portfolio.creditor.name,
            "amount": money(promise.amount, promise.currency),
            "due_date": formats.date_format(promise.due_date, "SHORT_DATE_FORMAT"),
        }
        body = render_to_string("messages/reminder.txt", context).strip()
        subject = render_to_string("messages/reminder_subject.txt", context).strip() if channel == "email" else ""
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


def reminder_messages_queue(*, promises: list[Promise], now: datetime, result) -> list[Promise]:
    """Queue a reminder message per promise where a consented channel exists.

    Returns the promises that need a reminder call instead. A message is queued for the
    first lawful moment on its channel; its idempotency key makes a second queueing a no-op.
    """
    from calls.policy import next_lawful_moments
    from debtors.models import Phone

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
        moments = next_lawful_moments([(promise.debtor, now) for promise, *_rest in batch], channel)
        for (promise, _channel, phone, recipient), send_after in zip(batch, moments):
            if send_after is None:
                result.no_lawful_moment += 1
                continue
            subject, body = render_reminder(promise=promise, channel=channel)
            messages.append(
                Message(
                    debtor_id=promise.debtor_id,
                    promise=promise,
                    phone=phone,
                    channel=channel,
                    purpose=Message.Purpose.REMINDER,
                    recipient=recipient,
                    language=promise.debtor.language,
                    subject=subject,
                    body=body,
                    idempotency_key=f"reminder:promise:{promise.pk}",
                    send_after=send_after,
                    created_at=now,
                )
            )
    Message.objects.bulk_create(messages, batch_size=2000, ignore_conflicts=True)
    result.reminder_messages += len(messages)
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
    )


def _mark_sent(message: Message, *, provider_id: str, at: datetime) -> None:
    """Sent: the outbox row, and the contact on the debtor's ledger the policy counts."""
    from calls.models import Call

    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.SENT, sent_at=at, provider_message_id=provider_id[:200], last_error=""
        )
        if updated:
            Call.objects.create(
                debtor_id=message.debtor_id,
                collector=None,
                phone_id=message.phone_id,
                channel=message.channel,
                direction=Call.Direction.OUTBOUND,
                started_at=at,
                outcome=Call.Outcome.MESSAGE_SENT,
                local_time=timezone.localtime(at, debtor_zone(message.debtor)).isoformat(),
                local_time_zone=message.debtor.time_zone,
                notes=message.body[:1000],
            )


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
    from calls.policy import check_contact

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
        verdict = check_contact(message.debtor, message.channel, now, phone=message.phone)
        if not verdict.allowed:
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
            provider_id = provider_for(message.channel).send(_outgoing(message))
        except (ProviderError, OSError) as error:
            if message.attempts >= MAX_ATTEMPTS:
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


# --- Arrangement limits and approval -----------------------------------------------------------
# A collector agrees what the portfolio's ArrangementLimits allow; beyond them the agreement is
# still made (the debtor is on the phone), but it waits in the supervisors' approval queue.
# While it waits its promises are pending like any other: judged when they lapse, reminded
# before they fall due. A rejection cancels the ones still pending.

MIN_SHARE = "min_share_of_balance"
MAX_DAYS_TO_FIRST = "max_days_to_first_payment"
MAX_INSTALMENTS = "max_instalments"
MAX_DISCOUNT = "max_discount"


def _limits_for(portfolio) -> ArrangementLimits:
    try:
        return portfolio.arrangement_limits
    except ArrangementLimits.DoesNotExist:
        return ArrangementLimits(portfolio=portfolio)


def _balance_for(debtor: Debtor, debt: Debt | None) -> Decimal:
    if debt is not None:
        return debt.balance
    total = debtor.debts.filter(recalled_on__isnull=True).aggregate(total=Sum("balance"))["total"]
    return total or Decimal("0")


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * promise_rules.HUNDRED / whole).quantize(promise_rules.CENT)


def arrangement_limits_check(
    *,
    debtor: Debtor,
    by,
    schedule: list[tuple[date, Decimal]],
    discount_amount: Decimal = Decimal("0"),
    debt: Debt | None = None,
    at: datetime | None = None,
) -> list[dict]:
    """The collector limits an agreement goes beyond, as {code, value, limit} rows.

    Empty for a supervisor or an admin (they have no limits) and for an agreement within
    them. The share of the balance counts what the agreement settles: what the debtor will
    pay plus any discount, against the balance of the debt (or of all the debtor's debts).
    """
    if by.is_supervisor or by.is_crm_admin:
        return []
    at = at or timezone.now()
    limits = _limits_for(debtor.portfolio)
    discount_amount = Decimal(discount_amount)
    total = sum((Decimal(amount) for _due, amount in schedule), Decimal("0"))
    balance = _balance_for(debtor, debt)
    breaches = []
    if balance > 0:
        share = _percent(total + discount_amount, balance)
        if share < limits.min_share_of_balance_percent:
            breaches.append(
                {
                    "code": MIN_SHARE,
                    "value": str(share),
                    "limit": str(Decimal(limits.min_share_of_balance_percent).quantize(promise_rules.CENT)),
                }
            )
    days = (min(due for due, _amount in schedule) - debtor_local_today(debtor, at)).days
    if days > limits.max_days_to_first_payment:
        breaches.append({"code": MAX_DAYS_TO_FIRST, "value": str(days), "limit": str(limits.max_days_to_first_payment)})
    if len(schedule) > limits.max_instalments:
        breaches.append({"code": MAX_INSTALMENTS, "value": str(len(schedule)), "limit": str(limits.max_instalments)})
    if discount_amount > 0:
        # A discount on no balance is beyond any limit.
        discount = _percent(discount_amount, balance) if balance > 0 else promise_rules.HUNDRED
        if discount > limits.max_discount_percent:
            breaches.append(
                {
                    "code": MAX_DISCOUNT,
                    "value": str(discount),
                    "limit": str(Decimal(limits.max_discount_percent).quantize(promise_rules.CENT)),
                }
            )
    return breaches


def _arrangement_awaiting_approval(breaches: list[dict], **arguments) -> Arrangement:
    arrangement = arrangement_create(**arguments)
    Arrangement.objects.filter(pk=arrangement.pk).update(
        approval_status=ApprovalStatus.PENDING, approval_reasons=breaches
    )
    arrangement.approval_status, arrangement.approval_reasons = ApprovalStatus.PENDING, breaches
    return arrangement


@transaction.atomic
def arrangement_propose(
    *,
    debtor: Debtor,
    collector,
    schedule: list[tuple[date, Decimal]],
    kind: str = Arrangement.Kind.INSTALMENTS,
    debt: Debt | None = None,
    call=None,
    discount_amount: Decimal = Decimal("0"),
    created_by=None,
    at: datetime | None = None,
) -> Arrangement:
    """`arrangement_create`, judged against the maker's limits: beyond them it awaits approval."""
    arguments = dict(
        debtor=debtor,
        collector=collector,
        schedule=schedule,
        kind=kind,
        debt=debt,
        call=call,
        discount_amount=discount_amount,
        created_by=created_by,
        at=at,
    )
    breaches = arrangement_limits_check(
        debtor=debtor, by=created_by or collector, schedule=schedule, discount_amount=discount_amount, debt=debt, at=at
    )
    if breaches:
        return _arrangement_awaiting_approval(breaches, **arguments)
    return arrangement_create(**arguments)


@transaction.atomic
def promise_propose(
    *,
    debtor: Debtor,
    collector,
    amount: Decimal,
    due_date: date,
    debt: Debt | None = None,
    call=None,
    created_by=None,
    at: datetime | None = None,
) -> Promise:
    """`promise_create`, judged against the maker's limits.

    Beyond them the promise is made as an arrangement of one instalment waiting for
    approval (`promise.arrangement`): the approval queue, its decisions and the cancelling
    on rejection then exist once, for arrangements, and dashboards still count one promise.
    """
    schedule = [(due_date, Decimal(amount))]
    breaches = arrangement_limits_check(debtor=debtor, by=created_by or collector, schedule=schedule, debt=debt, at=at)
    if not breaches:
        return _promise_create(
            debtor=debtor,
            collector=collector,
            amount=amount,
            due_date=due_date,
            debt=debt,
            call=call,
            created_by=created_by,
            at=at,
        )
    arrangement = _arrangement_awaiting_approval(
        breaches,
        debtor=debtor,
        collector=collector,
        schedule=schedule,
        debt=debt,
        call=call,
        created_by=created_by,
        at=at,
    )
    return arrangement.promises.get()


def _may_decide(user, debtor: Debtor) -> bool:
    """An admin, or a supervisor who leads the debtor's collector (or holds the debtor)."""
    from collections_crm.permissions import can_view_debtor

    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_crm_admin or (user.is_supervisor and can_view_debtor(user, debtor))


@transaction.atomic
def arrangement_approve(*, arrangement: Arrangement, by, at: datetime | None = None) -> Arrangement:
    """A supervisor of the debtor's team, or an admin, lets an arrangement beyond the limits stand."""
    if not _may_decide(by, arrangement.debtor):
        raise Http404
    at = at or timezone.now()
    # Compare-and-set: of two supervisors deciding at once, one decides, the other is told.
    decided = Arrangement.objects.filter(pk=arrangement.pk, approval_status=ApprovalStatus.PENDING).update(
        approval_status=ApprovalStatus.APPROVED, approved_by=by, approved_at=at
    )
    if not decided:
        raise ValidationError(_("This arrangement is not waiting for approval."), code="not_pending")
    arrangement.refresh_from_db()
    return arrangement


@transaction.atomic
def arrangement_reject(*, arrangement: Arrangement, by, reason: str, at: datetime | None = None) -> Arrangement:
    """Refuse an arrangement beyond the limits: it is cancelled with its pending promises."""
    if not _may_decide(by, arrangement.debtor):
        raise Http404
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the arrangement is rejected.")}, code="reason_missing")
    at = at or timezone.now()
    decided = Arrangement.objects.filter(pk=arrangement.pk, approval_status=ApprovalStatus.PENDING).update(
        approval_status=ApprovalStatus.REJECTED, approved_by=by, approved_at=at, rejection_reason=reason[:500]
    )
    if not decided:
        raise ValidationError(_("This arrangement is not waiting for approval."), code="not_pending")
    # A broken or completed arrangement keeps its status; only an active one is cancelled.
    Arrangement.objects.filter(pk=arrangement.pk, status=Arrangement.Status.ACTIVE).update(
        status=Arrangement.Status.CANCELLED
    )
    _close_pending(
        list(arrangement.promises.filter(status=PENDING).values_list("pk", flat=True)),
        to_status=Promise.Status.CANCELLED,
        at=at,
        cause=PromiseEvent.Cause.USER,
        by=by,
        note=reason[:500],
    )
    arrangement.refresh_from_db()
    return arrangement


# --- Dashboard rollups --------------------------------------------------------------------


ROLLUP_STATE = "dashboard"
# Ids are handed out when a row is inserted but become visible when its transaction commits,
# so a slow transaction can commit an id below the last one read. Each run also re-reads the
# ids up to ROLLUP_ID_OVERLAP behind the watermark that were written since shortly before the
# previous run (ROLLUP_LATE_COMMIT): those are the only rows a late commit can hide. The time
# bound keeps a bulk load's last thousand rows from being re-read every minute. Recomputing a
# day is idempotent, so reading a row twice is harmless.
ROLLUP_ID_OVERLAP = 1000
ROLLUP_LATE_COMMIT = timedelta(minutes=10)


def _since_watermark(queryset, *, last_id: int, up_to: int, stamp: str, since: datetime | None):
    """Rows with ids above the watermark, and recent rows just below it (see ROLLUP_ID_OVERLAP)."""
    fresh = Q(pk__gt=last_id)
    if since is not None:
        fresh |= Q(pk__gt=max(last_id - ROLLUP_ID_OVERLAP, 0), **{f"{stamp}__gte": since})
    return queryset.filter(fresh, pk__lte=up_to)


@dataclass
class RollupResult:
    full: bool
    made_days: int
    due_days: int
    payment_days: int
    call_days: int
    duration_ms: int


def reporting_zone() -> zoneinfo.ZoneInfo:
    return zone_for(settings.DASHBOARD_TIME_ZONE)


def _day_spans(days) -> list[tuple[date, date]]:
    """Runs of consecutive days as (first, last) pairs."""
    spans: list[list[date]] = []
    for day in sorted(set(days)):
        if spans and day == spans[-1][1] + timedelta(days=1):
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return [(first, last) for first, last in spans]


def _moment_filter(field: str, days) -> Q:
    """Moments on `days` in the reporting zone, as [start, end) ranges on `field`.

    Ranges on the timestamp, rather than a date computed per row, let its index serve the query.
    """
    zone = reporting_zone()
    condition = Q(pk__in=[])
    for first, last in _day_spans(days):
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        condition |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return condition


def _insert_select(model, columns: list[str], queryset) -> None:
    """INSERT INTO model (columns) SELECT …: the aggregate never leaves the database."""
    sql, params = queryset.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {sql}", params)


def _promise_rollup_rows(kind: str, condition: Q):
    if kind == "made":
        # What was promised does not depend on how it ended: made rows carry no status, so a
        # status change never touches them and they are half as many rows to read.
        day, status = TruncDate("created_at", tzinfo=reporting_zone()), Value("", output_field=CharField())
    else:
        day, status = F("due_date"), F("status")
    return (
        Promise.objects.filter(condition)
        .annotate(
            rollup_kind=Value(kind, output_field=CharField()),
            rollup_day=day,
            rollup_portfolio=F("debtor__portfolio_id"),
            rollup_status=status,
        )
        .values("rollup_kind", "rollup_day", "collector_id", "rollup_portfolio", "currency", "rollup_status")
        .annotate(rollup_count=Count("pk"), rollup_amount=Sum("amount"))
        .order_by()
    )


def _payment_rollup_rows(condition: Q):
    return (
        Payment.objects.filter(condition)
        .annotate(rollup_day=TruncDate("paid_at", tzinfo=reporting_zone()), rollup_portfolio=F("debtor__portfolio_id"))
        .values("rollup_day", "credited_to_id", "rollup_portfolio", "currency")
        .annotate(rollup_count=Count("pk"), rollup_amount=Sum("amount"))
        .order_by()
    )


def _call_rollup_rows(condition: Q):
    return (
        Call.objects.filter(condition, collector__isnull=False)
        .annotate(
            rollup_day=TruncDate("started_at", tzinfo=reporting_zone()), rollup_portfolio=F("debtor__portfolio_id")
        )
        .values("rollup_day", "collector_id", "rollup_portfolio")
        .annotate(rollup_calls=Count("pk"), rollup_right_party=Count("pk", filter=Q(outcome="right_party")))
        .order_by()
    )


CALL_ROLLUP_COLUMNS = ["day", "collector", "portfolio", "calls", "right_party"]
PROMISE_ROLLUP_COLUMNS = ["kind", "day", "collector", "portfolio", "currency", "status", "count", "amount"]
PAYMENT_ROLLUP_COLUMNS = ["day", "collector", "portfolio", "currency", "count", "amount"]


@transaction.atomic
def promise_rollups_refresh(*, full: bool = False, now: datetime | None = None) -> RollupResult:
    """Bring the dashboard rollups up to date with the promises and payments that changed.

    1. Lock the state row, so two runs never rebuild the same days at once.
    2. Read the promise events, payments and calls newer than the last run (with an overlap,
       see ROLLUP_ID_OVERLAP) and find the days they touch: the day each new promise was made,
       the due date of each promise that changed, each new payment's and call's day.
    3. For those days (all days when `full` or on the first run) delete the rollup rows and
       insert them again from one GROUP BY each. Idempotent: a day is recomputed, never added to.
    4. Move the watermarks and stamp "as of" with the moment the run began.
    """
    started = monotonic()
    now = now or timezone.now()
    RollupState.objects.get_or_create(name=ROLLUP_STATE)
    state = RollupState.objects.select_for_update().get(name=ROLLUP_STATE)
    last_event = PromiseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_promise = Promise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_payment = Payment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_call = Call.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    full = full or state.refreshed_at is None

    if full:
        PromiseRollup.objects.all().delete()
        PaymentRollup.objects.all().delete()
        _insert_select(PromiseRollup, PROMISE_ROLLUP_COLUMNS, _promise_rollup_rows("made", Q()))
        _insert_select(PromiseRollup, PROMISE_ROLLUP_COLUMNS, _promise_rollup_rows("due", Q()))
        _insert_select(PaymentRollup, PAYMENT_ROLLUP_COLUMNS, _payment_rollup_rows(Q()))
        CallRollup.objects.all().delete()
        _insert_select(CallRollup, CALL_ROLLUP_COLUMNS, _call_rollup_rows(Q()))
        made_days = due_days = payment_days = call_days = -1
    else:
        since = state.refreshed_at - ROLLUP_LATE_COMMIT
        events = _since_watermark(
            PromiseEvent.objects, last_id=state.last_event_id, up_to=last_event, stamp="at", since=since
        )
        # New promises by id (whoever inserted them, with or without an event), changed ones by event.
        new = _since_watermark(
            Promise.objects, last_id=state.last_promise_id, up_to=last_promise, stamp="created_at", since=since
        )
        made, due = set(), set()
        for made_day, due_date in (
            new.annotate(made_day=TruncDate("created_at", tzinfo=reporting_zone()))
            .values_list("made_day", "due_date")
            .distinct()
        ):
            made.add(made_day)
            due.add(due_date)
        due |= set(
            Promise.objects.filter(pk__in=events.values("promise_id")).values_list("due_date", flat=True).distinct()
        )
        paid = set(
            _since_watermark(
                Payment.objects, last_id=state.last_payment_id, up_to=last_payment, stamp="created_at", since=since
            )
            .annotate(paid_day=TruncDate("paid_at", tzinfo=reporting_zone()))
            .values_list("paid_day", flat=True)
            .distinct()
        )
        if made:
            PromiseRollup.objects.filter(kind="made", day__in=made).delete()
            _insert_select(
                PromiseRollup, PROMISE_ROLLUP_COLUMNS, _promise_rollup_rows("made", _moment_filter("created_at", made))
            )
        if due:
            PromiseRollup.objects.filter(kind="due", day__in=due).delete()
            _insert_select(PromiseRollup, PROMISE_ROLLUP_COLUMNS, _promise_rollup_rows("due", Q(due_date__in=due)))
        if paid:
            PaymentRollup.objects.filter(day__in=paid).delete()
            _insert_select(PaymentRollup, PAYMENT_ROLLUP_COLUMNS, _payment_rollup_rows(_moment_filter("paid_at", paid)))
        # Calls are logged once and not edited afterwards, so new ids are all that changes.
        called = set(
            _since_watermark(Call.objects, last_id=state.last_call_id, up_to=last_call, stamp="created_at", since=since)
            .annotate(call_day=TruncDate("started_at", tzinfo=reporting_zone()))
            .values_list("call_day", flat=True)
            .distinct()
        )
        if called:
            CallRollup.objects.filter(day__in=called).delete()
            _insert_select(CallRollup, CALL_ROLLUP_COLUMNS, _call_rollup_rows(_moment_filter("started_at", called)))
        made_days, due_days, payment_days, call_days = len(made), len(due), len(paid), len(called)

    duration_ms = int((monotonic() - started) * 1000)
    state.last_event_id = last_event
    state.last_promise_id = last_promise
    state.last_payment_id = last_payment
    state.last_call_id = last_call
    state.refreshed_at = now
    state.generation = uuid.uuid4().hex
    state.duration_ms = duration_ms
    state.days_refreshed = sum(max(days, 0) for days in (made_days, due_days, payment_days, call_days))
    state.save()
    return RollupResult(
        full=full,
        made_days=made_days,
        due_days=due_days,
        payment_days=payment_days,
        call_days=call_days,
        duration_ms=duration_ms,
    )


# --- Balance rollups (portfolio health) ---------------------------------------------------


def _folded_due_day(on: date):
    """A debt's due date, folded so that dates which age alike from `on` to `on + horizon` share one.

    A debt's bucket on day t only asks whether due_date >= t − b for each bucket edge b (0, 30,
    60, 90, 180 days). For t in [on, on + horizon] that answer can change only when the due date
    lies in [on − b, on − b + horizon − 1]: those days are kept as they are. Every other date
    gets the same answers as the last day of the gap it lies in (or `on + horizon` above the
    newest edge, `on − 181` below the oldest), so it is stored as that day: about five days per
    horizon day instead of one per due date, and exact on every day of the horizon.
    """
    horizon = AGING_HORIZON_DAYS
    edges = [0, *(upper for _, upper in BUCKET_UPPER_DAYS)]
    whens = [When(due_date__gte=on + timedelta(days=horizon), then=Value(on + timedelta(days=horizon)))]
    for edge, older in zip(edges, [*edges[1:], None]):
        whens.append(When(due_date__gte=on - timedelta(days=edge), then=F("due_date")))
        if older is not None:
            whens.append(
                When(due_date__gte=on - timedelta(days=older - horizon), then=Value(on - timedelta(days=edge + 1)))
            )
    return Case(*whens, default=Value(on - timedelta(days=edges[-1] + 1)), output_field=DateField())


@dataclass
class BalanceRollupResult:
    rows: int
    duration_ms: int


BALANCE_ROLLUP_COLUMNS = ["day", "assigned_to", "portfolio", "currency", "debts", "balance"]


def _balance_rollup_rows(on: date):
    return (
        Debt.objects.filter(balance__gt=0, recalled_on__isnull=True)
        .annotate(
            rollup_day=_folded_due_day(on),
            rollup_assigned=F("debtor__assigned_to_id"),
            rollup_portfolio=F("debtor__portfolio_id"),
        )
        .values("rollup_day", "rollup_assigned", "rollup_portfolio", "currency")
        .annotate(rollup_debts=Count("pk"), rollup_balance=Sum("balance"))
        .order_by()
    )


@transaction.atomic
def balance_rollups_refresh(*, now: datetime | None = None) -> BalanceRollupResult:
    """Recount the open debts by folded due day, collector, portfolio and currency (portfolio health).

    1. Lock the state row, so two runs never rebuild at once.
    2. Delete every row and insert them again from one GROUP BY over the open debts: balances
       change through payments, imports, recalls and reassignments alike, and one pass over the
       debts costs less than following each of them. Readers see the old rows until the commit.
    3. Stamp "as of" with the moment the run began and the day the due dates were folded from.
    """
    started = monotonic()
    now = now or timezone.now()
    on = timezone.localdate(now, timezone=reporting_zone())
    RollupState.objects.get_or_create(name=BALANCE_ROLLUP_STATE)
    state = RollupState.objects.select_for_update().get(name=BALANCE_ROLLUP_STATE)
    BalanceRollup.objects.all().delete()
    _insert_select(BalanceRollup, BALANCE_ROLLUP_COLUMNS, _balance_rollup_rows(on))
    duration_ms = int((monotonic() - started) * 1000)
    state.refreshed_at = now
    state.aged_on = on
    state.generation = uuid.uuid4().hex
    state.duration_ms = duration_ms
    state.save()
    return BalanceRollupResult(rows=BalanceRollup.objects.count(), duration_ms=duration_ms)


# --- Work management ------------------------------------------------------------------------


@dataclass
class ReassignmentPreview:
    debtors: int
    follow_ups: int


def _reassignable(*, by, debtors, to_collector):
    """The debtors of `debtors` that `by` may move to `to_collector` (not already theirs)."""
    from promises.selectors import collectors_for_user

    if not (by.is_supervisor or by.is_crm_admin):
        raise Http404
    if not collectors_for_user(by).filter(pk=to_collector.pk).exists():
        raise ValidationError(gettext("You can only give work to active collectors of your own teams."))
    return debtors.filter(debtor_scope(by)).exclude(assigned_to=to_collector)


def debtors_reassign_preview(*, by, debtors, to_collector) -> ReassignmentPreview:
    from calls.models import FollowUp

    movable = _reassignable(by=by, debtors=debtors, to_collector=to_collector)
    return ReassignmentPreview(
        debtors=movable.count(),
        follow_ups=FollowUp.objects.filter(debtor__in=movable.values("pk"), status=FollowUp.Status.OPEN).count(),
    )


@transaction.atomic
def debtors_reassign(
    *, by, debtors, to_collector, from_collector=None, criteria: str = "", at: datetime | None = None
) -> Reassignment:
    """Move debtors and their open follow-ups to another collector, in two UPDATE statements.

    Only debtors in `by`'s scope move (a supervisor's teams, an admin's all), only to a
    collector of `by`'s teams. Promises keep the collector they were made by: figures credit
    the work to who did it. The move is recorded (who, when, which debtors).
    """
    from calls.models import FollowUp

    at = at or timezone.now()
    movable = _reassignable(by=by, debtors=debtors, to_collector=to_collector)
    # Lock the rows first, so the ids recorded are exactly the rows updated.
    ids = list(movable.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    follow_ups = FollowUp.objects.filter(debtor_id__in=ids, status=FollowUp.Status.OPEN).update(
        assigned_to=to_collector
    )
    Debtor.objects.filter(pk__in=ids).update(assigned_to=to_collector, updated_at=at)
    return Reassignment.objects.create(
        by=by,
        at=at,
        to_collector=to_collector,
        from_collector=from_collector,
        debtor_count=len(ids),
        follow_up_count=follow_ups,
        debtor_ids=ids,
        criteria=criteria[:500],
    )
