"""The admin's change lists read their rows in a fixed number of queries, however many rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_debtor_list_does_not_query_per_row(client, ana, carla):
    admin = factories.make_portfolio(name="Primera")
    client.force_login(ana)
    factories.make_debtor(portfolio=admin, assigned_to=carla)
    url = reverse("admin:debtors_debtor_changelist")
    few = queries_for(client, url)

    for n in range(6):  # each in a portfolio of its own creditor
        factories.make_debtor(portfolio=factories.make_portfolio(name=f"Cartera {n}"), assigned_to=carla)

    assert queries_for(client, url) == few
