import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from calls.models import Call, Channel
from collections_crm.lib.downloads import csv_response
from collections_crm.lib.paging import CappedPaginator
from collections_crm.permissions import can_record_payments
from debtors.markets import CURRENCY_CHOICES
from debtors.models import AgingBucket
from debtors.selectors import debtor_get_for_user
from promises import selectors, services
from promises.forms import PaymentForm, ReassignForm
from promises.models import Payment, Promise, Reassignment

PERIODS = {
    "today": _("Today"),
    "week": _("This week"),
    "month": _("This month"),
    "range": _("Chosen dates"),
}
MAX_RANGE_DAYS = 366
CSV_CHUNK = 2000
CENT = Decimal("0.01")


def _period(name: str, today: date | None = None) -> selectors.Period:
    today = today or timezone.localdate()
    if name == "today":
        return selectors.Period(today, today)
    if name == "month":
        next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return selectors.Period(today.replace(day=1), next_month - timedelta(days=1))
    monday = today - timedelta(days=today.weekday())
    return selectors.Period(monday, monday + timedelta(days=6))


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _supervisor_or_admin(user) -> None:
    if not (user.is_supervisor or user.is_crm_admin):
        raise Http404


@dataclass
class Selection:
    """What the dashboard shows: a period, filters and the query string that carries them."""

    period_name: str
    period: selectors.Period
    filters: selectors.DashboardFilters
    zone: object

    @property
    def query(self) -> str:
        params = {"period": self.period_name, **self.filters.as_query()}
        if self.period_name == "range":
            params.update(start=self.period.start.isoformat(), end=self.period.end.isoformat())
        return urlencode(params)


def _selection(request) -> Selection:
    """Period and filters from the query string; dates in the dashboards' reporting zone."""
    zone = services.reporting_zone()
    today = timezone.localdate(timezone=zone)
    name = request.GET.get("period", "week")
    if name not in PERIODS:
        name = "week"
    if name == "range":
        start, end = _parse_day(request.GET.get("start")), _parse_day(request.GET.get("end"))
        if start and end and start <= end and (end - start).days < MAX_RANGE_DAYS:
            period = selectors.Period(start, end)
        else:
            name, period = "week", _period("week", today)
    else:
        period = _period(name, today)
    return Selection(name, period, selectors.DashboardFilters.from_query(request.GET), zone)


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


@login_required
def dashboard(request):
    user = request.user
    _supervisor_or_admin(user)
    selection = _selection(request)
    sort = request.GET.get("sort", "name")
    state = selectors.rollup_state()
    figures, collectors, trend = _dashboard_data(user, selection, sort, state)
    if _wants_csv(request) and request.GET.get("table") == "trend":
        return _trend_csv(trend, selection)
    if _wants_csv(request):
        return _collectors_csv(collectors, selection)
    context = {
        "periods": PERIODS,
        "selection": selection,
        "period_name": selection.period_name,
        "period": selection.period,
        "query": selection.query,
        "figures": figures,
        "collectors": collectors,
        "sort": sort,
        "sorts": selectors.COLLECTOR_SORTS,
        "trend": trend,
        "trend_chart": {
            "labels": [formats.date_format(week["week"], "SHORT_DATE_FORMAT") for week in trend],
            "series": [
                {"key": key, "label": str(label), "data": [week[key] for week in trend]}
                for key, label in (
                    ("kept", gettext_lazy("Kept")),
                    ("partially_kept", gettext_lazy("Partially kept")),
                    ("broken", gettext_lazy("Broken")),
                    ("pending", gettext_lazy("Pending")),
                )
            ],
            "made": {"label": str(gettext_lazy("Promises made")), "data": [week["made"] for week in trend]},
        },
        "state": state,
        # The rendered figures, trend and collector table are cached under the same key.
        "fragment_key": _dashboard_key(user, selection, sort, state),
        "options": selectors.dashboard_options(user),
        "filter_collectors": [row["collector"] for row in collectors] if selection.filters.collector is None else None,
        "awaiting_approval": selectors.arrangements_awaiting_approval(user).count(),
        # Reversed once here rather than in every row of the collector table.
        "links": {
            "promises": reverse("promises:promises_behind"),
            "calls": reverse("promises:calls_behind"),
            "payments": reverse("promises:payments_behind"),
            "review": reverse("review:list"),
        },
        "active_nav": "dashboard",
    }
    return render(request, "promises/dashboard.html", context)


