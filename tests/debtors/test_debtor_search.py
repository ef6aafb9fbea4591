"""Searching debtors: part of a name in any case, a customer code or national id in any case, a
phone in any spelling the phone field reads; the same rows on the list, the API and the admin."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collections_crm.lib import paging
from debtors.models import Debtor
from debtors.selectors import debtor_list_for_user
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(portfolio, carla):
    rosa = factories.make_debtor(
        portfolio=portfolio,
        assigned_to=carla,
        full_name="Rosa Quispe Mamani",
        external_id="B200",
        national_id="44556677K",
    )
    factories.make_phone(debtor=rosa, number="+51911122233")
    jose = factories.make_debtor(
        portfolio=portfolio, assigned_to=carla, full_name="José García Núñez", external_id="B2001"
    )
    factories.make_phone(debtor=jose, number="+51911122244")
    other = factories.make_debtor(
        portfolio=portfolio, assigned_to=carla, full_name="Pedro B200 Soto", external_id="X-9"
    )
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


def test_the_admins_debtor_search_finds_what_the_list_finds(client, ana, people):
    client.force_login(ana)
    url = reverse("admin:debtors_debtor_changelist")

    def names(search):
        page = client.get(url, {"q": search}).content.decode()
        return [name for name in ("Rosa Quispe Mamani", "José García Núñez", "Pedro B200 Soto") if name in page]

    assert names("b200") == ["Rosa Quispe Mamani", "Pedro B200 Soto"]
    assert names("+51 911 122 244") == ["José García Núñez"]
    assert names("quispe mam") == ["Rosa Quispe Mamani"]


def test_the_admin_finds_a_debtor_by_a_whole_email_address(client, ana, portfolio):
    factories.make_debtor(portfolio=portfolio, full_name="Lucía Correo", email="lucia@example.com")
    client.force_login(ana)
    url = reverse("admin:debtors_debtor_changelist")

    assert "Lucía Correo" in client.get(url, {"q": "LUCIA@example.com"}).content.decode()


def test_the_admins_search_joins_no_phones_and_needs_no_distinct(client, ana, people):
    client.force_login(ana)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("admin:debtors_debtor_changelist"), {"q": "+51911122233"})
    debtor_queries = [q["sql"] for q in queries.captured_queries if "debtors_debtor" in q["sql"]]
    assert debtor_queries and not any(
        "DISTINCT" in sql or "debtors_phone" in sql.split("FROM", 1)[1].split("WHERE")[0] for sql in debtor_queries
    )


def test_every_page_of_a_search_holds_the_next_rows_in_name_order(client, carla, portfolio):
    # Fifty-five matches and ties in name: page 2 continues page 1 exactly (the page's ids are
    # read first, then its rows).
    for n in range(55):
        factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=f"Quispe {n // 2:02d}")
    factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Otra Persona")
    client.force_login(carla)
    expected = list(
        Debtor.objects.filter(full_name__startswith="Quispe").order_by("full_name", "pk").values_list("pk", flat=True)
    )

    first = client.get(reverse("debtors:list"), {"q": "quispe"}).context["page"]
    second = client.get(reverse("debtors:list"), {"q": "quispe", "page": 2}).context["page"]
    api = [
        [
            row["id"]
            for row in client.get("/api/v1/debtors/", {"search": "quispe", "page_size": 20, "page": page}).json()[
                "results"
            ]
        ]
        for page in (1, 2, 3)
    ]

    assert [d.pk for d in first] + [d.pk for d in second] == expected
    assert api[0] + api[1] + api[2] == expected
    assert (first.paginator.count, first.paginator.num_pages) == (55, 2)


def test_the_api_pages_a_search_in_the_order_asked(client, carla, portfolio):
    for n, balance in enumerate(["5.00", "900.00", "40.00"]):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=f"Quispe {n}")
        factories.make_debt(debtor=debtor, balance=Decimal(balance))
    client.force_login(carla)

    body = client.get(
        "/api/v1/debtors/", {"search": "quispe", "ordering": "-total_balance", "page_size": 2, "page": 2}
    ).json()

    assert body["count"] == 3 and [row["full_name"] for row in body["results"]] == ["Quispe 0"]


def test_the_admins_search_counts_up_to_the_cap_and_says_more_than(client, ana, portfolio, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    for n in range(5):
        factories.make_debtor(portfolio=portfolio, full_name=f"Quispe {n}")
    client.force_login(ana)
    url = reverse("admin:debtors_debtor_changelist")

    searched = client.get(url, {"q": "quispe"}).content.decode()
    everyone = client.get(url).content.decode()

    assert "más de 3 resultados" in searched and "más de 3 deudores" in searched
    assert "más de 3 deudores" in everyone  # as every big admin list (BigTableAdmin)
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    assert "5 deudores" in client.get(url).content.decode()  # within the cap: the exact count


def test_a_search_that_finds_nobody_answers_an_empty_page_everywhere(client, ana, people):
    client.force_login(ana)

    assert client.get(reverse("debtors:list"), {"q": "Nadie Así"}).context["page"].paginator.count == 0
    assert client.get("/api/v1/debtors/", {"search": "Nadie Así"}).json()["count"] == 0
    assert client.get(reverse("admin:debtors_debtor_changelist"), {"q": "Nadie Así"}).status_code == 200
