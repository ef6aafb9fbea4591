"""Debtors, phones and debts by API: filters, ordering, pages, money and holds."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from calls.policy import check_contact
from collections_crm.users.models import ApiToken
from debtors.models import Debtor
from tests import factories
from tests.api.conftest import WEDNESDAY


@pytest.fixture
def carla_api(client_for, carla):
    return client_for(carla)


def test_a_debtor_shows_balance_as_a_string_with_its_currency(carla_api, diego):
    factories.make_debt(debtor=diego, balance=Decimal("234.50"))
    with time_machine.travel(WEDNESDAY, tick=False):
        body = carla_api.get(f"/api/v1/debtors/{diego.pk}/").json()
    assert (body["total_balance"], body["currency"]) == ("1234.50", "PEN")
    assert body["days_past_due"] == 78  # oldest debt due 2026-09-01
    assert [debt["balance"] for debt in body["debts"]] == ["1000.00", "234.50"]
    assert body["phones"][0]["number"] == "+51987654321"
    assert body["created_at"].endswith("-05:00")  # carla's zone (Lima), offset included


def test_the_list_filters_searches_and_orders(carla_api, carla, portfolio):
    rich = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Ana Rica")
    factories.make_debt(debtor=rich, balance=Decimal("9000.00"))
    poor = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Beto Pobre", hold_dispute=True)
    factories.make_debt(debtor=poor, balance=Decimal("10.00"))
    factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Carlos Cero")

    def names(**query):
        return [row["full_name"] for row in carla_api.get("/api/v1/debtors/", query).json()["results"]]

    assert names() == ["Ana Rica", "Beto Pobre", "Carlos Cero"]
    assert names(ordering="-total_balance") == ["Ana Rica", "Beto Pobre", "Carlos Cero"]
    assert names(ordering="total_balance") == ["Carlos Cero", "Beto Pobre", "Ana Rica"]
    assert names(with_balance="true") == ["Ana Rica", "Beto Pobre"]
    assert names(on_hold="true") == ["Beto Pobre"]
    assert names(on_hold="false", with_balance="true") == ["Ana Rica"]
    assert names(search="pobre") == ["Beto Pobre"]
    assert names(search=rich.external_id) == ["Ana Rica"]


def test_pages_have_a_size_limit_and_a_count(carla_api, carla, portfolio):
    for number in range(5):
        factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=f"Deudor {number}")
    first = carla_api.get("/api/v1/debtors/", {"page_size": 2}).json()
    last = carla_api.get("/api/v1/debtors/", {"page_size": 2, "page": 3}).json()
    largest = carla_api.get("/api/v1/debtors/", {"page_size": 200}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"].endswith("page=2&page_size=2")
    assert len(last["results"]) == 1 and last["next"] is None
    assert len(largest["results"]) == 5
    assert carla_api.get("/api/v1/debtors/", {"page": 9}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [{"page_size": 100000}, {"page_size": 0}, {"page_size": "ten"}, {"page": 0}, {"page": -1}, {"page": "last"}],
)
def test_a_page_or_page_size_out_of_range_is_refused_not_replaced(carla_api, query):
    # DRF would quietly answer 200 rows for 100000, 50 for 0 or "ten", and the last page for "last".
    response = carla_api.get("/api/v1/debtors/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(query)
    assert response.json()["detail"].startswith("Give a whole number from 1")


def test_listing_100_debtors_with_balances_and_phones_takes_a_fixed_number_of_queries(
    client_for, carla, portfolio, django_assert_num_queries
):
    api = client_for(carla)
    ApiToken.objects.update(last_used_at=timezone.now())  # no "last used" write in the measured request

    def make(count):
        for _ in range(count):
            debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
            factories.make_debt(debtor=debtor)
            factories.make_debt(debtor=debtor, balance=Decimal("5.00"))
            factories.make_phone(debtor=debtor, number="+51987654321")
            factories.make_phone(debtor=debtor, number="+51912345678")

    make(10)
    # token, count, page, phones
    with django_assert_num_queries(4):
        assert len(api.get("/api/v1/debtors/", {"page_size": 100}).json()["results"]) == 10
    make(90)
    with django_assert_num_queries(4):
        rows = api.get("/api/v1/debtors/", {"page_size": 100}).json()["results"]
    assert len(rows) == 100 and all(len(row["phones"]) == 2 and row["total_balance"] == "1005.00" for row in rows)


def test_holds_are_set_and_lifted_and_the_policy_reads_them(carla_api, diego):
    response = carla_api.patch(f"/api/v1/debtors/{diego.pk}/", {"hold_cease": True}, format="json")
    assert response.status_code == 200 and response.json()["hold_cease"] is True
    diego.refresh_from_db()
    assert not check_contact(diego, "voice", WEDNESDAY).allowed
    carla_api.patch(f"/api/v1/debtors/{diego.pk}/", {"hold_cease": False}, format="json")
    assert Debtor.objects.get(pk=diego.pk).hold_cease is False


def test_only_holds_can_be_changed(carla_api, diego):
    response = carla_api.patch(f"/api/v1/debtors/{diego.pk}/", {"full_name": "Someone Else"}, format="json")
    diego.refresh_from_db()
    assert response.status_code == 200 and diego.full_name == "Diego Díaz Quispe"


def test_a_phone_is_added_in_e164_and_consent_needs_its_source(carla_api, diego):
    refused = carla_api.post(
        f"/api/v1/debtors/{diego.pk}/phones/", {"number": "01 555 1234", "sms_consent": True}, format="json"
    )
    added = carla_api.post(
        f"/api/v1/debtors/{diego.pk}/phones/",
        {"number": "01 555 1234", "kind": "home", "sms_consent": True, "sms_consent_source": "call of 18 Nov"},
        format="json",
    )
    again = carla_api.post(f"/api/v1/debtors/{diego.pk}/phones/", {"number": "+5115551234"}, format="json")
    invalid = carla_api.post(f"/api/v1/debtors/{diego.pk}/phones/", {"number": "12"}, format="json")
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["sms_consent_source"]
    assert added.status_code == 201
    assert (added.json()["number"], added.json()["sms_consent"]) == ("+5115551234", True)
    assert added.json()["sms_consent_at"] is not None
    assert again.status_code == 409 and again.json()["code"] == "phone_exists"  # the number is fine, and taken
    assert invalid.status_code == 400 and list(invalid.json()["errors"]) == ["number"]


def test_a_phone_status_is_updated(carla_api, diego):
    phone = diego.phones.get()
    response = carla_api.patch(
        f"/api/v1/debtors/{diego.pk}/phones/{phone.pk}/", {"status": "wrong_number"}, format="json"
    )
    phone.refresh_from_db()
    assert response.status_code == 200 and phone.status == "wrong_number"


def test_debts_filter_by_debtor_and_recall(carla_api, diego, carla, portfolio):
    recalled = factories.make_debt(debtor=diego, recalled_on=WEDNESDAY.date())
    other = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    factories.make_debt(debtor=other)
    rows = carla_api.get("/api/v1/debts/", {"debtor": diego.pk, "recalled": "true"}).json()["results"]
    assert [row["id"] for row in rows] == [recalled.pk]
    assert carla_api.get("/api/v1/debts/", {"debtor": diego.pk}).json()["count"] == 2
