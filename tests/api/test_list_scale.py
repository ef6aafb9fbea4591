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
        paid = promise_services.promise_create(debtor=diego, collector=carla, amount=Decimal("120"), due_date=WEDNESDAY.date())
        unpaid = factories.make_promise(debtor=diego, collector=carla, amount=Decimal("50"), due_date=WEDNESDAY.date().replace(month=12))
        body = {"debtor": diego.pk, "amount": "70.00", "paid_at": "2026-11-18T10:00:00-05:00", "reference": "BANK-78"}
        assert sofia_api.post("/api/v1/payments/", body, format="json").status_code == 201
        with CaptureQueriesContext(connection) as queries:
            rows = sofia_api.get("/api/v1/promises/").json()["results"]

    assert [(row["id"], row["paid"]) for row in rows] == [(paid.pk, "70.00"), (unpaid.pk, "0.00")]
    assert not any("GROUP BY" in q["sql"] and "promises_promise" in q["sql"].split("FROM", 1)[1][:40] for q in queries.captured_queries)


def test_scoped_lists_keep_their_order_but_are_not_read_down_an_index(ana, carla):
    from collections_crm.permissions import scope_ordering
    from promises.models import Promise

    assert scope_ordering(ana, "due_date", "pk") == ["due_date", "pk"]  # an admin's: down the index
    ordering = scope_ordering(carla, "-started_at", "-pk")
    assert ordering[1] == "-pk" and "COALESCE" in str(Promise.objects.order_by(*scope_ordering(carla, "due_date", "pk")).query)


def test_a_collectors_promises_come_oldest_due_first(client_for, carla, diego):
    with time_machine.travel(WEDNESDAY, tick=False):
        later = factories.make_promise(debtor=diego, collector=carla, due_date=WEDNESDAY.date().replace(month=12))
        sooner = factories.make_promise(debtor=diego, collector=carla, due_date=WEDNESDAY.date())
        rows = client_for(carla).get("/api/v1/promises/").json()["results"]
    assert [row["id"] for row in rows] == [sooner.pk, later.pk]
