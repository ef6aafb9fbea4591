"""Logging a call: an arrangement beyond the collector's limits for the portfolio is made, and
waits for a supervisor's approval; a supervisor's own has no limits."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from promises.models import ApprovalStatus, Arrangement, ArrangementLimits, Promise
from tests.calls.call_log_helpers import WEDNESDAY, log


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


# --- Rule 4: limits by role per portfolio -----------------------------------------------------


def test_beyond_the_collectors_limits_the_arrangement_waits_for_approval(diego, carla, phone):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_instalments=3)
    plan = {"count": 6, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": "1000"}
    result = log(diego, carla, phone, outcome="right_party", commitment="instalments", instalments=plan)
    arrangement = Arrangement.objects.get()
    assert result.awaiting_approval is True
    assert arrangement.approval_status == ApprovalStatus.PENDING
    assert arrangement.approval_reasons == [{"code": "max_instalments", "value": "6", "limit": "3"}]
    # Simple on purpose: the promises exist and are pending while the supervisor decides.
    assert arrangement.promises.filter(status=Promise.Status.PENDING).count() == 6


def test_a_supervisor_has_no_limits(diego, sofia, phone):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_instalments=3)
    plan = {"count": 6, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": "1000"}
    result = log(diego, sofia, phone, outcome="right_party", commitment="instalments", instalments=plan)
    assert result.awaiting_approval is False
    assert result.arrangement.approval_status == ApprovalStatus.NOT_NEEDED


def test_a_promise_too_far_off_waits_for_approval_as_an_arrangement_of_one(diego, carla, phone):
    # No limits saved: the defaults allow 30 days to the first payment.
    result = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="promise",
        promise_amount="300",
        promise_date=date(2027, 1, 15),
    )
    assert result.awaiting_approval is True
    assert result.arrangement == result.promise.arrangement
    assert (result.arrangement.kind, result.promise.instalment_number) == (Arrangement.Kind.INSTALMENTS, 1)
    assert result.arrangement.approval_reasons[0]["code"] == "max_days_to_first_payment"


def test_a_promise_below_the_minimum_share_waits_for_approval(diego, carla, phone):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, min_share_of_balance_percent=Decimal("20"))
    small = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="promise",
        promise_amount="150",
        promise_date=date(2026, 11, 30),
    )
    enough = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="promise",
        promise_amount="200",
        promise_date=date(2026, 11, 30),
    )
    assert small.awaiting_approval and small.arrangement.approval_reasons[0] == {
        "code": "min_share_of_balance",
        "value": "15.00",
        "limit": "20.00",
    }
    assert not enough.awaiting_approval and enough.promise.arrangement is None
