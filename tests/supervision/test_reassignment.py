"""Bulk reassignment: a supervisor moves debtors and their open follow-ups between the
collectors of her teams, previews the counts first, and the move is recorded."""

import pytest
from django.urls import reverse

from calls.models import FollowUp
from debtors.models import Debtor
from promises.models import Reassignment
from tests import factories

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def carlas_book(portfolio, carla):
    debtors = [factories.make_debtor(portfolio=portfolio, assigned_to=carla) for _ in range(3)]
    for debtor in debtors:
        factories.make_follow_up(debtor=debtor, assigned_to=carla)
    done = factories.make_follow_up(debtor=debtors[0], assigned_to=carla)
    FollowUp.objects.filter(pk=done.pk).update(status="done", closed_at=done.due_at)
    return debtors


def test_the_preview_counts_what_will_move(client, sofia, carla, carlos, carlas_book):
    client.force_login(sofia)
    response = client.get(reverse("promises:reassign"), {"from_collector": carla.pk, "to_collector": carlos.pk})
    preview = response.context["preview"]
    assert (preview.debtors, preview.follow_ups) == (3, 3)
    assert Debtor.objects.filter(assigned_to=carla).count() == 3  # nothing moved yet


def test_confirming_moves_debtors_and_open_follow_ups_and_records_who_and_when(
    client, sofia, carla, carlos, carlas_book, clock
):
    client.force_login(sofia)
    response = client.post(
        reverse("promises:reassign"), {"from_collector": carla.pk, "to_collector": carlos.pk, "confirm": "1"}
    )
    assert response.status_code == 302
    assert Debtor.objects.filter(assigned_to=carlos).count() == 3
    assert FollowUp.objects.filter(assigned_to=carlos, status="open").count() == 3
    assert FollowUp.objects.filter(assigned_to=carla, status="done").count() == 1  # history stays
    move = Reassignment.objects.get()
    assert (move.by, move.from_collector, move.to_collector) == (sofia, carla, carlos)
    assert (move.debtor_count, move.follow_up_count) == (3, 3)
    assert sorted(move.debtor_ids) == sorted(d.pk for d in carlas_book)
    assert move.at is not None


def test_ticked_debtors_move_alone(client, sofia, carla, carlos, carlas_book):
    client.force_login(sofia)
    chosen = carlas_book[1]
    client.post(
        reverse("promises:reassign"),
        {"from_collector": carla.pk, "to_collector": carlos.pk, "debtor_ids": [chosen.pk], "confirm": "1"},
    )
    assert list(Debtor.objects.filter(assigned_to=carlos)) == [chosen]


def test_a_supervisor_cannot_move_another_teams_debtors(client, sofia, carla, carlos, mateo, cris):
    client.force_login(sofia)
    client.post(reverse("promises:reassign"), {"debtor_ids": [mateo.pk], "to_collector": carlos.pk, "confirm": "1"})
    mateo.refresh_from_db()
    assert mateo.assigned_to == cris


def test_a_supervisor_cannot_give_work_to_another_teams_collector(client, sofia, carla, cris, carlas_book):
    client.force_login(sofia)
    response = client.post(
        reverse("promises:reassign"), {"from_collector": carla.pk, "to_collector": cris.pk, "confirm": "1"}
    )
    assert response.status_code == 200  # the form answers with its error
    assert Debtor.objects.filter(assigned_to=cris).count() == 0
    assert not Reassignment.objects.exists()


def test_an_admin_moves_work_across_teams(client, ana, carla, cris, carlas_book):
    client.force_login(ana)
    client.post(reverse("promises:reassign"), {"from_collector": carla.pk, "to_collector": cris.pk, "confirm": "1"})
    assert Debtor.objects.filter(assigned_to=cris).count() == 3


def test_collectors_cannot_reassign(client, carla, carlos, carlas_book):
    client.force_login(carla)
    response = client.post(
        reverse("promises:reassign"), {"from_collector": carla.pk, "to_collector": carlos.pk, "confirm": "1"}
    )
    assert response.status_code == 404
    assert Debtor.objects.filter(assigned_to=carla).count() == 3


def test_the_move_is_two_statements_whatever_the_number_of_debtors(
    sofia, carla, carlos, portfolio, django_assert_max_num_queries
):
    from supervision.selectors import debtors_for_reassignment
    from supervision.services import debtors_reassign

    for _ in range(25):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
        factories.make_follow_up(debtor=debtor, assigned_to=carla)
    # collector check, locked ids, follow-ups UPDATE, debtors UPDATE, record INSERT (+ savepoint)
    with django_assert_max_num_queries(7):
        move = debtors_reassign(
            by=sofia, debtors=debtors_for_reassignment(sofia, from_collector=carla.pk), to_collector=carlos
        )
    assert move.debtor_count == 25 and move.follow_up_count == 25
