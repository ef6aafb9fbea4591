"""A dialer logs calls with the desk's rules: commitments, stances, limits, the contact policy."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from calls.models import Call, FollowUp
from promises.models import Arrangement, Promise
from tests import factories
from tests.api.conftest import SATURDAY, WEDNESDAY


@pytest.fixture
def carla_api(client_for, carla):
    return client_for(carla)


def log(client, diego, **fields):
    body = {"debtor": diego.pk, "phone": diego.phones.get().pk, **fields}
    with time_machine.travel(WEDNESDAY, tick=False), translation.override("en"):
        return client.post("/api/v1/calls/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_right_party_call_with_a_promise_makes_the_promise(carla_api, diego):
    response = log(
        carla_api,
        diego,
        outcome="right_party",
        commitment="promise",
        promise_amount="250.00",
        promise_date="2026-11-25",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    promise = Promise.objects.get()
    assert body["promise"] == promise.pk and body["promises"] == [promise.pk] and body["awaiting_approval"] is False
    assert (promise.amount, promise.due_date, promise.call_id) == (Decimal("250.00"), date(2026, 11, 25), body["id"])
    assert body["started_at"] == "2026-11-18T10:00:00-05:00"  # carla's zone, with its offset


def test_an_instalment_plan_makes_one_promise_per_instalment(carla_api, diego):
    plan = {"count": 3, "first_date": "2026-11-30", "frequency": "monthly", "total": "300.00"}
    response = log(
        carla_api,
        diego,
        outcome="right_party",
        stance="situation",
        stance_reason="job_loss",
        commitment="instalments",
        instalments=plan,
    )
    assert response.status_code == 201, response.json()
    arrangement = Arrangement.objects.get()
    assert response.json()["arrangement"] == arrangement.pk
    assert [str(p.amount) for p in arrangement.promises.order_by("instalment_number")] == ["100.00", "100.00", "100.00"]
    assert response.json()["promises"] == list(
        arrangement.promises.order_by("instalment_number").values_list("pk", flat=True)
    )


def test_a_callback_schedules_the_follow_up(carla_api, diego):
    response = log(
        carla_api, diego, outcome="right_party", commitment="callback", callback_at="2026-11-19T16:00:00-05:00"
    )
    assert response.status_code == 201, response.json()
    follow_up = FollowUp.objects.get()
    assert response.json()["follow_up"] == follow_up.pk and follow_up.reason == FollowUp.Reason.CALLBACK


def test_a_right_party_call_without_a_commitment_is_refused_by_field(carla_api, diego):
    response = log(carla_api, diego, outcome="right_party")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["commitment"]
    assert "ends with a commitment" in body["errors"]["commitment"][0]
    assert not Call.objects.exists()


def test_no_commitment_needs_its_reason_and_then_is_a_lost_call(carla_api, diego):
    refused = log(carla_api, diego, outcome="right_party", commitment="none")
    accepted = log(carla_api, diego, outcome="right_party", commitment="none", no_commitment_reason="Hung up")
    assert refused.status_code == 400 and "no_commitment_reason" in refused.json()["errors"]
    assert accepted.status_code == 201 and accepted.json()["commitment"] == "none"


def test_only_the_debtor_can_promise(carla_api, diego):
    response = log(
        carla_api, diego, outcome="third_party", commitment="promise", promise_amount="10.00", promise_date="2026-11-25"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["commitment"] == [
        "Only the debtor can promise to pay; a third party cannot promise for them."
    ]


def test_a_stance_reason_of_the_other_kind_is_refused(carla_api, diego):
    response = log(
        carla_api,
        diego,
        outcome="right_party",
        stance="objection",
        stance_reason="illness",
        commitment="none",
        no_commitment_reason="x",
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["stance_reason"]


def test_an_instalment_field_error_is_reported_under_its_dotted_name(carla_api, diego):
    plan = {"count": 3, "first_date": "2026-11-30", "frequency": "yearly", "total": "300.00"}
    response = log(carla_api, diego, outcome="right_party", commitment="instalments", instalments=plan)
    assert response.status_code == 400 and list(response.json()["errors"]) == ["instalments.frequency"]


def test_a_promise_beyond_the_collectors_limits_waits_for_approval(carla_api, diego):
    from promises.models import ArrangementLimits

    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_days_to_first_payment=3)
    response = log(
        carla_api,
        diego,
        outcome="right_party",
        commitment="promise",
        promise_amount="100.00",
        promise_date="2026-11-30",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["awaiting_approval"] is True


def test_a_call_the_policy_blocks_is_409_with_the_reasons_and_next_moment(carla_api, diego):
    with time_machine.travel(SATURDAY, tick=False), translation.override("en"):
        response = carla_api.post(
            "/api/v1/calls/",
            {"debtor": diego.pk, "phone": diego.phones.get().pk, "outcome": "no_answer"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "contact_blocked" and body["reasons"][0]["code"] == "outside_hours"
    assert body["next_allowed_at"] == "2026-11-23T07:00:00-05:00"


def test_a_naive_time_is_refused(carla_api, diego):
    response = log(carla_api, diego, outcome="no_answer", started_at="2026-11-18T09:00:00")
    assert response.status_code == 400
    assert response.json()["errors"]["started_at"] == [
        "Give the time with its UTC offset, e.g. 2026-11-18T10:00:00-05:00."
    ]


def test_another_debtors_phone_is_404(carla_api, diego, carla, portfolio):
    other = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    phone = factories.make_phone(debtor=other, number="+51912345678")
    with time_machine.travel(WEDNESDAY, tick=False):
        response = carla_api.post(
            "/api/v1/calls/", {"debtor": diego.pk, "phone": phone.pk, "outcome": "no_answer"}, format="json"
        )
    assert response.status_code == 404 and not Call.objects.exists()


def test_calls_list_filters_by_debtor_and_outcome(carla_api, carla, diego, portfolio):
    other = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    factories.make_call(debtor=diego, collector=carla, outcome="busy")
    factories.make_call(debtor=diego, collector=carla, outcome="no_answer")
    factories.make_call(debtor=other, collector=carla, outcome="busy")
    rows = carla_api.get("/api/v1/calls/", {"debtor": diego.pk, "outcome": "busy"}).json()["results"]
    assert [(row["debtor"], row["outcome"]) for row in rows] == [(diego.pk, "busy")]


def test_follow_ups_list_mine_and_complete_once(carla_api, carla, diego):
    open_one = factories.make_follow_up(debtor=diego, assigned_to=carla, reason="retry")
    factories.make_follow_up(debtor=diego, assigned_to=carla, reason="manual", status="done", closed_at=WEDNESDAY)
    listed = carla_api.get("/api/v1/follow-ups/", {"status": "open"}).json()
    assert [row["id"] for row in listed["results"]] == [open_one.pk]
    first = carla_api.post(f"/api/v1/follow-ups/{open_one.pk}/complete/", {"note": "Paid already"}, format="json")
    second = carla_api.post(f"/api/v1/follow-ups/{open_one.pk}/complete/", {"note": "Again"}, format="json")
    assert first.status_code == 200 and first.json()["status"] == "done" and first.json()["note"] == "Paid already"
    assert second.status_code == 409 and second.json()["code"] == "not_open"


def test_a_call_dated_in_the_future_is_refused_and_leaves_nothing(carla_api, diego):
    # The contact policy would judge a moment that has not come: a Saturday night call logged
    # as Monday morning's would be stored as lawful.
    response = log(carla_api, diego, outcome="no_answer", started_at="2026-11-19T09:00:00-05:00")
    assert response.status_code == 400
    assert response.json()["errors"]["started_at"] == ["A call cannot have started in the future."]
    response = log(carla_api, diego, outcome="no_answer", started_at="2027-06-01T10:00:00-05:00")
    assert response.json()["errors"]["started_at"] == ["Give a moment within the last year."]
    assert not Call.objects.exists()
    # A client's clock a minute fast is not a call in the future.
    response = log(carla_api, diego, outcome="no_answer", started_at="2026-11-18T10:01:00-05:00")
    assert response.status_code == 201, response.json()


def test_a_promise_above_the_balance_waits_for_a_supervisor(carla_api, diego, sofia, client):
    response = log(
        carla_api,
        diego,
        outcome="right_party",
        commitment="promise",
        promise_amount="999999999999.99",
        promise_date="2026-11-25",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["awaiting_approval"] is True
    reasons = Arrangement.objects.get().approval_reasons
    assert {"code": "above_balance", "value": "999999999999.99", "limit": "1000.00"} in reasons
    client.force_login(sofia)
    page = client.get("/promises/approvals/").content.decode()
    assert "Suma 999999999999.99, más que el saldo de 1000.00." in page


def test_an_instalment_plan_ending_past_ten_years_is_refused(carla_api, diego):
    plan = {"count": 120, "total": "12000.00", "first_date": "2036-11-01", "frequency": "monthly"}
    response = log(carla_api, diego, outcome="right_party", commitment="instalments", instalments=plan)
    assert response.status_code == 400
    assert response.json()["errors"]["instalments"] == ["The last instalment falls more than ten years ahead."]
    assert not Arrangement.objects.exists() and not Call.objects.exists()
    plan["first_date"] = "2026-12-01"  # ten years monthly from next month: within
    assert log(carla_api, diego, outcome="right_party", commitment="instalments", instalments=plan).status_code == 201
