from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from collections_crm.lib.paging import CappedIdsFirstPaginator
from collections_crm.lib.timezones import debtor_local_today
from collections_crm.models import Heartbeat
from collections_crm.permissions import can_manage_portfolios
from debtors import selectors
from debtors.filters import debtors_matching
from debtors.models import SavedFilter


@login_required
def debtor_list(request):
    search = request.GET.get("q", "")
    saved_filters = list(SavedFilter.objects.order_by("name"))
    chosen = next((f for f in saved_filters if str(f.pk) == request.GET.get("filter")), None)
    debtors = selectors.debtor_list_for_user(request.user, search=search)
    if chosen is not None:
        debtors = debtors_matching(debtors, chosen.query)
    page = CappedIdsFirstPaginator(debtors, 50).get_page(request.GET.get("page"))
    for debtor in page:
        debtor.days_past_due = selectors.days_past_due(debtor.oldest_unpaid_due, debtor_local_today(debtor))
    context = {
        "page": page,
        "search": search,
        "saved_filters": saved_filters,
        "chosen_filter": chosen,
        "active_nav": "debtors",
    }
    return render(request, "debtors/debtor_list.html", context)


@login_required
def portfolio_list(request):
    if not can_manage_portfolios(request.user):
        raise Http404
    portfolios = selectors.portfolio_overview()
    context = {
        "portfolios": portfolios,
        # The oldest count on the page: every figure is at least that fresh.
        "counted_at": min((p.counted_at for p in portfolios if p.counted_at), default=None),
        "heartbeats": {beat.name: beat for beat in Heartbeat.objects.all()},
        "active_nav": "portfolios",
    }
    return render(request, "debtors/portfolio_list.html", context)
