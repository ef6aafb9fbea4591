"""Who reaches which debtor: the matrix every page and endpoint relies on."""

import pytest
from django.urls import reverse

from collections_crm import permissions
from debtors.models import Debtor
from tests import factories


def _detail(client, user, debtor):
    client.force_login(user)
    return client.get(reverse("debtors:detail", args=[debtor.pk]))


@pytest.mark.parametrize(
    ("persona", "debtor_name", "expected_status"),
    [
        ("carla", "diego", 200),  # her own debtor
        ("carla", "mateo", 404),  # another team's collector's debtor
        ("carlos", "diego", 404),  # a teammate's debtor
        ("carla", "unassigned", 404),
        ("sofia", "diego", 200),  # her team's debtor
        ("sofia", "mateo", 404),  # another supervisor's team
        ("sofia", "unassigned", 404),
        ("pablo", "mateo", 200),
        ("pablo", "diego", 404),
        ("ana", "diego", 200),  # admins see everything
        ("ana", "mateo", 200),
        ("ana", "unassigned", 200),
    ],
)
def test_debtor_page_is_reachable_only_within_scope(client, request, persona, debtor_name, expected_status):
    user = request.getfixturevalue(persona)
    debtor = request.getfixturevalue(debtor_name)
    response = _detail(client, user, debtor)
    assert response.status_code == expected_status


def test_a_debtor_id_that_does_not_exist_looks_the_same_as_a_forbidden_one(client, carla, mateo):
    forbidden = _detail(client, carla, mateo)
    missing = client.get(reverse("debtors:detail", args=[mateo.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, diego):
    response = client.get(reverse("debtors:detail", args=[diego.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_debtor_list_shows_only_the_debtors_in_scope(client, carla, sofia, ana, diego, mateo, unassigned):
    client.force_login(carla)
    page = client.get(reverse("debtors:list")).content.decode()
    assert diego.full_name in page
    assert mateo.full_name not in page and unassigned.full_name not in page

    client.force_login(ana)
    page = client.get(reverse("debtors:list")).content.decode()
    assert all(d.full_name in page for d in (diego, mateo, unassigned))


def test_search_does_not_leak_other_collectors_debtors(client, carla, mateo):
    client.force_login(carla)
    page = client.get(reverse("debtors:list"), {"q": mateo.external_id}).content.decode()
    assert mateo.full_name not in page


def test_a_supervisor_also_reaches_debtors_assigned_to_themselves(client, sofia, portfolio):
    own = factories.make_debtor(portfolio=portfolio, assigned_to=sofia, full_name="Sara Supervisada")
    assert _detail(client, sofia, own).status_code == 200


def test_reassigning_a_debtor_moves_access_with_it(client, carla, carlos, diego):
    Debtor.objects.filter(pk=diego.pk).update(assigned_to=carlos)
    assert _detail(client, carla, diego).status_code == 404
    assert _detail(client, carlos, diego).status_code == 200


def test_inactive_users_reach_nothing(carla, diego):
    carla.is_active = False
    assert not permissions.can_view_debtor(carla, diego)
    assert not Debtor.objects.filter(permissions.debtor_scope(carla)).exists()


def test_promises_calls_and_payments_follow_their_debtor(carla, carlos, sofia, pablo, diego):
    promise = factories.make_promise(debtor=diego, collector=carla)
    call = factories.make_call(debtor=diego, collector=carla)
    payment = factories.make_payment(debtor=diego)
    for check, row in (
        (permissions.can_view_promise, promise),
        (permissions.can_view_call, call),
        (permissions.can_view_payment, payment),
    ):
        assert check(carla, row) and check(sofia, row)
        assert not check(carlos, row) and not check(pablo, row)


@pytest.mark.parametrize(
    ("persona", "page", "expected_status"),
    [
        ("carla", "debtors:portfolios", 404),
        ("sofia", "debtors:portfolios", 404),
        ("ana", "debtors:portfolios", 200),
        ("carla", "promises:dashboard", 404),
        ("sofia", "promises:dashboard", 200),
        ("ana", "promises:dashboard", 200),
    ],
)
def test_role_pages_answer_404_outside_the_role(client, request, persona, page, expected_status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(page)).status_code == expected_status


def test_only_supervisors_and_admins_record_payments(carla, sofia, ana):
    assert not permissions.can_record_payments(carla)
    assert permissions.can_record_payments(sofia) and permissions.can_record_payments(ana)


def test_django_admin_is_for_admins_only(client, carla, sofia, ana):
    for user, expected in ((carla, 302), (sofia, 302), (ana, 200)):
        client.force_login(user)
        assert client.get(reverse("admin:index")).status_code == expected
