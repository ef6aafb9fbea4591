"""The debtor page: account, call form, call guide, follow-ups and the timeline of everything
that happened with the debtor."""

import zoneinfo

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language, gettext

from calls import selectors as call_selectors
from calls.dialers import dialer_name
from calls.forms import FollowUpDoneForm, FollowUpMoveForm, LetterForm
from calls.models.call import SYSTEM_OUTCOMES
from calls.policy import check_contact
from calls.selectors import calls_for_debtor
from calls.services import best_windows
from calls.templatetags.desk import choice_labels
from collections_crm.lib.clock import Clock
from collections_crm.lib.timezones import debtor_local_now, debtor_local_today, zone_for
from collections_crm.permissions import can_record_payments
from collections_crm.templatetags.crm import money
from conversations.selectors import inbound_for_debtor
from debtors import selectors
from debtors.selectors import permission_history
from desk.agreements import agreements_box
from desk.replies import INBOUND_POLL_SECONDS, reply_box
from promises.forms import PaymentForm
from promises.selectors import promises_for_debtor, with_account_and_promise_figures
from scoring.selectors import score_explained, treatment_explained
from selfservice.selectors import self_service_history

# Channels whose contacts the outbox and the webhooks record with a message entry of their own.
MESSAGE_CHANNELS = ("sms", "whatsapp", "email")


@login_required
def debtor_detail(request, pk: int):
    debtor = selectors.debtor_get_for_user(request.user, pk, with_figures=_figures_and_score)
    return render(request, "debtors/debtor_detail.html", debtor_detail_context(request, debtor))


def _figures_and_score(queryset):
    return selectors.with_payment_score(with_account_and_promise_figures(queryset))


def debtor_detail_context(request, debtor, *, call_form=None) -> dict:
    """Everything the debtor page shows; the call view passes back a form with errors."""
    from calls.forms import CallLogForm

    today = debtor_local_today(debtor)
    debts = list(debtor.debts.all())
    for debt in debts:
        debt.dpd = debt.days_past_due(today)
        debt.bucket = _bucket_label(debt.dpd)
    promises = list(promises_for_debtor(debtor))
    calls = list(calls_for_debtor(debtor))
    payments = list(debtor.payments.select_related("debt", "recorded_by"))
    messages = list(debtor.messages.all())
    inbound = list(inbound_for_debtor(debtor).select_related("attached_by"))
    agreements = agreements_box(debtor)
    timeline = timeline_entries(
        calls,
        promises,
        payments,
        messages,
        inbound=inbound,
        time_zone=debtor.time_zone,
        documents=agreements["documents"],
        self_service=self_service_history(debtor),
        **permission_history(debtor),
    )
    days = selectors.days_past_due(debtor.oldest_unpaid_due, today)
    verdict = check_contact(debtor, "voice", timezone.now())
    phones = list(debtor.phones.all())
    windows = best_windows([phone.pk for phone in phones])
    for phone in phones:
        phone.best_window = best_window_text(windows.get(phone.pk))
    can_override = can_override_contact_policy(request.user)
    if call_form is None:
        call_form = CallLogForm(
            debtor=debtor,
            phones=phones,
            can_override=can_override,
            initial={"dialer_call_id": request.GET.get("dialer_call_id", "")[:64]},
        )
    return {
        "debtor": debtor,
        "debts": debts,
        "phones": phones,
        "promises": promises,
        "timeline": timeline,
        "days_past_due": days,
        "aging_bucket": _bucket_label(days),
        "local_now": debtor_local_now(debtor),
        "verdict": verdict,
        "payment_form": PaymentForm(debtor=debtor) if can_record_payments(request.user) else None,
        "call_form": call_form,
        "call_guide": _call_guide(promises),
        "score": score_explained(debtor),
        "treatment": treatment_explained(debtor),
        "follow_up_panel": follow_up_panel(debtor),
        "reply_box": reply_box(debtor, phones),
        "inbound_notice": {"debtor": debtor, "after": timezone.now().isoformat(), "poll_seconds": INBOUND_POLL_SECONDS},
        "letter_form": LetterForm(debtor=debtor, can_override=can_override),
        "click_to_call": dialer_name() != "tel",
        "agreements": agreements,
        "active_nav": "debtors",
    }


