"""API lists at scale: a page of promises reads what each listed promise was paid by a subquery
per row, not a join grouped over every promise in scope before the sort."""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from promises import services as promise_services
from tests import factories
from tests.api.conftest import WEDNESDAY


@pytest.fixture
def sofia_api(client_for, sofia):
    return client_for(sofia)


def test_the_promise_list_gives_what_was_paid_without_grouping_every_promise(sofia_api, carla, diego):
    with time_machine.travel(WEDNESDAY, tick=False):
        paid = promise_services.promise_create(
            debtor=diego, collector=carla, amount=Decimal("120"), due_date=WEDNESDAY.date()
        )
        unpaid = factories.make_promise(
            debtor=diego, collector=carla, amount=Decimal("50"), due_date=WEDNESDAY.date().replace(month=12)
        )
        body = {"debtor": diego.pk, "amount": "70.00", "paid_at": "2026-11-18T10:00:00-05:00", "reference": "BANK-78"}
        assert sofia_api.post("/api/v1/payments/", body, format="json").status_code == 201
        with CaptureQueriesContext(connection) as queries:
            rows = sofia_api.get("/api/v1/promises/").json()["results"]

    assert [(row["id"], row["paid"]) for row in rows] == [(paid.pk, "70.00"), (unpaid.pk, "0.00")]
    assert not any(
        "GROUP BY" in q["sql"] and "promises_promise" in q["sql"].split("FROM", 1)[1][:40]
        for q in queries.captured_queries
    )


def test_scoped_lists_keep_their_order_but_are_not_read_down_an_index(ana, carla):
    from collections_crm.permissions import scope_ordering
    from promises.models import Promise

    assert scope_ordering(ana, "due_date", "pk") == ["due_date", "pk"]  # an admin's: down the index
    ordering = scope_ordering(carla, "-started_at", "-pk")
    assert ordering[1] == "-pk" and "COALESCE" in str(
        Promise.objects.order_by(*scope_ordering(carla, "due_date", "pk")).query
    )


def test_a_collectors_promises_come_oldest_due_first(client_for, carla, diego):
    with time_machine.travel(WEDNESDAY, tick=False):
        later = factories.make_promise(debtor=diego, collector=carla, due_date=WEDNESDAY.date().replace(month=12))
        sooner = factories.make_promise(debtor=diego, collector=carla, due_date=WEDNESDAY.date())
        rows = client_for(carla).get("/api/v1/promises/").json()["results"]
    assert [row["id"] for row in rows] == [sooner.pk, later.pk]


@pytest.fixture
def count_cap_of_3(monkeypatch):
    from collections_crm.api.pagination import ApiPagination

    monkeypatch.setattr(ApiPagination, "count_cap", 3)


def _seven_debtors(carla, portfolio):
    return [factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=f"Deudor {n}") for n in range(7)]


def test_a_list_within_the_cap_is_counted_exactly(client_for, carla, portfolio, count_cap_of_3):
    for n in range(3):
        factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=f"Deudor {n}")
    body = client_for(carla).get("/api/v1/debtors/", {"page_size": 2}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (3, True, 2)
    assert body["next"].endswith("page=2&page_size=2")


def test_a_list_past_the_cap_says_its_count_is_not_exact_and_pages_on_to_the_end(
    client_for, carla, portfolio, count_cap_of_3
):
    debtors = _seven_debtors(carla, portfolio)
    api = client_for(carla)
    first = api.get("/api/v1/debtors/", {"page_size": 2}).json()
    assert (first["count"], first["count_exact"]) == (3, False)  # more than 3

    seen, url, pages = [], "/api/v1/debtors/?page_size=2", []
    while url:
        body = api.get(url).json()
        pages.append((body["count"], body["count_exact"]))
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == [d.pk for d in debtors]  # every row once, in order, past the cap
    # "More than" what has been seen so far; the last page reaches the end: the total is exact.
    assert pages == [(3, False), (4, False), (6, False), (7, True)]
    assert api.get("/api/v1/debtors/", {"page_size": 2, "page": 4}).json()["previous"].endswith("page=3&page_size=2")


def test_a_page_past_the_end_is_a_404_within_and_past_the_cap(client_for, carla, portfolio, count_cap_of_3):
    _seven_debtors(carla, portfolio)
    api = client_for(carla)
    assert api.get("/api/v1/debtors/", {"page_size": 2, "page": 5}).status_code == 404  # past the cap
    assert api.get("/api/v1/debtors/", {"page_size": 5, "page": 2}).status_code == 200
    assert api.get("/api/v1/debtors/", {"page_size": 7, "page": 2}).status_code == 404


def test_an_empty_list_is_an_exact_zero(client_for, carla):
    body = client_for(carla).get("/api/v1/debts/").json()
    assert (body["count"], body["count_exact"], body["results"], body["next"]) == (0, True, [], None)


def test_the_schema_documents_whether_the_count_is_exact(db):
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    page = schema["components"]["schemas"]["PaginatedDebtList"]
    assert "count_exact" in page["required"] and page["properties"]["count_exact"]["type"] == "boolean"


def _ids_page_by_page(api, url) -> tuple[list[int], dict]:
    """Every row's id, following "next" from `url` to the end; and the last page."""
    seen = []
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    return seen, body


def test_a_supervisor_pages_through_the_teams_debts_in_order_and_no_one_elses(
    client_for, sofia, carla, carlos, pablo, team_monterrey, portfolio
):
    from datetime import date

    theirs = factories.make_debtor(portfolio=portfolio, assigned_to=pablo)
    factories.make_debt(debtor=theirs, due_date=date(2026, 1, 1))
    expected = []
    for day, collector in zip(range(1, 8), [carla, carlos] * 4):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=collector)
        expected.append(factories.make_debt(debtor=debtor, due_date=date(2026, 2, 8 - day)).pk)
    expected.reverse()  # oldest due first

    seen, last_page = _ids_page_by_page(client_for(sofia), "/api/v1/debts/?page_size=2")
    assert seen == expected and last_page["count"] == 7  # pablo's debt, the oldest, is not theirs


