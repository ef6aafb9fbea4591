"""Portfolio health: balances by bucket, roll rates and what the debtors' stances led to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from collections_crm.lib.downloads import csv_response
from debtors.models import AgingBucket, Portfolio
from scoring.selectors import score_calibration
from scoring.tasks import score_debtors
from supervision import selectors
from supervision.views.common import (
    BUCKET_LABELS,
    PERIODS,
    labels_of,
    money_cell,
    ratio_cell,
    selection_from,
    supervisor_or_admin,
    wants_csv,
)


@login_required
def portfolio_health(request):
    """Balances by aging bucket, roll rates month over month, objections and situations."""
    user = request.user
    supervisor_or_admin(user)
    selection = selection_from(request)
    today = timezone.localdate(timezone=selection.zone)
    state = selectors.balance_rollup_state(today)
    balances = selectors.aging_figures(user, selection.filters, today, state)
    stances = selectors.stance_outcomes(user, selection.period, selection.filters, zone=selection.zone)
    table = request.GET.get("table")
    buckets = labels_of(AgingBucket.choices)
    if wants_csv(request) and table == "stances":
        header = [
            gettext("Stance"),
            gettext("Reason"),
            gettext("Calls"),
            gettext("Promises"),
            gettext("Kept"),
            gettext("Kept rate"),
        ]
        rows = [
            [
                str(r["stance_label"]),
                str(r["reason_label"]),
                r["calls"],
                r["promises"],
                r["kept"],
                ratio_cell(r["kept_rate"]),
            ]
            for r in stances
        ]
        return csv_response("objections-and-situations.csv", header, rows)
    if wants_csv(request) and table == "rolls":
        rolls = selectors.roll_rates(user, selection.filters, today)
        header = [
            gettext("From"),
            gettext("To"),
            gettext("Aging bucket"),
            *[buckets[b] for b in selectors.BUCKETS],
            gettext("Left"),
            gettext("Roll rate"),
            gettext("Cure rate"),
        ]
        rows = (
            [
                roll["from"].isoformat(),
                roll["to"].isoformat(),
                buckets[line["bucket"]],
                *line["cells"],
                ratio_cell(line["roll_rate"]),
                ratio_cell(line["cure_rate"]),
            ]
            for roll in rolls
            for line in roll["lines"]
        )
        return csv_response(f"roll-rates-{today}.csv", header, rows)
    if wants_csv(request):
        header = [gettext("Currency"), gettext("Aging bucket"), gettext("Debts"), gettext("Balance")]
        rows = (
            [row["currency"], buckets[cell["bucket"]], cell["debts"], money_cell(cell["balance"])]
            for row in balances
            for cell in row["buckets"]
        )
        return csv_response(f"balances-by-aging-{today}.csv", header, rows)
    rolls = selectors.roll_rates(user, selection.filters, today)
    for row in balances:
        for cell in row["buckets"]:
            cell["label"] = BUCKET_LABELS[cell["bucket"]]
    context = {
        "selection": selection,
        "periods": PERIODS,
        "query": selection.query,
        "today": today,
        "state": state,
        "balances": balances,
        "aging_chart": [
            {
                "currency": row["currency"],
                "labels": [str(cell["label"]) for cell in row["buckets"]],
                "data": [float(cell["balance"]) for cell in row["buckets"]],
            }
            for row in balances
        ],
        "bucket_labels": [BUCKET_LABELS[b] for b in selectors.BUCKETS],
        "rolls": rolls,
        "stances": stances,
        "calibration": score_calibration(
            portfolio_id=selection.filters.portfolio, creditor_id=selection.filters.creditor
        ),
        "options": selectors.dashboard_options(user),
        "filter_collectors": selectors.collectors_for_user(user),
        "active_nav": "dashboard",
    }
    return render(request, "promises/health.html", context)


@login_required
@require_POST
def score_now(request):
    """The nightly scoring of one portfolio, now (in the background): after an import, or after
    its scorecard was edited."""
    supervisor_or_admin(request.user)
    chosen = request.POST.get("portfolio", "")
    portfolio = Portfolio.objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    if portfolio is None:
        messages.error(request, gettext("Choose the portfolio to score."))
        return redirect(reverse("promises:health"))
    transaction.on_commit(lambda: score_debtors.delay(portfolio.pk))
    messages.success(
        request,
        gettext("The debtors of “%(portfolio)s” are being scored; their scores and this table change in a few minutes.")
        % {"portfolio": portfolio.name},
    )
    return redirect(f"{reverse('promises:health')}?portfolio={portfolio.pk}")
