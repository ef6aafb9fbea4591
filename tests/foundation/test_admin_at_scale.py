"""The admin stays quick at a million debtors: each change list reads its rows in a fixed number of
queries and counts them at most once, capped; dates are filtered without a scan of every row's
date; no page offers a drop-down of every debtor, debt or call."""

import itertools
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.models import Call, FollowUpEvent
from collections_crm.lib import paging
from collections_crm.users.models import Role, Team
from collections_crm.users.services import user_create
from debtors.models import BalanceChange, Creditor, Debt, Debtor
from debtors.services import debt_snapshots_take
from promises.models import PaymentAllocation
from supervision.services import promise_rollups_refresh
from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
_numbers = itertools.count(1)

# The change lists over tables that grow with the portfolio (and the users', which print teams).
BIG_LISTS = [
    "calls_call",
    "calls_policyoverride",
    "calls_followup",
    "calls_followupevent",
    "debtors_debtor",
    "debtors_debt",
    "debtors_phone",
    "debtors_balancechange",
    "debtors_debtsnapshot",
    "promises_promise",
    "promises_promiseevent",
    "promises_payment",
    "promises_paymentallocation",
    "promises_promiserollup",
    "promises_paymentrollup",
    "promises_callrollup",
    "users_user",
    "users_team",
]
# Session, user, one capped count, the rows; a filter may read one small table (users, portfolios).
MAX_LIST_QUERIES = 8


def _row(ana) -> Debtor:
    """One debtor with everything the admin lists, each related row its own (a query per row shows)."""
    n = next(_numbers)
    supervisor = user_create(username=f"sup{n}", password=PASSWORD, role=Role.SUPERVISOR, first_name=f"Sup {n}")
    team = Team.objects.create(name=f"Equipo {n}", supervisor=supervisor)
    collector = user_create(
        username=f"col{n}", password=PASSWORD, role=Role.COLLECTOR, team=team, first_name=f"Col {n}"
    )
    portfolio = factories.make_portfolio(name=f"Cartera {n}", creditor=Creditor.objects.create(name=f"Acreedor {n}"))
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=collector, full_name=f"Deudor Único {n}")
    debt = factories.make_debt(debtor=debtor, due_date=NOW.date() - timedelta(days=40))
    factories.make_phone(debtor=debtor)
    BalanceChange.objects.create(debt=debt, old_balance=Decimal("1200.00"), new_balance=debt.balance, at=NOW)
    call = factories.make_call(
        debtor=debtor,
        collector=collector,
        debt=debt,
        started_at=NOW - timedelta(hours=1),
        override_by=ana,
        override_reason="El deudor pidió que lo llamemos ahora",
    )
    follow_up = factories.make_follow_up(debtor=debtor, assigned_to=collector, due_at=NOW + timedelta(days=1))
    FollowUpEvent.objects.create(
        follow_up=follow_up,
        debtor=debtor,
        kind=FollowUpEvent.Kind.MOVED,
        from_status="open",
        to_status="open",
        from_due_at=NOW,
        to_due_at=follow_up.due_at,
        at=NOW,
        by=collector,
        call=call,
        note="Pidió mañana",
    )
    promise = factories.make_promise(debtor=debtor, collector=collector, debt=debt, call=call, due_date=NOW.date())
    payment = factories.make_payment(debtor=debtor, debt=debt, credited_to=collector, paid_at=NOW - timedelta(hours=2))
    PaymentAllocation.objects.create(payment=payment, promise=promise, amount=payment.amount)
    return debtor


def _rows(ana, count: int) -> None:
    with time_machine.travel(NOW, tick=False):
        for _ in range(count):
            _row(ana)
        debt_snapshots_take(on=NOW.date())
        promise_rollups_refresh(full=True, now=NOW)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("name", BIG_LISTS)
def test_a_big_change_list_reads_its_rows_in_a_fixed_number_of_queries(client, ana, name):
    client.force_login(ana)
    url = reverse(f"admin:{name}_changelist")
    _rows(ana, 1)
    one = _queries(client, url)

    _rows(ana, 5)

    assert _queries(client, url) == one
    assert one <= MAX_LIST_QUERIES


@pytest.mark.parametrize(
    "name", ["calls_call", "calls_followup", "debtors_debtor", "promises_promise", "promises_payment"]
)
def test_a_change_page_reads_in_a_fixed_number_of_queries(client, ana, django_assert_max_num_queries, name):
    client.force_login(ana)
    _rows(ana, 6)
    model = next(m for m in admin.site._registry if f"{m._meta.app_label}_{m._meta.model_name}" == name)
    first = model._default_manager.order_by("pk").first()
    with django_assert_max_num_queries(20):
        assert client.get(reverse(f"admin:{name}_change", args=[first.pk])).status_code == 200