def follow_up_panel(debtor, *, bound: dict | None = None, notice: str = "") -> dict:
    """The debtor page's follow-ups box: the open ones, each with its two forms, and the
    latest changes. `bound` holds the submitted form of one follow-up ({"pk", "done"|"move"})
    so that its errors show where they were made; `notice` says what just happened."""
    bound = bound or {}
    now = timezone.now()
    open_follow_ups = list(call_selectors.open_follow_ups_for_debtor(debtor))
    for follow_up in open_follow_ups:
        prefix = f"fu{follow_up.pk}"
        follow_up.is_due = follow_up.due_at <= now
        follow_up.done_form = (bound.get("pk") == follow_up.pk and bound.get("done")) or FollowUpDoneForm(
            auto_id=f"id_{prefix}_done_%s"
        )
        follow_up.move_form = (bound.get("pk") == follow_up.pk and bound.get("move")) or FollowUpMoveForm(
            auto_id=f"id_{prefix}_move_%s", time_zone=debtor.time_zone
        )
        follow_up.commitment_label = (
            follow_up.call.get_commitment_display() if follow_up.call_id and follow_up.call.commitment else ""
        )
    return {
        "open": open_follow_ups,
        "changes": list(call_selectors.follow_up_changes_for_debtor(debtor)),
        "notice": notice,
    }


def can_override_contact_policy(user) -> bool:
    # Who may override is the service's rule; this only decides whether to offer the box.
    return bool(user.is_supervisor or user.is_crm_admin)


def _call_guide(promises) -> dict:
    """What the call guide needs beyond the debtor: the latest promise made (already loaded)."""
    last = max(promises, key=lambda promise: (promise.created_at, promise.pk), default=None)
    return {"last_promise": last}


def _bucket_label(days: int) -> str:
    from debtors.models import AgingBucket, aging_bucket_for

    return AgingBucket(aging_bucket_for(days)).label


def timeline_entries(
    calls,
    promises,
    payments,
    messages,
    *,
    inbound=(),
    hold_changes=(),
    consent_changes=(),
    documents=(),
    self_service=(),
    time_zone: str,
) -> list[dict]:
    """Calls, promise status changes, payments, messages sent and received, holds set or lifted
    and consents given or withdrawn, newest first, each with its text.

    The texts of an entry (labels, amounts, the reader's and the debtor's clock) are looked up
    here, once per page; the markup is the page's `timeline` partial. A 200-entry history
    through template tags and filters cost most of the debtor page's time (bench_desk), so
    the template only prints. `time_zone` is the debtor's, for their local clock.
    """
    # A message sent or received is also on the ledger as a contact; its own entry tells its story.
    entries = [
        {"kind": "call", "at": call.started_at, "call": call}
        for call in calls
        if call.outcome not in SYSTEM_OUTCOMES or call.channel not in MESSAGE_CHANNELS
    ]
    entries.extend({"kind": "inbound", "at": message.received_at, "message": message} for message in inbound)
    entries.extend(
        {"kind": "message", "at": message.sent_at or message.created_at, "message": message} for message in messages
    )
    for promise in promises:
        for event in promise.events.all():
            entries.append({"kind": "promise_event", "at": event.at, "event": event, "promise": promise})
    entries.extend({"kind": "payment", "at": payment.paid_at, "payment": payment} for payment in payments)
    entries.extend({"kind": "hold_change", "at": change.at, "change": change} for change in hold_changes)
    entries.extend({"kind": "consent_change", "at": change.at, "change": change} for change in consent_changes)
    entries.extend({"kind": "document", "at": document.created_at, "document": document} for document in documents)
    entries.extend({"kind": "self_service", "at": event.at, "event": event} for event in self_service)
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    _TimelineText(time_zone).fill(entries)
    return entries


