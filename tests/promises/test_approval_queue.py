"""Supervisors and admins decide, from one page, on the arrangements beyond a collector's limits."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from promises.models import ApprovalStatus, Arrangement, ArrangementLimits, Promise
from promises.services import arrangement_propose
from tests import factories

pytestmark = pytest.mark.usefixtures("clock")  # Monday 16 November 2026, 10:00 in Lima

FIRST = date(2026, 11, 30)


def plan(count: int, amount: str = "100", first: date = FIRST) -> list[tuple[date, Decimal]]:
    return [(first + timedelta(weeks=n), Decimal(amount)) for n in range(count)]


def _in_english(client, user):
    user.language = "en"
    user.save()
    client.cookies["django_language"] = "en"
    client.force_login(user)


@pytest.fixture
def waiting(diego, carla):
    """Carla agreed six instalments where her portfolio allows three."""
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_instalments=3)
    return arrangement_propose(debtor=diego, collector=carla, schedule=plan(6))


@pytest.fixture
def elsewhere(mateo, cris):
    """Cris, in pablo's team, agreed six instalments too."""
    ArrangementLimits.objects.get_or_create(portfolio=mateo.portfolio, defaults={"max_instalments": 3})
    return arrangement_propose(debtor=mateo, collector=cris, schedule=plan(6))


def test_the_supervisor_sees_her_teams_arrangements_with_the_limits_they_breach(client, sofia, waiting, elsewhere):
    _in_english(client, sofia)
    page = client.get(reverse("promises:approvals")).content.decode()
    assert "Diego Díaz Quispe" in page
    assert "Carla Cobos" in page
    assert "Instalment plan" in page
    assert "6 instalments, the first on" in page
    assert "It has 6 instalments; the limit is 3." in page
    assert "Mateo Mendoza Ríos" not in page  # pablo's team


def test_every_breached_limit_reads_as_a_sentence(client, sofia, diego, carla):
    ArrangementLimits.objects.create(
        portfolio=diego.portfolio, max_days_to_first_payment=10, min_share_of_balance_percent=Decimal("80")
    )
    arrangement_propose(
        debtor=diego,
        collector=carla,
        kind=Arrangement.Kind.SETTLEMENT,
        schedule=plan(1, amount="500"),
        discount_amount=Decimal("100"),
    )
    _in_english(client, sofia)
    page = client.get(reverse("promises:approvals")).content.decode()
    assert "It covers 60.00% of the balance; the minimum is 80.00%." in page
    assert "The first payment is 14 days away; the limit is 10 days." in page
    assert "It forgives 10.00% of the balance; the limit is 0.00%." in page
    assert "1 instalment, on" in page


def test_an_admin_sees_every_pending_arrangement(client, ana, waiting, elsewhere):
    client.force_login(ana)
    page = client.get(reverse("promises:approvals")).content.decode()
    assert "Diego Díaz Quispe" in page and "Mateo Mendoza Ríos" in page


def test_collectors_have_no_approval_queue(client, carla, waiting):
    client.force_login(carla)
    assert client.get(reverse("promises:approvals")).status_code == 404


def test_the_navigation_offers_approvals_to_supervisors_and_admins_only(client, sofia, carla):
    _in_english(client, sofia)
    assert reverse("promises:approvals") in client.get(reverse("promises:dashboard")).content.decode()
    _in_english(client, carla)
    assert reverse("promises:approvals") not in client.get(reverse("home")).content.decode()


def test_approving_removes_it_from_the_queue(client, sofia, waiting):
    _in_english(client, sofia)
    response = client.post(reverse("promises:arrangement_approve", args=[waiting.pk]), follow=True)
    page = response.content.decode()
    assert "Arrangement for Diego Díaz Quispe approved." in page
    assert "No arrangements are waiting for approval." in page
    waiting.refresh_from_db()
    assert (waiting.approval_status, waiting.approved_by) == (ApprovalStatus.APPROVED, sofia)


def test_rejecting_needs_a_reason_and_cancels_the_promises(client, sofia, waiting):
    _in_english(client, sofia)
    url = reverse("promises:arrangement_reject", args=[waiting.pk])
    page = client.post(url, {"reason": "  "}, follow=True).content.decode()
    assert "Say why the arrangement is rejected." in page
    waiting.refresh_from_db()
    assert waiting.approval_status == ApprovalStatus.PENDING

    page = client.post(url, {"reason": "Six months is too long"}, follow=True).content.decode()
    assert "Arrangement for Diego Díaz Quispe rejected; its pending promises are cancelled." in page
    waiting.refresh_from_db()
    assert (waiting.approval_status, waiting.rejection_reason) == (ApprovalStatus.REJECTED, "Six months is too long")
    assert not waiting.promises.filter(status=Promise.Status.PENDING).exists()


def test_deciding_twice_says_it_is_no_longer_waiting(client, sofia, waiting):
    _in_english(client, sofia)
    client.post(reverse("promises:arrangement_approve", args=[waiting.pk]))
    page = client.post(reverse("promises:arrangement_approve", args=[waiting.pk]), follow=True).content.decode()
    assert "This arrangement is not waiting for approval." in page


def test_decisions_outside_the_scope_are_404_and_change_nothing(client, pablo, carla, waiting):
    for user in (pablo, carla):
        client.force_login(user)
        assert client.post(reverse("promises:arrangement_approve", args=[waiting.pk])).status_code == 404
        assert (
            client.post(reverse("promises:arrangement_reject", args=[waiting.pk]), {"reason": "No"}).status_code == 404
        )
    waiting.refresh_from_db()
    assert waiting.approval_status == ApprovalStatus.PENDING


def test_decisions_are_post_only_and_need_csrf(sofia, waiting):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sofia)
    assert client.get(reverse("promises:arrangement_approve", args=[waiting.pk])).status_code == 405
    assert client.post(reverse("promises:arrangement_approve", args=[waiting.pk])).status_code == 403
    waiting.refresh_from_db()
    assert waiting.approval_status == ApprovalStatus.PENDING


@pytest.mark.parametrize("count", [2, 6])
def test_the_approval_queue_costs_the_same_queries_whatever_its_length(
    client, sofia, carla, portfolio, count, django_assert_num_queries
):
    ArrangementLimits.objects.create(portfolio=portfolio, max_instalments=1)
    for n in range(count):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=f"Deudor {n:03d}")
        factories.make_debt(debtor=debtor)
        arrangement_propose(debtor=debtor, collector=carla, schedule=plan(2))
    client.force_login(sofia)
    # session + user, arrangements with their debtors, makers and instalment figures
    with django_assert_num_queries(3):
        response = client.get(reverse("promises:approvals"))
    assert response.content.decode().count("Deudor ") == count


def test_the_queue_is_read_from_the_pending_arrangements_not_from_the_team_debtors(sofia, waiting, elsewhere):
    from promises.selectors import arrangements_awaiting_approval

    queue = arrangements_awaiting_approval(sofia)

    assert list(queue) == [waiting]
    # A semi-join the planner can start from the few pending arrangements; the array form of
    # the scope made PostgreSQL walk a million debtors to find one (0.5 s a visit).
    assert "ANY(ARRAY" not in str(queue.query) and "IN (SELECT" in str(queue.query)