DASHBOARD_CACHE_SECONDS = 90


def _dashboard_data(user, selection, sort, state):
    """Figures, collector rows and trend, read from the rollups (8 queries) or from the cache.

    The rollups change only when the job runs, and every run draws a new `generation`, so the
    cache key moves with them: a cached answer is never older than the figures themselves.
    The key names the reader, the language, the period, filters and sort; the timeout bounds
    how long a change of team membership takes to show.
    """

    def compute():
        return (
            selectors.dashboard_figures(user, selection.period, selection.filters),
            selectors.collector_performance(user, selection.period, selection.filters, sort, zone=selection.zone),
            selectors.weekly_trend(user, selection.period.end, selection.filters),
        )

    key = _dashboard_key(user, selection, sort, state)
    if key is None:
        return compute()
    data = cache.get(f"dashboard:{key}")
    if data is None:
        data = compute()
        cache.set(f"dashboard:{key}", data, DASHBOARD_CACHE_SECONDS)
    return data


def _dashboard_key(user, selection, sort, state) -> str | None:
    """What the cached figures and the cached page fragment depend on; None: do not cache."""
    if state is None or not state.generation:
        return None
    return hashlib.sha256(
        f"{state.generation}|{user.pk}|{user.role}|{get_language()}|{selection.query}|{sort}".encode()
    ).hexdigest()


def _labels(choices) -> dict[str, str]:
    """Choice labels in the reader's language, resolved while the request's language is active:
    a streamed CSV is written after the view has returned."""
    return {value: str(label) for value, label in choices}


def _moment(value, zone) -> str:
    """A moment for a CSV cell: ISO 8601 in the dashboards' zone (the zone that cuts their days),
    with its offset, so a row's day is the day it was counted in."""
    return value.astimezone(zone).isoformat() if value else ""


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _collectors_csv(rows, selection):
    # One "Collected" column per currency: amounts in different currencies are never added,
    # and a spreadsheet can sum each column.
    currencies = sorted({currency for row in rows for currency in row["collected"]})
    header = [
        gettext("Collector"),
        gettext("Team"),
        gettext("Calls"),
        gettext("Right-party contacts"),
        gettext("Contact rate"),
        gettext("Promises made"),
        gettext("Promises per right-party contact"),
        gettext("Kept"),
        gettext("Broken"),
        gettext("Kept rate"),
        *[gettext("Collected (%(currency)s)") % {"currency": currency} for currency in currencies],
        gettext("QA score"),
    ]

    def lines():
        for row in rows:
            collector = row["collector"]
            yield [
                _person(collector),
                collector.team.name if collector.team else "",
                row["calls"],
                row["right_party"],
                _ratio(row["contact_rate"]),
                row["promises"],
                _ratio(row["promises_per_contact"]),
                row["kept"],
                row["broken"],
                _ratio(row["kept_rate"]),
                *[_money(row["collected"].get(currency, 0)) for currency in currencies],
                "" if row["qa_score"] is None else round(row["qa_score"]),
            ]

    return csv_response(f"collectors-{selection.period.start}-{selection.period.end}.csv", header, lines())


def _trend_csv(trend, selection):
    header = [
        gettext("Week of"),
        gettext("Made"),
        gettext("Kept"),
        gettext("Partially kept"),
        gettext("Broken"),
        gettext("Pending"),
        gettext("Kept rate"),
    ]
    rows = (
        [
            week["week"].isoformat(),
            week["made"],
            week["kept"],
            week["partially_kept"],
            week["broken"],
            week["pending"],
            _ratio(week["kept_rate"]),
        ]
        for week in trend
    )
    return csv_response(f"promises-by-week-to-{selection.period.end}.csv", header, rows)


def _money(value) -> Decimal:
    """An amount with its two decimals (sums read from the rollups may come back without them)."""
    return Decimal(value).quantize(CENT)


