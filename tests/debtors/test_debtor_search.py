"""Searching debtors: part of a name in any case, a customer code or national id in any case, a
phone in any spelling the phone field reads; the same rows on the list, the API and the admin."""

import pytest
from django.urls import reverse

from debtors.selectors import debtor_list_for_user
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(portfolio, carla):
    rosa = factories.make_debtor(
        portfolio=portfolio, assigned_to=carla, full_name="Rosa Quispe Mamani", external_id="B200", national_id="44556677K"
    )
    factories.make_phone(debtor=rosa, number="+51911122233")
    jose = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="José García Núñez", external_id="B2001")
    factories.make_phone(debtor=jose, number="+51911122244")
    other = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Pedro B200 Soto", external_id="X-9")
    return {"rosa": rosa, "jose": jose, "other": other}


def found(user, search: str) -> list[str]:
    return [debtor.full_name for debtor in debtor_list_for_user(user, search=search)]


@pytest.mark.parametrize("search", ["quispe", "QUISPE", "Quispe", "spe Mam", "  rosa  "])
def test_part_of_a_name_in_any_case_finds_the_debtor(carla, people, search):
    assert found(carla, search) == ["Rosa Quispe Mamani"]


def test_a_name_with_accents_is_found_as_written(carla, people):
    assert found(carla, "garcía núñez") == ["José García Núñez"]
    assert found(carla, "García") == ["José García Núñez"]


@pytest.mark.parametrize("search", ["B200", "b200"])
def test_a_customer_code_in_any_case_finds_its_debtor_and_names_containing_it(carla, people, search):
    # B2001 is another code, not this one: codes match whole; names match in part.
    assert found(carla, search) == ["Pedro B200 Soto", "Rosa Quispe Mamani"]


@pytest.mark.parametrize("search", ["44556677K", "44556677k"])
def test_a_national_id_in_any_case_finds_its_debtor(carla, people, search):
    assert found(carla, search) == ["Rosa Quispe Mamani"]


def test_part_of_a_code_or_national_id_finds_nobody(carla, people):
    assert found(carla, "4455667") == []
    assert found(carla, "X-") == []


@pytest.mark.parametrize("search", ["+51911122233", "+51 911 122 233", "+51-911-122-233", "(+51) 911122233"])
def test_a_phone_in_any_spelling_the_phone_field_reads_finds_its_debtor(carla, people, search):
    assert found(carla, search) == ["Rosa Quispe Mamani"]


def test_a_search_stays_in_the_users_scope(carlos, people):
    assert found(carlos, "B200") == [] and found(carlos, "+51911122233") == []


def test_the_list_page_and_the_api_find_the_same_debtors(client, carla, people):
    client.force_login(carla)
    page = client.get(reverse("debtors:list"), {"q": "b200"}).content.decode()
    api = client.get("/api/v1/debtors/", {"search": "b200"}).json()

    assert "Rosa Quispe Mamani" in page and "Pedro B200 Soto" in page and "José García Núñez" not in page
    assert [row["full_name"] for row in api["results"]] == ["Pedro B200 Soto", "Rosa Quispe Mamani"]
    assert api["count"] == 2
