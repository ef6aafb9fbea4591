"""Promises and payments by API: the same services as the pages, payments idempotent."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from promises import services as promise_services
from promises.models import Payment, Promise
from tests import factories
from tests.api.conftest import WEDNESDAY


@pytest.fixture
def carla_api(client_for, carla):
    return client_for(carla)


@pytest.fixture
def sofia_api(client_for, sofia):
    return client_for(sofia)


def test_a_promise_is_made_listed_and_cancelled(carla_api, diego):
    with time_machine.travel(WEDNESDAY, tick=False):
        made = carla_api.post(
            "/api/v1/promises/", {"debtor": diego.pk, "amount": "80.5", "due_date": "2026-11-27"}, format="json"
        )
        listed = carla_api.get("/api/v1/promises/", {"status": "pending"}).json()
        cancelled = carla_api.post(
            f"/api/v1/promises/{made.json()['id']}/cancel/", {"note": "Renegotiating"}, format="json"
        )
        again = carla_api.post(f"/api/v1/promises/{made.json()['id']}/cancel/", {}, format="json")
    assert made.status_code == 201
    assert (made.json()["amount"], made.json()["currency"], made.json()["paid"]) == ("80.50", "PEN", "0.00")
    assert [row["id"] for row in listed["results"]] == [made.json()["id"]]
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409 and again.json()["code"] == "not_pending"


def test_a_promise_in_the_past_is_refused_by_field(carla_api, diego):
    with time_machine.travel(WEDNESDAY, tick=False), translation.override("en"):
        response = carla_api.post(
            "/api/v1/promises/",
            {"debtor": diego.pk, "amount": "10", "due_date": "2026-11-01"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert response.json()["errors"] == {"due_date": ["The promised date is in the past for the debtor."]}


def test_promises_filter_by_due_dates_and_order_by_amount(carla_api, carla, diego):
    small = factories.make_promise(debtor=diego, collector=carla, amount=Decimal("10"), due_date=WEDNESDAY.date())
    big = factories.make_promise(debtor=diego, collector=carla, amount=Decimal("500"), due_date=WEDNESDAY.date())
    factories.make_promise(debtor=diego, collector=carla, due_date=WEDNESDAY.date().replace(month=12))
    rows = carla_api.get("/api/v1/promises/", {"due_before": "2026-11-30", "ordering": "-amount"}).json()["results"]
    assert [row["id"] for row in rows] == [big.pk, small.pk]


def test_a_payment_feed_can_resend_without_duplicates_and_promises_are_kept(sofia_api, carla, diego):
    with time_machine.travel(WEDNESDAY, tick=False):
        promise = promise_services.promise_create(
            debtor=diego, collector=carla, amount=Decimal("120"), due_date=WEDNESDAY.date()
        )
        body = {"debtor": diego.pk, "amount": "120.00", "paid_at": "2026-11-18T10:00:00-05:00", "reference": "BANK-77"}
        first = sofia_api.post("/api/v1/payments/", body, format="json")
        second = sofia_api.post("/api/v1/payments/", {**body, "amount": "999.00"}, format="json")
        listed = sofia_api.get("/api/v1/promises/", {"debtor": diego.pk}).json()["results"]
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["kept_promises"] == [promise.pk] and second.json()["kept_promises"] == []
    assert second.json()["id"] == first.json()["id"] and second.json()["amount"] == "120.00"
    assert Payment.objects.count() == 1 and Promise.objects.get().status == Promise.Status.KEPT
    assert (listed[0]["status"], listed[0]["paid"]) == ("kept", "120.00")
    assert first.json()["paid_at"] == "2026-11-18T10:00:00-05:00"


PAYMENT = {"amount": "5.00", "paid_at": "2026-11-18T09:30:00-05:00"}


def test_a_reference_held_only_outside_the_supervisors_scope_is_answered_as_if_unknown(
    high_ids, client_for, ana, sofia, diego, mateo
):
    """sofia must not learn that BANK-1 exists for pablo's team's debtor: her answer is the one
    a fresh reference gets, and the payment is hers to record."""
    with time_machine.travel(WEDNESDAY, tick=False):
        outside = client_for(ana).post(
            "/api/v1/payments/", {**PAYMENT, "debtor": mateo.pk, "reference": "BANK-1"}, format="json"
        )
        known_elsewhere = client_for(sofia).post(
            "/api/v1/payments/", {**PAYMENT, "debtor": diego.pk, "reference": "BANK-1"}, format="json"
        )
        fresh = client_for(sofia).post(
            "/api/v1/payments/", {**PAYMENT, "debtor": diego.pk, "reference": "BANK-2"}, format="json"
        )
    assert outside.status_code == 201
    assert known_elsewhere.status_code == fresh.status_code == 201
    assert set(known_elsewhere.json()) == set(fresh.json())
    assert (known_elsewhere.json()["debtor"], known_elsewhere.json()["reference"]) == (diego.pk, "BANK-1")
    assert known_elsewhere.json()["id"] != outside.json()["id"]
    assert sorted(Payment.objects.filter(reference="BANK-1").values_list("debtor_id", flat=True)) == sorted(
        [diego.pk, mateo.pk]
    )


def test_a_reference_of_another_debtor_the_recorder_may_see_is_a_conflict_that_shows_nothing(
    high_ids, client_for, ana, sofia, carla, diego, mateo
):
    rosa = factories.make_debtor(
        portfolio=diego.portfolio, assigned_to=carla, full_name="Rosa Ríos"
    )  # in sofia's team too
    with time_machine.travel(WEDNESDAY, tick=False):
        client_for(sofia).post(
            "/api/v1/payments/", {**PAYMENT, "debtor": rosa.pk, "reference": "BANK-3"}, format="json"
        )
        hers = client_for(sofia).post(
            "/api/v1/payments/", {**PAYMENT, "debtor": diego.pk, "reference": "BANK-3"}, format="json"
        )
        client_for(ana).post("/api/v1/payments/", {**PAYMENT, "debtor": mateo.pk, "reference": "BANK-4"}, format="json")
        admins = client_for(ana).post(
            "/api/v1/payments/", {**PAYMENT, "debtor": diego.pk, "reference": "BANK-4"}, format="json"
        )
    for response in (hers, admins):
        assert response.status_code == 409 and response.json()["code"] == "reference_taken"
        assert set(response.json()) == {"detail", "code"}
    assert not Payment.objects.filter(debtor=diego).exists()


def test_a_payment_needs_its_fields(sofia_api, diego):
    with translation.override("en"):
        response = sofia_api.post(
            "/api/v1/payments/", {"debtor": diego.pk, "amount": "0"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"amount", "paid_at", "reference"}
    assert errors["paid_at"] == ["This field is required."]