def test_no_admin_list_scans_every_rows_date_for_year_and_month_links():
    with_hierarchy = [
        type(model_admin).__name__ for model_admin in admin.site._registry.values() if model_admin.date_hierarchy
    ]
    assert with_hierarchy == []


def test_the_call_list_filters_by_date_without_a_year_link(client, ana):
    client.force_login(ana)
    _rows(ana, 1)
    debtor = Debtor.objects.get()
    with time_machine.travel(NOW, tick=False):
        factories.make_call(debtor=debtor, collector=debtor.assigned_to, started_at=NOW - timedelta(days=40))
        url = reverse("admin:calls_call_changelist")
        everything = client.get(url).content.decode()
        today_link = re.search(r'href="(\?started_at__gte=[^"]+)"[^>]*>\s*Hoy', everything)
        assert today_link, "the date filter offers today"
        today = client.get(url + today_link.group(1).replace("&amp;", "&"))

    assert today.status_code == 200
    assert len(today.context["cl"].result_list) == 1
    assert today.context["cl"].result_list[0].started_at == NOW - timedelta(hours=1)
    assert len(client.get(url).context["cl"].result_list) == 2


def test_a_long_list_says_more_than_and_still_pages(client, ana, monkeypatch):
    client.force_login(ana)
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    _rows(ana, 5)
    url = reverse("admin:calls_call_changelist")

    page = client.get(url)

    assert "más de 3 gestiones" in page.content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, counts  # counted once, not again for "N total"
    monkeypatch.setattr(admin.site._registry[Call], "list_per_page", 2)
    first, second = client.get(url), client.get(url + "?p=2")
    assert second.status_code == 200
    shown = [call.pk for call in first.context["cl"].result_list] + [
        call.pk for call in second.context["cl"].result_list
    ]
    assert shown == list(Call.objects.order_by("-started_at", "-pk").values_list("pk", flat=True)[:3])


_SELECT = re.compile(r"<select[^>]*>(.*?)</select>", re.S)


def test_no_admin_form_offers_a_drop_down_of_every_debtor_debt_or_user(client, ana):
    """Every add and change page, its inlines included: a debtor, debt, call, promise, payment or
    follow-up is typed or searched, never listed; so is a user (a <select> of 200 collectors took
    half a call's page to render)."""
    client.force_login(ana)
    _rows(ana, 3)
    names = set(Debtor.objects.values_list("full_name", flat=True)) | {f"Col {n}" for n in range(1, next(_numbers))}
    references = set(Debt.objects.values_list("account_reference", flat=True))
    pages = []
    for model in admin.site._registry:
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
    offenders = []
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:  # a read-only record cannot be added
            continue
        for options in _SELECT.findall(response.content.decode()):
            # A search box renders its chosen value alone; a list renders them all.
            listed = [name for name in names if f">{name}<" in options] + [ref for ref in references if ref in options]
            if len(listed) > 1:
                offenders.append(f"{url}: {listed}")
    assert offenders == [], offenders


def test_the_rows_tick_boxes_still_act_on_the_ticked_rows(client, ana, portfolio):
    client.force_login(ana)
    kept = factories.make_debtor(portfolio=portfolio, full_name="Kept Debtor")
    ticked = factories.make_debtor(portfolio=portfolio, full_name="Ticked Debtor")
    url = reverse("admin:debtors_debtor_changelist")

    page = client.get(url).content.decode()
    assert f'name="_selected_action" value="{ticked.pk}" class="action-select"' in page
    assert "Seleccione este objeto para una acción - Ticked Debtor" in page
    client.post(url, {"action": "delete_selected", "_selected_action": [ticked.pk], "post": "yes"})

    assert list(Debtor.objects.all()) == [kept]


@pytest.mark.parametrize(
    "name",
    [
        "promises_payment",
        "calls_followup",
        "calls_policyoverride",
        "calls_followupevent",
        "debtors_balancechange",
        "promises_promiseevent",
    ],
)
def test_a_log_like_list_shows_the_newest_row_first(client, ana, name):
    """Ordered by a date no index holds, these lists sorted the whole table for each page; the
    primary key gives the same newest-first order for rows written as they happen."""
    client.force_login(ana)
    _rows(ana, 3)

    shown = [row.pk for row in client.get(reverse(f"admin:{name}_changelist")).context["cl"].result_list]

    assert shown == sorted(shown, reverse=True)
    assert len(shown) >= 3