def _ratio(value) -> Decimal | str:
    """A rate as a number with four decimals (a spreadsheet sums and sorts it); empty when none."""
    return "" if value is None else Decimal(f"{float(value):.4f}")


@login_required
def figures_export(request):
    """The dashboard's figures per currency, as CSV."""
    _supervisor_or_admin(request.user)
    selection = _selection(request)
    figures = selectors.dashboard_figures(request.user, selection.period, selection.filters)
    labels = {
        "made": gettext("Promises made"),
        "due": gettext("Due in the period"),
        "kept": gettext("Kept"),
        "partially_kept": gettext("Partially kept"),
        "broken": gettext("Broken"),
        "pending": gettext("Pending"),
    }
    keys = tuple(labels)
    header = [gettext("Currency")]
    for key in keys:
        header += [
            gettext("%(figure)s: count") % {"figure": labels[key]},
            gettext("%(figure)s: amount") % {"figure": labels[key]},
        ]
    header += [
        gettext("Kept rate (count)"),
        gettext("Kept rate (amount)"),
        gettext("Collected"),
        gettext("Collected / due"),
    ]
    rows = (
        [
            row["currency"],
            *[v for key in keys for v in (row[key]["count"], _money(row[key]["amount"]))],
            _ratio(row["kept_rate_count"]),
            _ratio(row["kept_rate_amount"]),
            _money(row["collected"]),
            _ratio(row["collected_rate"]),
        ]
        for row in figures
    )
    return csv_response(f"promise-figures-{selection.period.start}-{selection.period.end}.csv", header, rows)


STATUS_LABELS = dict(Promise.Status.choices)
CURRENCIES = {code for code, _label in CURRENCY_CHOICES}


def _currency(request) -> str:
    """The currency of the figure clicked ("" when none or unknown): figures are per currency,
    so the rows behind one are too."""
    currency = request.GET.get("currency", "")
    return currency if currency in CURRENCIES else ""


def _outside_scope() -> str:
    return gettext("Debtor now outside your teams")


def _any_outside(page) -> bool:
    return any(not row.in_scope for row in page)


