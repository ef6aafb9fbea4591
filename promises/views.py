from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from promises import selectors

PERIODS = {
    "today": _("Today"),
    "week": _("This week"),
    "month": _("This month"),
}


def _period(name: str) -> selectors.Period:
    today = timezone.localdate()
    if name == "today":
        return selectors.Period(today, today)
    if name == "month":
        next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return selectors.Period(today.replace(day=1), next_month - timedelta(days=1))
    monday = today - timedelta(days=today.weekday())
    return selectors.Period(monday, monday + timedelta(days=6))


@login_required
def dashboard(request):
    user = request.user
    if not (user.is_supervisor or user.is_crm_admin):
        raise Http404
    period_name = request.GET.get("period", "week")
    if period_name not in PERIODS:
        period_name = "week"
    period = _period(period_name)
    context = {
        "periods": PERIODS,
        "period_name": period_name,
        "period": period,
        "figures": selectors.promise_figures(user, period),
        "collectors": selectors.collector_table(user, period),
        "active_nav": "dashboard",
    }
    return render(request, "promises/dashboard.html", context)
