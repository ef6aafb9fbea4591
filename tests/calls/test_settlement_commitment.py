"""A discounted settlement agreed on a call (desk and API): pay less than the balance, by a date
or in a few payments, the rest forgiven once every payment is kept; within the collector's
limits it stands, beyond them it waits for a supervisor."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from calls.models import Call
from promises.models import ApprovalStatus, Arrangement, ArrangementLimits, Promise
from promises.services import payment_record
from tests.calls.call_log_helpers import WEDNESDAY, errors_of, log

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def generous_limits(diego):
    # Diego owes 1,000.00: a 30 % discount is within these limits.
    return ArrangementLimits.objects.create(portfolio=diego.portfolio, max_discount_percent=Decimal("30"))


def test_a_single_payment_settlement_forgives_the_rest_of_the_balance(diego, carla, phone, generous_limits):
    settlement = {"total": "700", "first_date": date(2026, 11, 30)}
    result = log(diego, carla, phone, outcome="right_party", commitment="settlement", settlement=settlement)
    arrangement = result.arrangement
    assert (arrangement.kind, arrangement.total_amount, arrangement.discount_amount) == (
        Arrangement.Kind.SETTLEMENT,
        Decimal("700.00"),
        Decimal("300.00"),
    )
    assert result.awaiting_approval is False
    promise = arrangement.promises.get()
    assert (promise.amount, promise.due_date) == (Decimal("700.00"), date(2026, 11, 30))
    assert Call.objects.get().commitment == "settlement"


def test_a_settlement_in_three_payments_splits_the_agreed_total(diego, carla, phone, generous_limits):
    settlement = {"total": "750", "first_date": date(2026, 11, 30), "count": 3, "frequency": "monthly"}
    result = log(diego, carla, phone, outcome="right_party", commitment="settlement", settlement=settlement)
    rows = list(result.arrangement.promises.order_by("instalment_number").values_list("due_date", "amount"))
    assert rows == [
        (date(2026, 11, 30), Decimal("250.00")),
        (date(2026, 12, 30), Decimal("250.00")),
        (date(2027, 1, 30), Decimal("250.00")),
    ]
    assert result.arrangement.discount_amount == Decimal("250.00")


def test_a_discount_beyond_the_collectors_limit_waits_for_approval(diego, carla, phone):
    # No limits saved: a collector may forgive nothing.
    settlement = {"total": "600", "first_date": date(2026, 11, 30)}
    result = log(diego, carla, phone, outcome="right_party", commitment="settlement", settlement=settlement)
    assert result.awaiting_approval is True
    reasons = {row["code"]: row for row in result.arrangement.approval_reasons}
    assert reasons["max_discount"]["value"] == "40.00"
    assert result.arrangement.approval_status == ApprovalStatus.PENDING


def test_a_total_at_or_above_the_balance_is_not_a_settlement(diego, carla, phone):
    settlement = {"total": "1000", "first_date": date(2026, 11, 30)}
    with pytest.raises(Exception) as raised, translation.override("es"):
        log(diego, carla, phone, outcome="right_party", commitment="settlement", settlement=settlement)
    assert "paga menos que el saldo de 1000.00" in errors_of(raised)["settlement"][0]
    assert not Call.objects.exists() and not Arrangement.objects.exists()


def test_a_settlement_without_a_date_is_refused_and_nothing_is_written(diego, carla, phone):
    with pytest.raises(Exception) as raised:
        log(diego, carla, phone, outcome="right_party", commitment="settlement", settlement={"total": "500"})
    assert "settlement" in errors_of(raised)
    assert not Call.objects.exists()


def test_a_kept_settlement_is_completed(diego, carla, phone, generous_limits):
    settlement = {"total": "700", "first_date": date(2026, 11, 30)}
    arrangement = log(
        diego, carla, phone, outcome="right_party", commitment="settlement", settlement=settlement
    ).arrangement
    payment_record(debtor=diego, amount=Decimal("700"), paid_at=WEDNESDAY, reference="OP-1", source="bank")
    arrangement.refresh_from_db()
    assert arrangement.status == Arrangement.Status.COMPLETED
    assert arrangement.promises.get().status == Promise.Status.KEPT


def test_the_desk_form_logs_a_settlement_and_reads_it_back(client, carla, diego, phone, generous_limits):
    client.force_login(carla)
    response = client.post(
        reverse("calls:log", args=[diego.pk]),
        {
            "phone": phone.pk,
            "outcome": "right_party",
            "commitment": "settlement",
            "settlement_total": "700",
            "settlement_first_date": "2026-11-30",
            "settlement_count": "1",
            "settlement_frequency": "monthly",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200, html
    summary = html[html.index('class="read-back"') :]
    assert "700,00" in summary and "300,00" in summary  # Diego reads Spanish amounts
    assert Arrangement.objects.get().kind == "settlement"


def test_the_desk_form_puts_the_refusal_beside_the_amount(client, carla, diego, phone):
    client.force_login(carla)
    response = client.post(
        reverse("calls:log", args=[diego.pk]),
        {
            "phone": phone.pk,
            "outcome": "right_party",
            "commitment": "settlement",
            "settlement_total": "1200",
            "settlement_first_date": "2026-11-30",
        },
        **HTMX,
    )
    assert response.status_code in (200, 422)
    assert "details-settlement has-error" in response.content.decode()
    assert not Arrangement.objects.exists()


def api_body(diego, phone, settlement):
    return {
        "debtor": diego.pk,
        "phone": phone.pk,
        "outcome": "right_party",
        "commitment": "settlement",
        "settlement": settlement,
    }


def test_the_api_logs_a_settlement(client, carla, diego, phone, generous_limits):
    client.force_login(carla)
    body = api_body(diego, phone, {"total": "720.50", "first_date": "2026-11-30", "count": 2})
    response = client.post("/api/v1/calls/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    arrangement = Arrangement.objects.get(pk=response.json()["arrangement"])
    assert (arrangement.kind, arrangement.discount_amount) == ("settlement", Decimal("279.50"))
    assert len(response.json()["promises"]) == 2


def test_the_api_answers_409_when_nothing_is_left_to_forgive(client, carla, diego, phone):
    client.force_login(carla)
    response = client.post(
        "/api/v1/calls/",
        api_body(diego, phone, {"total": "5000", "first_date": "2026-11-30"}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_a_settlement"
    assert not Call.objects.exists()


def test_a_debt_placed_after_the_settlement_is_not_forgiven_with_it(diego, carla, phone, generous_limits, clock):
    from datetime import timedelta

    from tests import factories

    settlement = {"total": "700", "first_date": date(2026, 11, 30)}
    log(diego, carla, phone, outcome="right_party", commitment="settlement", settlement=settlement)
    clock.shift(timedelta(days=2))
    later = factories.make_debt(debtor=diego, balance=Decimal("450.00"), account_reference="NEW-1")
    payment_record(
        debtor=diego, amount=Decimal("700"), paid_at=WEDNESDAY + timedelta(days=1), reference="OP-1", source="bank"
    )
    later.refresh_from_db()
    assert later.balance == Decimal("450.00")
    assert diego.debts.exclude(pk=later.pk).get().balance == Decimal("0.00")
