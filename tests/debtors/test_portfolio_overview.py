"""The admin's landing page, /debtors/portfolios/: each portfolio's size, unassigned debtors and
open balance, read in a constant number of queries with no work per debtor (it once ran a
balance subquery per debtor and did not answer in 5 minutes at 150,000 debtors)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from debtors.selectors import portfolio_overview
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_shows_each_portfolios_debtors_unassigned_and_open_balance(client, ana, carla):
    lima = factories.make_portfolio(name="Tarjetas Lima")
    madrid = factories.make_portfolio(
        name="Préstamos Madrid", country="ES", currency="EUR", time_zone="Europe/Madrid", preset="es"
    )
    factories.make_portfolio(name="Vacía")
    paying = factories.make_debtor(portfolio=lima, assigned_to=carla)
    factories.make_debt(debtor=paying, balance=Decimal("1200.50"))
    factories.make_debt(debtor=paying, balance=Decimal("300.00"), recalled_on=date(2026, 11, 1))  # taken back: not owed
    nobody = factories.make_debtor(portfolio=lima)
    factories.make_debt(debtor=nobody, balance=Decimal("99.50"))
    factories.make_debtor(portfolio=lima)  # no debts yet
    factories.make_debt(debtor=factories.make_debtor(portfolio=madrid, assigned_to=carla), balance=Decimal("40.00"))

    rows = {p.name: (p.debtor_count, p.unassigned_count, p.open_balance) for p in portfolio_overview()}

    assert rows == {
        "Tarjetas Lima": (3, 2, Decimal("1300.00")),
        "Préstamos Madrid": (1, 0, Decimal("40.00")),
        "Vacía": (0, 0, Decimal("0")),
    }
    client.force_login(ana)
    page = client.get(reverse("debtors:portfolios")).content.decode()
    assert "Vacía" in page and "Préstamos Madrid" in page
    assert page.count(reverse("debtors:portfolio_assign", args=[lima.pk])) == 1  # only Lima has someone to assign


@pytest.mark.parametrize("debtors", [3, 30])
def test_its_queries_neither_grow_with_debtors_nor_run_a_subquery_per_row(
    ana, carla, debtors, django_assert_max_num_queries
):
    for n in range(2):
        portfolio = factories.make_portfolio(name=f"Cartera {n}")
        for i in range(debtors):
            debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla if i % 2 else None)
            factories.make_debt(debtor=debtor, balance=Decimal("10.00"))

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(2):
        portfolios = list(portfolio_overview())
    assert [p.debtor_count for p in portfolios] == [debtors, debtors]

    # Each query is one pass: no subquery that would run once per portfolio or per debtor.
    assert queries.captured_queries and all(query["sql"].count("SELECT") == 1 for query in queries.captured_queries), (
        queries.captured_queries
    )


# --- Stored figures: what the job counted, and when ------------------------------------------


def test_the_page_shows_the_figures_the_job_counted_and_says_when(client, ana, carla):
    import time_machine

    from debtors.services import portfolio_figures_refresh

    lima = factories.make_portfolio(name="Tarjetas Lima")
    factories.make_debt(debtor=factories.make_debtor(portfolio=lima, assigned_to=carla), balance=Decimal("100.00"))
    with time_machine.travel("2026-11-16 15:00Z", tick=False):
        portfolio_figures_refresh()
    factories.make_debt(debtor=factories.make_debtor(portfolio=lima), balance=Decimal("50.00"))  # after the count

    [row] = portfolio_overview()
    assert (row.debtor_count, row.unassigned_count, row.open_balance) == (1, 0, Decimal("100.00"))
    client.force_login(ana)
    page = client.get(reverse("debtors:portfolios")).content.decode()
    assert "Contado el 16/11/2026 10:00" in page  # Lima time
    portfolio_figures_refresh()
    [row] = portfolio_overview()
    assert (row.debtor_count, row.unassigned_count, row.open_balance) == (2, 1, Decimal("150.00"))


def test_a_portfolio_the_job_has_not_counted_yet_is_counted_on_the_page(ana, carla, django_assert_max_num_queries):
    from debtors.services import portfolio_figures_refresh

    lima = factories.make_portfolio(name="Tarjetas Lima")
    factories.make_debtor(portfolio=lima, assigned_to=carla)
    portfolio_figures_refresh()
    with django_assert_max_num_queries(1):
        assert [p.debtor_count for p in portfolio_overview()] == [1]
    later = factories.make_portfolio(name="Vacía hoy, llena mañana")
    factories.make_debtor(portfolio=later)
    with django_assert_max_num_queries(2):
        rows = {p.name: (p.debtor_count, p.unassigned_count, p.counted_at is None) for p in portfolio_overview()}
    assert rows == {"Tarjetas Lima": (1, 0, False), "Vacía hoy, llena mañana": (1, 1, True)}


def test_an_assignment_recounts_its_portfolio_at_once(ana, carla, carlos):
    from debtors.services import debtors_assign_unassigned, portfolio_figures_refresh

    lima = factories.make_portfolio(name="Tarjetas Lima")
    for _ in range(4):
        factories.make_debt(debtor=factories.make_debtor(portfolio=lima), balance=Decimal("10.00"))
    portfolio_figures_refresh()
    assert [p.unassigned_count for p in portfolio_overview()] == [4]
    debtors_assign_unassigned(user=ana, portfolio=lima, collectors=[carla, carlos], method="round_robin")
    assert [p.unassigned_count for p in portfolio_overview()] == [0]
