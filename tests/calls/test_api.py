"""The API answers with the same rules and scope as the pages: 409 when the law forbids."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from calls.models import Call
from promises import services as promise_services
from promises.models import Payment, Promise

LIMA = ZoneInfo("America/Lima")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
SATURDAY = datetime(2026, 11, 21, 10, 0, tzinfo=LIMA)


@pytest.fixture
def api():
    return APIClient()


def test_a_dialer_reads_the_verdict_before_dialling(api, carla, diego):
    api.force_authenticate(carla)
    with time_machine.travel(WEDNESDAY, tick=False):  # "at" must lie within a few years of now
        response = api.get(
            f"/api/v1/debtors/{diego.pk}/contact-verdict/", {"channel": "voice", "at": SATURDAY.isoformat()}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is False and body["reasons"][0]["code"] == "outside_hours"
    assert body["next_allowed_at"] == "2026-11-23T07:00:00-05:00"  # Monday 07:00 in Lima, with its offset


def test_another_collectors_debtor_is_404_by_api_too(api, carla, mateo):
    api.force_authenticate(carla)
    assert api.get(f"/api/v1/debtors/{mateo.pk}/contact-verdict/").status_code == 404
    response = api.post("/api/v1/calls/", {"debtor": mateo.pk, "phone": 1, "outcome": "no_answer"}, format="json")
    assert response.status_code == 404 and not Call.objects.exists()


def test_a_lawful_call_is_logged_with_its_evidence(api, carla, diego):
    api.force_authenticate(carla)
    with time_machine.travel(WEDNESDAY, tick=False):
        response = api.post(
            "/api/v1/calls/",
            {"debtor": diego.pk, "phone": diego.phones.get().pk, "outcome": "no_answer"},
            format="json",
        )
    assert response.status_code == 201
    call = Call.objects.get()
    assert (call.collector, call.policy_code, call.policy_decision) == (carla, "pe", "allowed")
    assert call.local_time.startswith("2026-11-18T10:00")


def test_a_blocked_call_is_refused_with_409_and_the_reasons(api, carla, diego):
    api.force_authenticate(carla)
    with time_machine.travel(SATURDAY, tick=False):
        response = api.post(
            "/api/v1/calls/",
            {"debtor": diego.pk, "phone": diego.phones.get().pk, "outcome": "no_answer"},
            format="json",
        )
    assert response.status_code == 409
    assert response.json()["reasons"][0]["code"] == "outside_hours"
    assert not Call.objects.exists()


def test_a_collector_cannot_override_but_a_supervisor_can_in_writing(api, carla, sofia, diego):
    with time_machine.travel(SATURDAY, tick=False):
        api.force_authenticate(carla)
        refused = api.post(
            "/api/v1/calls/",
            {"debtor": diego.pk, "phone": diego.phones.get().pk, "outcome": "no_answer", "override_reason": "urgent"},
            format="json",
        )
        api.force_authenticate(sofia)
        allowed = api.post(
            "/api/v1/calls/",
            {
                "debtor": diego.pk,
                "phone": diego.phones.get().pk,
                "outcome": "right_party",
                "no_commitment_reason": "Will look at the statement first",
                "override_reason": "Debtor asked us to call on Saturday",
            },
            format="json",
        )
    # Not bad input but a right the collector lacks: 403, as the schema documents.
    assert refused.status_code == 403 and refused.json()["code"] == "override_not_allowed"
    assert allowed.status_code == 201
    call = Call.objects.get()
    assert (call.policy_decision, call.override_by, call.override_reason) == (
        "overridden",
        sofia,
        "Debtor asked us to call on Saturday",
    )


def test_payments_by_api_are_idempotent_and_reconcile(api, sofia, carla, diego):
    with time_machine.travel(WEDNESDAY, tick=False):
        promise = promise_services.promise_create(
            debtor=diego, collector=carla, amount=Decimal("120"), due_date=WEDNESDAY.date()
        )
        api.force_authenticate(sofia)
        body = {"debtor": diego.pk, "amount": "120.00", "paid_at": WEDNESDAY.isoformat(), "reference": "BANK-77"}
        first = api.post("/api/v1/payments/", body, format="json")
        second = api.post("/api/v1/payments/", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["amount"] == "120.00" and first.json()["kept_promises"] == [promise.pk]
    assert Payment.objects.count() == 1
    promise.refresh_from_db()
    assert promise.status == Promise.Status.KEPT


def test_collectors_cannot_post_payments(api, carla, diego):
    api.force_authenticate(carla)
    body = {"debtor": diego.pk, "amount": "1.00", "paid_at": WEDNESDAY.isoformat(), "reference": "X"}
    assert api.post("/api/v1/payments/", body, format="json").status_code == 404
