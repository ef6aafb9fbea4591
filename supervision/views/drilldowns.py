"""The rows behind each dashboard figure: promises, calls, payments, debts."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from calls.models import Call, Channel
from collections_crm.lib.downloads import csv_response
from collections_crm.lib.paging import CappedPaginator
from promises.models import Payment, Promise
from supervision import selectors
from supervision.views.common import (
    BUCKET_LABELS,
    CSV_CHUNK,
    OUTCOME_LABELS,
    STATUS_LABELS,
    any_outside,
    currency_from,
    labels_of,
    moment_text,
    outside_scope_text,
    person_name,
    selection_from,
    supervisor_or_admin,
    wants_csv,
)


@login_required
def promises_behind(request):
    """The promises behind one dashboard figure, as a page or a streamed CSV."""
    user = request.user
    supervisor_or_admin(user)
    selection = selection_from(request)
    kind = "made" if request.GET.get("kind") == "made" else "due"
    status = request.GET.get("status", "")
    if status not in STATUS_LABELS:
        status = ""
    currency = currency_from(request)
    promises = selectors.promises_behind(
        user,
        period=selection.period,
        filters=selection.filters,
        kind=kind,
        status=status,
        currency=currency,
        zone=selection.zone,
    )
    if wants_csv(request):
        header = [
            gettext("Promise"),
            gettext("Debtor"),
            gettext("Customer code"),
            gettext("Portfolio"),
            gettext("Collector"),
            gettext("Amount"),
            gettext("Currency"),
            gettext("Due date"),
            gettext("Status"),
            gettext("Made"),
        ]
        statuses, outside, zone = labels_of(Promise.Status.choices), outside_scope_text(), selection.zone
        rows = (
            [
                p.pk if p.in_scope else "",
                p.debtor.full_name if p.in_scope else outside,
                p.debtor.external_id if p.in_scope else "",
                p.debtor.portfolio.name,
                person_name(p.collector),
                p.amount,
                p.currency,
                p.due_date.isoformat(),
                statuses.get(p.status, p.status),
                moment_text(p.created_at, zone),
            ]
            for p in promises.iterator(chunk_size=CSV_CHUNK)
        )
        name = (
            f"promises-{kind}-{status or 'all'}-{currency or 'all'}-{selection.period.start}-{selection.period.end}.csv"
        )
        return csv_response(name, header, rows)
    page = CappedPaginator(promises, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "outside_scope": any_outside(page),
        "kind": kind,
        "status": status,
        "status_label": STATUS_LABELS.get(status, ""),
        "currency": currency,
        "selection": selection,
        "query": selection.query,
        "this_query": f"{selection.query}&{urlencode({'kind': kind, 'status': status, 'currency': currency})}",
        "active_nav": "dashboard",
    }
    return render(request, "promises/promises_behind.html", context)


@login_required
def calls_behind(request):
    user = request.user
    supervisor_or_admin(user)
    selection = selection_from(request)
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in OUTCOME_LABELS else ""
    stance_reason = request.GET.get("stance_reason", "")
    stance_reason = stance_reason if stance_reason in dict(Call.StanceReason.choices) else ""
    calls = selectors.calls_behind(
        user,
        period=selection.period,
        filters=selection.filters,
        outcome=outcome,
        stance_reason=stance_reason,
        zone=selection.zone,
    )
    if wants_csv(request):
        header = [
            gettext("Call"),
            gettext("Started"),
            gettext("Debtor"),
            gettext("Portfolio"),
            gettext("Collector"),
            gettext("Channel"),
            gettext("Outcome"),
            gettext("Stance"),
            gettext("Reason"),
            gettext("Commitment"),
            gettext("Notes"),
            gettext("QA score"),
        ]
        channels, outcomes = labels_of(Channel.choices), labels_of(Call.Outcome.choices)
        stances, reasons, commitments = (
            labels_of(Call.Stance.choices),
            labels_of(Call.StanceReason.choices),
            labels_of(Call.Commitment.choices),
        )
        outside, zone = outside_scope_text(), selection.zone
        rows = (
            [
                c.pk if c.in_scope else "",
                moment_text(c.started_at, zone),
                c.debtor.full_name if c.in_scope else outside,
                c.debtor.portfolio.name,
                person_name(c.collector),
                channels.get(c.channel, c.channel),
                outcomes.get(c.outcome, c.outcome),
                stances.get(c.stance, c.stance),
                reasons.get(c.stance_reason, c.stance_reason),
                commitments.get(c.commitment, c.commitment),
                c.notes if c.in_scope else "",
                getattr(getattr(c, "review", None), "score", ""),
            ]
            for c in calls.iterator(chunk_size=CSV_CHUNK)
        )
        return csv_response(f"calls-{selection.period.start}-{selection.period.end}.csv", header, rows)
    page = CappedPaginator(calls, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "outside_scope": any_outside(page),
        "outcome_label": OUTCOME_LABELS.get(outcome, ""),
        "selection": selection,
        "query": selection.query,
        "this_query": f"{selection.query}&{urlencode({'outcome': outcome, 'stance_reason': stance_reason})}",
        "active_nav": "dashboard",
    }
    return render(request, "promises/calls_behind.html", context)


@login_required
def payments_behind(request):
    user = request.user
    supervisor_or_admin(user)
    selection = selection_from(request)
    currency = currency_from(request)
    payments = selectors.payments_behind(
        user, period=selection.period, filters=selection.filters, currency=currency, zone=selection.zone
    )
    if wants_csv(request):
        header = [
            gettext("Payment"),
            gettext("Paid at"),
            gettext("Debtor"),
            gettext("Portfolio"),
            gettext("Credited to"),
            gettext("Amount"),
            gettext("Currency"),
            gettext("Reference"),
            gettext("Source"),
        ]
        sources, outside, zone = labels_of(Payment.Source.choices), outside_scope_text(), selection.zone
        rows = (
            [
                p.pk if p.in_scope else "",
                moment_text(p.paid_at, zone),
                p.debtor.full_name if p.in_scope else outside,
                p.debtor.portfolio.name,
                person_name(p.credited_to),
                p.amount,
                p.currency,
                p.reference if p.in_scope else "",
                sources.get(p.source, p.source),
            ]
            for p in payments.iterator(chunk_size=CSV_CHUNK)
        )
        return csv_response(
            f"payments-{currency or 'all'}-{selection.period.start}-{selection.period.end}.csv", header, rows
        )
    page = CappedPaginator(payments, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "outside_scope": any_outside(page),
        "currency": currency,
        "selection": selection,
        "query": selection.query,
        "this_query": f"{selection.query}&{urlencode({'currency': currency})}",
        "active_nav": "dashboard",
    }
    return render(request, "promises/payments_behind.html", context)


@login_required
def debts_behind(request):
    """The debts (and their debtors) in one aging bucket, in the currency of the row clicked."""
    user = request.user
    supervisor_or_admin(user)
    selection = selection_from(request)
    bucket = request.GET.get("bucket", "")
    if bucket not in BUCKET_LABELS:
        raise Http404
    currency = currency_from(request)
    today = timezone.localdate(timezone=selection.zone)
    debts = selectors.debts_in_bucket(user, selection.filters, bucket, today, currency=currency)
    if wants_csv(request):
        header = [
            gettext("Debtor"),
            gettext("Customer code"),
            gettext("Portfolio"),
            gettext("Assigned collector"),
            gettext("Account reference"),
            gettext("Balance"),
            gettext("Currency"),
            gettext("Due date"),
        ]
        rows = (
            [
                d.debtor.full_name,
                d.debtor.external_id,
                d.debtor.portfolio.name,
                person_name(d.debtor.assigned_to),
                d.account_reference,
                d.balance,
                d.currency,
                d.due_date.isoformat(),
            ]
            for d in debts.iterator(chunk_size=CSV_CHUNK)
        )
        return csv_response(f"debts-{bucket}-{currency or 'all'}-{today}.csv", header, rows)
    page = CappedPaginator(debts, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "bucket_label": BUCKET_LABELS[bucket],
        "currency": currency,
        "selection": selection,
        "query": selection.query,
        "this_query": f"{selection.query}&{urlencode({'bucket': bucket, 'currency': currency})}",
        "active_nav": "dashboard",
    }
    return render(request, "promises/debts_behind.html", context)
