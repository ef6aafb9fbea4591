"""Preventive reminders: a message before, on or after a debt's own due date, as the debtor's
strategy (else the portfolio's promise rules) says; only where the debtor consented to a
channel, at a lawful moment, at most once per debtor, due date and day."""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, Max, OuterRef
from django.template.loader import render_to_string
from django.utils import formats, translation

from collections_crm.lib.timezones import debtor_zone
from collections_crm.templatetags.crm import money
from debtors.models import Debt, Phone
from promises.models import Message, Promise, PromiseRules, Strategy
from promises.selectors import due_reminder_offsets, promise_rules_for, strategies_by_debtor
from promises.services.outbox import REMINDER_CHANNELS, _reminder_route, placeholder_values


def _widest_window() -> tuple[int, int, bool]:
    """The most days before and after any portfolio or strategy reminds, and whether any
    reminds on the day: the coarse window read from the database."""
    rules = PromiseRules.objects.aggregate(before=Max("due_reminder_days_before"), after=Max("due_reminder_days_after"))
    strategies = Strategy.objects.aggregate(
        before=Max("due_reminder_days_before"), after=Max("due_reminder_days_after")
    )
    on_the_day = (
        PromiseRules.objects.filter(due_reminder_on_the_day=True).exists()
        or Strategy.objects.filter(due_reminder_on_the_day=True).exists()
    )
    before = max(rules["before"] or 0, strategies["before"] or 0)
    after = max(rules["after"] or 0, strategies["after"] or 0)
    return before, after, on_the_day


def render_due_reminder(*, debtor, amount: Decimal, currency: str, due_date, days_to_due: int, channel: str):
    with translation.override(debtor.language):
        context = {
            "first_name": debtor.spoken_name.split()[0] if debtor.full_name else "",
            "creditor": debtor.portfolio.creditor.name,
            "amount": money(amount, currency),
            "due_date": formats.date_format(due_date, "SHORT_DATE_FORMAT"),
            "days_to_due": days_to_due,
            "channel": channel,
        }
        body = render_to_string("messages/due_reminder.txt", context).strip()
        subject = render_to_string("messages/due_reminder_subject.txt", context).strip() if channel == "email" else ""
    return subject.replace("\u00a0", " "), body.replace("\u00a0", " ")


def _due_today(now: datetime, before: int, after: int) -> dict[tuple[int, object, int], list[Debt]]:
    """Open debts whose reminder day is today on their debtor's calendar, grouped by (debtor,
    due date, days to the due date). Debtors with a pending promise are left out: the promise
    has reminders of its own."""
    today = now.date()
    pending = Promise.objects.filter(debtor_id=OuterRef("debtor_id"), status=Promise.Status.PENDING)
    debts = (
        Debt.objects.filter(
            balance__gt=0,
            recalled_on__isnull=True,
            due_date__gte=today - timedelta(days=after + 1),
            due_date__lte=today + timedelta(days=before + 1),
        )
        .exclude(Exists(pending))
        .select_related("debtor__portfolio__creditor", "debtor__portfolio__promise_rules", "debtor__assigned_to")
        .order_by()
    )
    debts = list(debts)
    strategies = strategies_by_debtor({debt.debtor_id for debt in debts})
    groups = defaultdict(list)
    for debt in debts:
        debtor = debt.debtor
        offsets = due_reminder_offsets(promise_rules_for(debtor.portfolio), strategies.get(debtor.pk))
        days_after_due = (now.astimezone(debtor_zone(debtor)).date() - debt.due_date).days
        if days_after_due in offsets:
            groups[(debtor.pk, debt.due_date, -days_after_due)].append(debt)
    return groups


def due_date_reminders_queue(*, now: datetime, result, lawful_moments: Callable) -> None:
    """Queue today's preventive reminders (see the module docstring); `lawful_moments` is the
    contact policy's, passed by the scheduler a layer above."""
    before, after, on_the_day = _widest_window()
    if not (before or after or on_the_day):
        return
    groups = _due_today(now, before, after)
    keys = {group: f"due:{group[0]}:{group[1].isoformat()}:{group[2]}" for group in groups}
    queued = set(Message.objects.filter(idempotency_key__in=keys.values()).values_list("idempotency_key", flat=True))
    groups = {group: debts for group, debts in groups.items() if keys[group] not in queued}
    phones = defaultdict(list)
    for phone in Phone.objects.filter(debtor_id__in={debtor_id for debtor_id, *_rest in groups}):
        phones[phone.debtor_id].append(phone)
    routed = defaultdict(list)
    for group, debts in groups.items():
        route = _reminder_route(debts[0].debtor, phones[group[0]])
        if route is not None:
            routed[route[0]].append((group, debts, route))
    messages = []
    for channel in REMINDER_CHANNELS:
        batch = routed.get(channel, [])
        if not batch:
            continue
        moments = lawful_moments([(debts[0].debtor, now) for _group, debts, _route in batch], channel)
        for ((debtor_id, due_date, days_to_due), debts, route), send_after in zip(batch, moments):
            if send_after is None:
                result.no_lawful_moment += 1
                continue
            debtor = debts[0].debtor
            subject, body = render_due_reminder(
                debtor=debtor,
                amount=sum((debt.balance for debt in debts), Decimal("0")),
                currency=debts[0].currency,
                due_date=due_date,
                days_to_due=days_to_due,
                channel=channel,
            )
            messages.append(
                Message(
                    debtor_id=debtor_id,
                    phone=route[1],
                    channel=channel,
                    purpose=Message.Purpose.DUE_DATE,
                    recipient=route[2],
                    language=debtor.language,
                    subject=subject,
                    body=body,
                    idempotency_key=keys[(debtor_id, due_date, days_to_due)],
                    placeholder_values=placeholder_values(
                        debtor,
                        amount=sum(debt.balance for debt in debts),
                        currency=debts[0].currency,
                        due_date=due_date,
                    ),
                    send_after=send_after,
                    created_at=now,
                )
            )
    Message.objects.bulk_create(messages, batch_size=2000, ignore_conflicts=True)
    result.due_date_messages += len(messages)
