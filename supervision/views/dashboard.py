"""The supervisor dashboard and its figures export."""

import hashlib

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import get_language, gettext, gettext_lazy

from collections_crm.lib.downloads import csv_response
from promises.selectors import arrangements_awaiting_approval
from supervision import selectors
from supervision.views.common import (
    PERIODS,
    money_cell,
    person_name,
    ratio_cell,
    selection_from,
    supervisor_or_admin,
    wants_csv,
)


@login_required
def dashboard(request):
    user = request.user
    supervisor_or_admin(user)
    selection = selection_from(request)
    sort = request.GET.get("sort", "name")
    state = selectors.rollup_state()
    figures, collectors, trend = _dashboard_data(user, selection, sort, state)
    if wants_csv(request) and request.GET.get("table") == "trend":
        return _trend_csv(trend, selection)
    if wants_csv(request):
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
        "awaiting_approval": arrangements_awaiting_approval(user).count(),
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
                person_name(collector),
                collector.team.name if collector.team else "",
                row["calls"],
                row["right_party"],
                ratio_cell(row["contact_rate"]),
                row["promises"],
                ratio_cell(row["promises_per_contact"]),
                row["kept"],
                row["broken"],
                ratio_cell(row["kept_rate"]),
                *[money_cell(row["collected"].get(currency, 0)) for currency in currencies],
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
            ratio_cell(week["kept_rate"]),
        ]
        for week in trend
    )
    return csv_response(f"promises-by-week-to-{selection.period.end}.csv", header, rows)


@login_required
def figures_export(request):
    """The dashboard's figures per currency, as CSV."""
    supervisor_or_admin(request.user)
    selection = selection_from(request)
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
            *[v for key in keys for v in (row[key]["count"], money_cell(row[key]["amount"]))],
            ratio_cell(row["kept_rate_count"]),
            ratio_cell(row["kept_rate_amount"]),
            money_cell(row["collected"]),
            ratio_cell(row["collected_rate"]),
        ]
        for row in figures
    )
    return csv_response(f"promise-figures-{selection.period.start}-{selection.period.end}.csv", header, rows)