def test_a_supervisors_pages_found_among_the_tables_first_rows_are_the_lists_own(
    client_for, monkeypatch, sofia, carla, carlos, pablo, team_monterrey, portfolio
):
    # A supervisor's page is first looked for among the first rows of the whole table (an
    # index walk); when those hold too few of the team's rows the list is sorted as a whole.
    # Either way the pages are the list's, in order: here with a window of twice the rows
    # wanted, over a table where another team's debts come in runs between the team's.
    from datetime import date, timedelta

    from collections_crm.api.pagination import ApiPagination

    monkeypatch.setattr(ApiPagination, "PROBE_MIN_ROWS", 1)
    monkeypatch.setattr(ApiPagination, "PROBE_ROWS_PER_ROW", 2)
    found = []
    real_keys = ApiPagination._keys_from_the_index

    def keys_spied(self, *arguments):
        keys = real_keys(self, *arguments)
        found.append(keys is not None)
        return keys

    monkeypatch.setattr(ApiPagination, "_keys_from_the_index", keys_spied)
    theirs = factories.make_debtor(portfolio=portfolio, assigned_to=pablo)
    team = [factories.make_debtor(portfolio=portfolio, assigned_to=who) for who in (carla, carlos)]
    expected, day = [], date(2026, 1, 1)
    for run_of_others in (0, 0, 1, 0, 0, 0, 6, 0, 1, 0, 0, 0):
        for _ in range(run_of_others):
            factories.make_debt(debtor=theirs, due_date=day)
            day += timedelta(days=1)
        expected.append(factories.make_debt(debtor=team[len(expected) % 2], due_date=day).pk)
        day += timedelta(days=1)

    api = client_for(sofia)
    assert _ids_page_by_page(api, "/api/v1/debts/?page_size=2")[0] == expected
    assert True in found and False in found  # both ways were taken
    by_balance = api.get("/api/v1/debts/", {"page_size": 50, "ordering": "-due_date"}).json()["results"]
    assert [row["id"] for row in by_balance] == expected[::-1]  # ?ordering= is honoured as before


def test_a_supervisors_calls_come_newest_first_whichever_way_the_page_is_found(
    client_for, monkeypatch, sofia, carla, pablo, team_monterrey, portfolio
):
    from datetime import timedelta

    from collections_crm.api.pagination import ApiPagination

    monkeypatch.setattr(ApiPagination, "PROBE_MIN_ROWS", 1)
    monkeypatch.setattr(ApiPagination, "PROBE_ROWS_PER_ROW", 2)
    theirs = factories.make_debtor(portfolio=portfolio, assigned_to=pablo)
    ours = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    expected, moment = [], WEDNESDAY
    for run_of_others in (0, 3, 0, 0, 5, 0, 0):
        for _ in range(run_of_others):
            factories.make_call(debtor=theirs, collector=pablo, started_at=moment)
            moment -= timedelta(minutes=7)
        expected.append(factories.make_call(debtor=ours, collector=carla, started_at=moment).pk)
        moment -= timedelta(minutes=7)

    assert _ids_page_by_page(client_for(sofia), "/api/v1/calls/?page_size=2")[0] == expected