class _TimelineText:
    """What each timeline entry prints, as plain text (the markup is in the debtor page's
    `timeline` partial). Labels and the clock are looked up once per page."""

    def __init__(self, time_zone: str):
        try:
            self.zone = zone_for(time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.zone = None
        self.language = get_language()
        self.clock = Clock.current()  # the debtor's clock in the style of the reader's

    def label(self, instance, field_name: str) -> str:
        value = getattr(instance, field_name)
        return choice_labels(type(instance), field_name, self.language).get(value, value)

    def fill(self, entries) -> None:
        texts = {
            "call": self.call,
            "promise_event": self.promise_event,
            "message": self.message,
            "inbound": self.inbound,
            "payment": self.payment,
            "hold_change": self.hold_change,
            "consent_change": self.consent_change,
            "document": self.document,
            "self_service": self.self_service,
        }
        for entry in entries:
            at = entry["at"]
            reader_at = timezone.localtime(at)
            entry["iso"] = reader_at.isoformat()
            entry["when"] = self.clock.short_datetime(reader_at)
            entry["debtor_time"] = self.clock.time(at.astimezone(self.zone)) if self.zone else "—"
            entry.update(texts[entry["kind"]](entry))

    @staticmethod
    def _person(user) -> str:
        return user.get_full_name() or user.username

    # Every entry prints the same parts (the debtor page's `timeline` partial): a title in bold,
    # its details, a status tag, a muted remark and a note; all but the title may be empty.

    def call(self, entry) -> dict:
        call = entry["call"]
        details = [self.label(call, "outcome")]
        if call.stance:
            details.append(f"{self.label(call, 'stance')}: {self.label(call, 'stance_reason')}")
        if call.commitment:
            details.append(self.label(call, "commitment"))
        text = " · " + " · ".join(details)
        if call.no_commitment_reason:
            text += f" ({call.no_commitment_reason})"
        return {
            "title": self.label(call, "channel"),
            "text": text,
            "muted": f"· {self._person(call.collector)}" if call.collector_id else "",
            "note": call.notes,
        }

    def promise_event(self, entry) -> dict:
        event, promise = entry["event"], entry["promise"]
        title = gettext("Promise of %(amount)s due %(due_date)s") % {
            "amount": money(promise.amount, promise.currency),
            "due_date": formats.date_format(promise.due_date, "SHORT_DATE_FORMAT"),
        }
        by = f" · {self._person(event.by)}" if event.by_id else ""
        return {
            "title": title,
            "text": f": {self.label(event, 'from_status')} →" if event.from_status else ":",
            "tag": self.label(event, "to_status"),
            "tag_class": f"status-{event.to_status}",
            "muted": f"· {self.label(event, 'cause')}{by}",
        }

    def message(self, entry) -> dict:
        message = entry["message"]
        remarks = []
        if message.status == "queued":
            moment = timezone.localtime(message.send_after) if message.send_after else None
            when = self.clock.short_datetime(moment) if moment else ""
            remarks.append(gettext("to be sent %(moment)s") % {"moment": when})
        if message.last_error:
            remarks.append(f"· {message.last_error}")
        status = message.status
        return {
            "title": self.label(message, "channel"),
            "text": f" · {self.label(message, 'purpose')} → {message.recipient}",
            "tag": self.label(message, "status"),
            "tag_class": "ok"
            if status in ("sent", "delivered", "read")
            else "danger"
            if status in ("failed", "blocked")
            else "",
            "muted": " ".join(remarks),
            "note": message.body,
        }

    def inbound(self, entry) -> dict:
        message = entry["message"]
        attached = ""
        if message.attached_by_id:
            attached = gettext("attached by %(person)s") % {"person": self._person(message.attached_by)}
        return {
            "title": self.label(message, "channel"),
            "text": " ← " + (message.sender or "—"),
            "tag": self.label(message, "keyword") if message.keyword else gettext("Debtor wrote"),
            "tag_class": "warn" if message.keyword == "stop" else "ok" if message.keyword else "",
            "muted": attached,
            "note": message.body,
        }

    def payment(self, entry) -> dict:
        payment = entry["payment"]
        return {
            "title": gettext("Payment of %(amount)s") % {"amount": money(payment.amount, payment.currency)},
            "text": f" · {self.label(payment, 'source')} · {payment.reference}",
        }

    def _changed_by(self, change) -> str:
        parts = [self.label(change, "source")]
        if change.by_id:
            parts.append(self._person(change.by))
        return "· " + " · ".join(parts)

    def hold_change(self, entry) -> dict:
        change = entry["change"]
        return {
            "title": gettext("Hold: %(hold)s") % {"hold": self.label(change, "hold")},
            "tag": gettext("Set") if change.is_set else gettext("Lifted"),
            "tag_class": "warn" if change.is_set else "ok",
            "muted": self._changed_by(change),
            "note": change.reason,
        }

    def consent_change(self, entry) -> dict:
        change = entry["change"]
        muted = self._changed_by(change)
        if change.detail:
            muted += f" · {change.detail}"
        return {
            "title": gettext("Consent to %(channel)s") % {"channel": self.label(change, "channel")},
            "text": f" · {change.number}",
            "tag": gettext("Given") if change.granted else gettext("Withdrawn"),
            "tag_class": "ok" if change.granted else "warn",
            "muted": muted,
            "note": change.reason,
        }

    def document(self, entry) -> dict:
        document = entry["document"]
        return {
            "title": f"{self.label(document, 'kind')} {document.reference}",
            "muted": f"· {self.label(document, 'source')}"
            + (f" · {self._person(document.created_by)}" if document.created_by_id else ""),
            "href": reverse("documents:download", args=[document.pk]),
            "link_text": gettext("PDF"),
        }

    def self_service(self, entry) -> dict:
        event = entry["event"]
        return {
            "title": gettext("Self-service page"),
            "text": f" · {self.label(event, 'kind')}",
            "tag_class": "warn" if event.kind in ("identity_failed", "locked", "refused", "rate_limited") else "",
            "muted": f"· {event.ip}" if event.ip else "",
            "note": event.detail,
        }


def best_window_text(window) -> str:
    """ "Best time: Tuesday 18:00–19:00 (reached 2 of 3)", in the debtor's own day; empty when
    the number has never been answered."""
    if window is None:
        return ""
    return gettext("Best time: %(weekday)s %(start)02d:00–%(end)02d:00 (reached %(reached)s of %(attempts)s)") % {
        "weekday": WEEKDAYS[window.weekday],
        "start": window.hour,
        "end": (window.hour + 1) % 24,
        "reached": window.right_party,
        "attempts": window.attempts,
    }
