from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from django.utils import timezone

from calls.policy import check_contact
from calls.selectors import calls_for_debtor
from collections_crm.models import Heartbeat
from collections_crm.permissions import can_manage_portfolios, can_record_payments
from debtors import selectors
from promises.forms import PaymentForm
from promises.selectors import promises_for_debtor


@login_required
def debtor_list(request):
    search = request.GET.get("q", "")
    page = Paginator(selectors.debtor_list_for_user(request.user, search=search), 50).get_page(
        request.GET.get("page")
    )
    for debtor in page:
        debtor.days_past_due = selectors.days_past_due(
            debtor.oldest_unpaid_due, selectors.debtor_local_today(debtor)
        )
    return render(request, "debtors/debtor_list.html", {"page": page, "search": search, "active_nav": "debtors"})


@login_required
def debtor_detail(request, pk: int):
    debtor = selectors.debtor_get_for_user(request.user, pk)
    return render(request, "debtors/debtor_detail.html", debtor_detail_context(request, debtor))


def debtor_detail_context(request, debtor, *, call_form=None) -> dict:
    """Everything the debtor page shows; the call view passes back a form with errors."""
    from calls.forms import CallLogForm

    today = selectors.debtor_local_today(debtor)
    debts = list(debtor.debts.all())
    for debt in debts:
        debt.dpd = debt.days_past_due(today)
        debt.bucket = _bucket_label(debt.dpd)
    promises = list(promises_for_debtor(debtor))
    calls = list(calls_for_debtor(debtor))
    payments = list(debtor.payments.select_related("debt", "recorded_by"))
    messages = list(debtor.messages.all())
    timeline = _timeline(calls, promises, payments, messages)
    days = selectors.days_past_due(debtor.oldest_unpaid_due, today)
    verdict = check_contact(debtor, "voice", timezone.now())
    phones = list(debtor.phones.all())
    can_override = can_override_contact_policy(request.user)
    if call_form is None:
        call_form = CallLogForm(debtor=debtor, phones=phones, can_override=can_override)
    return {
        "debtor": debtor,
        "debts": debts,
        "phones": phones,
        "promises": promises,
        "timeline": timeline,
        "days_past_due": days,
        "aging_bucket": _bucket_label(days),
        "local_now": selectors.debtor_local_now(debtor),
        "verdict": verdict,
        "payment_form": PaymentForm(debtor=debtor) if can_record_payments(request.user) else None,
        "call_form": call_form,
        "call_guide": _call_guide(promises),
        "active_nav": "debtors",
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


def _timeline(calls, promises, payments, messages) -> list[dict]:
    """Calls, promise status changes, payments and messages, newest first."""
    # A sent message is also on the ledger as a contact; the message entry tells its story.
    entries = [
        {"kind": "call", "at": call.started_at, "call": call} for call in calls if call.outcome != "message_sent"
    ]
    entries.extend({"kind": "message", "at": message.sent_at or message.created_at, "message": message} for message in messages)
    for promise in promises:
        for event in promise.events.all():
            entries.append({"kind": "promise_event", "at": event.at, "event": event, "promise": promise})
    entries.extend({"kind": "payment", "at": payment.paid_at, "payment": payment} for payment in payments)
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries


@login_required
def portfolio_list(request):
    if not can_manage_portfolios(request.user):
        raise Http404
    context = {
        "portfolios": selectors.portfolio_overview(),
        "heartbeats": {beat.name: beat for beat in Heartbeat.objects.all()},
        "active_nav": "portfolios",
    }
    return render(request, "debtors/portfolio_list.html", context)
