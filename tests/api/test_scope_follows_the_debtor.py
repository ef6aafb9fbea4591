"""Debts and calls are listed to whoever the debtor belongs to now: after a reassignment, an
assignment of a portfolio, an edit of the debtor, a debt moved to another debtor, or a stale copy
of a debt saved back. (Any copy of the debtor's collector on these rows, kept to speed the
lists up, must follow every one of these writes.)"""

import pytest

from debtors.models import Debtor
from debtors.services import ROUND_ROBIN, debtors_assign_unassigned
from supervision.services import debtors_reassign
from tests import factories


@pytest.fixture
def listed(client_for):
    """listed(user) → the ids of the debts and of the calls on user's API lists."""

    def read(user):
        client = client_for(user)
        debts = client.get("/api/v1/debts/?page_size=200").json()
        calls = client.get("/api/v1/calls/?page_size=200").json()
        assert debts["count_exact"] and calls["count_exact"]
        return {row["id"] for row in debts["results"]}, {row["id"] for row in calls["results"]}

    return read


@pytest.fixture
def diegos_work(diego, carla):
    debt = diego.debts.get()
    call = factories.make_call(debtor=diego, collector=carla)
    return {debt.pk}, {call.pk}


def test_a_reassigned_debtors_debts_and_calls_move_to_the_new_team(
    listed, diegos_work, ana, sofia, pablo, carla, cris, diego
):
    assert listed(sofia) == listed(carla) == diegos_work
    assert listed(pablo) == listed(cris) == (set(), set())

    debtors_reassign(by=ana, debtors=Debtor.objects.filter(pk=diego.pk), to_collector=cris)

    assert listed(pablo) == listed(cris) == diegos_work
    assert listed(sofia) == listed(carla) == (set(), set())
    debt = factories.make_debt(debtor=diego)
    call = factories.make_call(debtor=diego, collector=cris)
    assert listed(cris) == (diegos_work[0] | {debt.pk}, diegos_work[1] | {call.pk})


def test_assigning_a_portfolio_gives_its_debts_and_calls_to_the_collectors(
    listed, unassigned, portfolio, ana, sofia, carla, carlos
):
    debt = factories.make_debt(debtor=unassigned)
    call = factories.make_call(debtor=unassigned, collector=carla)
    assert listed(sofia) == (set(), set())

    debtors_assign_unassigned(user=ana, portfolio=portfolio, collectors=[carla], method=ROUND_ROBIN)

    assert listed(carla) == listed(sofia) == ({debt.pk}, {call.pk})
    assert listed(carlos) == (set(), set())


def test_editing_the_debtors_collector_moves_the_list_rows(listed, diegos_work, diego, carla, cris):
    diego.assigned_to = cris
    diego.save()
    assert listed(cris) == diegos_work
    diego.assigned_to = None
    diego.save()
    assert listed(cris) == listed(carla) == (set(), set())


def test_a_stale_copy_of_a_debt_saved_back_still_follows_its_debtor(listed, diegos_work, ana, diego, carla, cris):
    stale = diego.debts.get()  # loaded while Diego was Carla's
    debtors_reassign(by=ana, debtors=Debtor.objects.filter(pk=diego.pk), to_collector=cris)
    stale.product = "Préstamo personal"
    stale.save()
    assert listed(cris) == diegos_work
    assert listed(carla) == (set(), set())


def test_a_debt_moved_to_another_debtor_is_listed_to_that_debtors_collector(listed, diego, mateo, carla, cris):
    debt = diego.debts.get()
    debt.debtor = mateo
    debt.save()
    assert debt.pk in listed(cris)[0]
    assert debt.pk not in listed(carla)[0]
