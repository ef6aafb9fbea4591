"""Arrangements beyond a collector's limits wait for a supervisor of the debtor's team."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from promises.models import ApprovalStatus, Arrangement, ArrangementLimits, Promise, PromiseEvent
from promises.services import arrangement_approve, arrangement_limits_check, arrangement_propose, arrangement_reject

pytestmark = pytest.mark.usefixtures("clock")  # Monday 16 November 2026, 10:00 in Lima

FIRST = date(2026, 11, 30)


def plan(count: int, amount: str = "100", first: date = FIRST) -> list[tuple[date, Decimal]]:
    return [(first + timedelta(weeks=n), Decimal(amount)) for n in range(count)]


@pytest.fixture
def waiting(diego, carla):
    """Carla agreed six instalments where her portfolio allows three."""
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_instalments=3)
    arrangement = arrangement_propose(debtor=diego, collector=carla, schedule=plan(6))
    assert arrangement.approval_status == ApprovalStatus.PENDING
    return arrangement


def test_the_supervisor_of_the_debtors_team_approves(waiting, sofia):
    arrangement = arrangement_approve(arrangement=waiting, by=sofia)
    assert (arrangement.approval_status, arrangement.approved_by) == (ApprovalStatus.APPROVED, sofia)
    assert arrangement.approved_at is not None
    assert arrangement.status == Arrangement.Status.ACTIVE
    assert arrangement.promises.filter(status=Promise.Status.PENDING).count() == 6


def test_an_admin_approves_any_arrangement(waiting, ana):
    assert arrangement_approve(arrangement=waiting, by=ana).approval_status == ApprovalStatus.APPROVED


def test_a_supervisor_of_another_team_cannot_approve(waiting, pablo):
    with pytest.raises(Http404):
        arrangement_approve(arrangement=waiting, by=pablo)
    with pytest.raises(Http404):
        arrangement_reject(arrangement=waiting, by=pablo, reason="Too long")
    waiting.refresh_from_db()
    assert waiting.approval_status == ApprovalStatus.PENDING


def test_a_collector_cannot_approve_even_her_own_arrangement(waiting, carla):
    with pytest.raises(Http404):
        arrangement_approve(arrangement=waiting, by=carla)


def test_a_rejected_arrangement_cancels_its_pending_promises_with_events(waiting, sofia):
    arrangement = arrangement_reject(arrangement=waiting, by=sofia, reason="Six months is too long for this balance")
    assert (arrangement.approval_status, arrangement.status) == (ApprovalStatus.REJECTED, Arrangement.Status.CANCELLED)
    assert (arrangement.approved_by, arrangement.rejection_reason) == (sofia, "Six months is too long for this balance")
    assert set(arrangement.promises.values_list("status", flat=True)) == {Promise.Status.CANCELLED}
    events = PromiseEvent.objects.filter(promise__arrangement=arrangement, to_status=Promise.Status.CANCELLED)
    assert events.count() == 6
    assert {(event.cause, event.by_id, event.note) for event in events} == {
        (PromiseEvent.Cause.USER, sofia.pk, "Six months is too long for this balance")
    }


def test_a_rejection_says_why(waiting, sofia):
    with pytest.raises(ValidationError) as raised:
        arrangement_reject(arrangement=waiting, by=sofia, reason="  ")
    assert "reason" in raised.value.message_dict


def test_an_arrangement_is_decided_once(waiting, sofia, ana):
    arrangement_approve(arrangement=waiting, by=sofia)
    with pytest.raises(ValidationError) as raised:
        arrangement_reject(arrangement=waiting, by=ana, reason="Changed my mind")
    assert raised.value.code == "not_pending"
    waiting.refresh_from_db()
    assert waiting.approval_status == ApprovalStatus.APPROVED


def test_an_arrangement_within_the_limits_needs_no_approval(diego, carla, sofia):
    arrangement = arrangement_propose(debtor=diego, collector=carla, schedule=plan(3))
    assert arrangement.approval_status == ApprovalStatus.NOT_NEEDED
    with pytest.raises(ValidationError):
        arrangement_approve(arrangement=arrangement, by=sofia)


def test_a_discount_beyond_the_limit_waits_for_approval(diego, carla):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_discount_percent=Decimal("10"))
    within = arrangement_propose(
        debtor=diego,
        collector=carla,
        schedule=plan(1, "900"),
        kind=Arrangement.Kind.SETTLEMENT,
        discount_amount=Decimal("100"),
    )
    beyond = arrangement_propose(
        debtor=diego,
        collector=carla,
        schedule=plan(1, "700"),
        kind=Arrangement.Kind.SETTLEMENT,
        discount_amount=Decimal("300"),
    )
    assert within.approval_status == ApprovalStatus.NOT_NEEDED
    assert beyond.approval_reasons == [{"code": "max_discount", "value": "30.00", "limit": "10.00"}]


def test_every_limit_beyond_reach_is_reported(diego, carla, sofia):
    ArrangementLimits.objects.create(
        portfolio=diego.portfolio,
        min_share_of_balance_percent=Decimal("50"),
        max_days_to_first_payment=10,
        max_instalments=2,
        max_discount_percent=Decimal("0"),
    )
    schedule = plan(3, "100")  # 300 of a 1,000 balance, the first payment 14 days away
    breaches = arrangement_limits_check(debtor=diego, by=carla, schedule=schedule, discount_amount=Decimal("50"))
    assert [(b["code"], b["value"], b["limit"]) for b in breaches] == [
        ("min_share_of_balance", "35.00", "50.00"),
        ("max_days_to_first_payment", "14", "10"),
        ("max_instalments", "3", "2"),
        ("max_discount", "5.00", "0.00"),
    ]
    assert arrangement_limits_check(debtor=diego, by=sofia, schedule=schedule, discount_amount=Decimal("50")) == []


def test_admin_lists_the_limits_and_the_approval_queue(client, ana, waiting):
    client.force_login(ana)
    assert client.get(reverse("admin:promises_arrangementlimits_changelist")).status_code == 200
    response = client.get(reverse("admin:promises_arrangement_changelist"), {"approval_status__exact": "pending"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