@login_required
def promises_behind(request):
    """The promises behind one dashboard figure, as a page or a streamed CSV."""
    user = request.user
    _supervisor_or_admin(user)
    selection = _selection(request)
    kind = "made" if request.GET.get("kind") == "made" else "due"
    status = request.GET.get("status", "")
    if status not in STATUS_LABELS:
        status = ""
    currency = _currency(request)
    promises = selectors.promises_behind(
        user,
        period=selection.period,
        filters=selection.filters,
        kind=kind,
        status=status,
        currency=currency,
        zone=selection.zone,
    )
    if _wants_csv(request):
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
        statuses, outside, zone = _labels(Promise.Status.choices), _outside_scope(), selection.zone
        rows = (
            [
                p.pk if p.in_scope else "",
                p.debtor.full_name if p.in_scope else outside,
                p.debtor.external_id if p.in_scope else "",
                p.debtor.portfolio.name,
                _person(p.collector),
                p.amount,
                p.currency,
                p.due_date.isoformat(),
                statuses.get(p.status, p.status),
                _moment(p.created_at, zone),
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
        "outside_scope": _any_outside(page),
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


OUTCOME_LABELS = dict(Call.Outcome.choices)


@login_required
def calls_behind(request):
    user = request.user
    _supervisor_or_admin(user)
    selection = _selection(request)
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
    if _wants_csv(request):
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
        channels, outcomes = _labels(Channel.choices), _labels(Call.Outcome.choices)
        stances, reasons, commitments = (
            _labels(Call.Stance.choices),
            _labels(Call.StanceReason.choices),
            _labels(Call.Commitment.choices),
        )
        outside, zone = _outside_scope(), selection.zone
        rows = (
            [
                c.pk if c.in_scope else "",
                _moment(c.started_at, zone),
                c.debtor.full_name if c.in_scope else outside,
                c.debtor.portfolio.name,
                _person(c.collector),
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
        "outside_scope": _any_outside(page),
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
    _supervisor_or_admin(user)
    selection = _selection(request)
    currency = _currency(request)
    payments = selectors.payments_behind(
        user, period=selection.period, filters=selection.filters, currency=currency, zone=selection.zone
    )
    if _wants_csv(request):
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
        sources, outside, zone = _labels(Payment.Source.choices), _outside_scope(), selection.zone
        rows = (
            [
                p.pk if p.in_scope else "",
                _moment(p.paid_at, zone),
                p.debtor.full_name if p.in_scope else outside,
                p.debtor.portfolio.name,
                _person(p.credited_to),
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
        "outside_scope": _any_outside(page),
        "currency": currency,
        "selection": selection,
        "query": selection.query,
        "this_query": f"{selection.query}&{urlencode({'currency': currency})}",
        "active_nav": "dashboard",
    }
    return render(request, "promises/payments_behind.html", context)


BUCKET_LABELS = dict(AgingBucket.choices)


@login_required
def portfolio_health(request):
    """Balances by aging bucket, roll rates month over month, objections and situations."""
    user = request.user
    _supervisor_or_admin(user)
    selection = _selection(request)
    today = timezone.localdate(timezone=selection.zone)
    state = selectors.balance_rollup_state(today)
    balances = selectors.aging_figures(user, selection.filters, today, state)
    stances = selectors.stance_outcomes(user, selection.period, selection.filters, zone=selection.zone)
    table = request.GET.get("table")
    buckets = _labels(AgingBucket.choices)
    if _wants_csv(request) and table == "stances":
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
                _ratio(r["kept_rate"]),
            ]
            for r in stances
        ]
        return csv_response("objections-and-situations.csv", header, rows)
    if _wants_csv(request) and table == "rolls":
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
                _ratio(line["roll_rate"]),
                _ratio(line["cure_rate"]),
            ]
            for roll in rolls
            for line in roll["lines"]
        )
        return csv_response(f"roll-rates-{today}.csv", header, rows)
    if _wants_csv(request):
        header = [gettext("Currency"), gettext("Aging bucket"), gettext("Debts"), gettext("Balance")]
        rows = (
            [row["currency"], buckets[cell["bucket"]], cell["debts"], _money(cell["balance"])]
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
        "options": selectors.dashboard_options(user),
        "filter_collectors": selectors.collectors_for_user(user),
        "active_nav": "dashboard",
    }
    return render(request, "promises/health.html", context)


@login_required
def debts_behind(request):
    """The debts (and their debtors) in one aging bucket, in the currency of the row clicked."""
    user = request.user
    _supervisor_or_admin(user)
    selection = _selection(request)
    bucket = request.GET.get("bucket", "")
    if bucket not in BUCKET_LABELS:
        raise Http404
    currency = _currency(request)
    today = timezone.localdate(timezone=selection.zone)
    debts = selectors.debts_in_bucket(user, selection.filters, bucket, today, currency=currency)
    if _wants_csv(request):
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
                _person(d.debtor.assigned_to),
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


@login_required
def reassign(request):
    """Move debtors (and their open follow-ups) between collectors of the supervisor's teams.

    GET with a selection previews the counts; POST with `confirm` moves them.
    """
    user = request.user
    _supervisor_or_admin(user)
    source = request.POST if request.method == "POST" else request.GET
    form = ReassignForm(source or None, user=user)
    preview = None
    debtors_listed = None
    if form.is_valid():
        data = form.cleaned_data
        debtors = selectors.debtors_for_reassignment(
            user,
            from_collector=data["from_collector"].pk if data["from_collector"] else None,
            portfolio=data["portfolio"].pk if data["portfolio"] else None,
            ids=data["debtor_ids"] or None,
        )
        try:
            if request.method == "POST" and source.get("confirm"):
                done = services.debtors_reassign(
                    by=user,
                    debtors=debtors,
                    to_collector=data["to_collector"],
                    from_collector=data["from_collector"],
                    criteria=form.describe(),
                )
                messages.success(
                    request,
                    gettext("%(debtors)d debtors and %(follow_ups)d open follow-ups moved to %(collector)s.")
                    % {
                        "debtors": done.debtor_count,
                        "follow_ups": done.follow_up_count,
                        "collector": data["to_collector"].get_full_name() or data["to_collector"].username,
                    },
                )
                return redirect("promises:reassign")
            preview = services.debtors_reassign_preview(by=user, debtors=debtors, to_collector=data["to_collector"])
            debtors_listed = list(
                debtors.exclude(assigned_to=data["to_collector"]).select_related("assigned_to", "portfolio")[:200]
            )
        except ValidationError as error:
            form.add_error("to_collector", error)
    context = {
        "form": form,
        "preview": preview,
        "debtors_listed": debtors_listed,
        "recent": Reassignment.objects.filter(by=user).select_related("to_collector", "from_collector")[:10],
        "active_nav": "dashboard",
    }
    return render(request, "promises/reassign.html", context)


@login_required
@require_POST
def payment_create(request, debtor_pk: int):
    """A supervisor or admin records a payment; it reconciles the debtor's promises at once."""
    debtor = debtor_get_for_user(request.user, debtor_pk)
    if not can_record_payments(request.user):
        raise Http404
    form = PaymentForm(request.POST, debtor=debtor)
    if form.is_valid():
        try:
            result = services.payment_record(
                debtor=debtor,
                source=Payment.Source.MANUAL,
                recorded_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if result.created:
                messages.success(
                    request,
                    ngettext(
                        "Payment recorded; it kept %(count)d promise.",
                        "Payment recorded; it kept %(count)d promises.",
                        len(result.kept_promise_ids),
                    )
                    % {"count": len(result.kept_promise_ids)},
                )
            elif result.reference_taken:
                messages.error(request, gettext("This reference is already recorded for another debtor."))
            else:
                messages.info(request, gettext("That reference was already recorded; nothing changed."))
            return redirect("debtors:detail", pk=debtor.pk)
    for error in form.errors.get("__all__", []):
        messages.error(request, error)
    for name, errors in form.errors.items():
        if name != "__all__":
            messages.error(request, f"{form.fields[name].label}: {' '.join(errors)}")
    return redirect("debtors:detail", pk=debtor.pk)


def _limit_sentence(reason: dict) -> str:
    """One breached limit ({code, value, limit}) as a sentence the supervisor can weigh."""
    values = {"value": reason.get("value", "?"), "limit": reason.get("limit", "?")}
    code = reason.get("code")
    if code == services.MIN_SHARE:
        return gettext("It covers %(value)s%% of the balance; the minimum is %(limit)s%%.") % values
    if code == services.MAX_DAYS_TO_FIRST:
        return gettext("The first payment is %(value)s days away; the limit is %(limit)s days.") % values
    if code == services.MAX_INSTALMENTS:
        return gettext("It has %(value)s instalments; the limit is %(limit)s.") % values
    if code == services.MAX_DISCOUNT:
        return gettext("It forgives %(value)s%% of the balance; the limit is %(limit)s%%.") % values
    return reason.get("message") or str(code)


@login_required
def approvals(request):
    """Arrangements beyond a collector's limits, waiting for a supervisor's or admin's decision."""
    user = request.user
    if not (user.is_supervisor or user.is_crm_admin):
        raise Http404
    arrangements = list(selectors.arrangements_awaiting_approval(user))
    for arrangement in arrangements:
        arrangement.limit_sentences = [_limit_sentence(reason) for reason in arrangement.approval_reasons or []]
    context = {"arrangements": arrangements, "active_nav": "approvals"}
    return render(request, "promises/approvals.html", context)


@login_required
@require_POST
def arrangement_approve(request, pk: int):
    arrangement = selectors.arrangement_get_for_decision(request.user, pk)
    try:
        services.arrangement_approve(arrangement=arrangement, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            gettext("Arrangement for %(debtor)s approved.") % {"debtor": arrangement.debtor.full_name},
        )
    return redirect("promises:approvals")


@login_required
@require_POST
def arrangement_reject(request, pk: int):
    arrangement = selectors.arrangement_get_for_decision(request.user, pk)
    try:
        services.arrangement_reject(arrangement=arrangement, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            gettext("Arrangement for %(debtor)s rejected; its pending promises are cancelled.")
            % {"debtor": arrangement.debtor.full_name},
        )
    return redirect("promises:approvals")
