"""One error shape everywhere, in the caller's language."""

import pytest
import time_machine

from collections_crm.users.services import user_set_language
from tests.api.conftest import WEDNESDAY


@pytest.fixture
def carla_api(client_for, carla):
    return client_for(carla)


def test_validation_errors_name_each_field(carla_api, diego):
    response = carla_api.post(
        "/api/v1/calls/", {"debtor": "x", "outcome": "maybe"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    body = response.json()
    assert response.status_code == 400
    assert set(body) == {"detail", "code", "errors"}
    assert set(body["errors"]) == {"debtor", "outcome"}
    assert body["detail"] == "Some of the data sent is not valid."
    # A call we made names its number (a visit or a call from the debtor need not).
    response = carla_api.post(
        "/api/v1/calls/", {"debtor": diego.pk, "outcome": "no_answer"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["phone"] == ["Choose the number that was called."]


def test_a_single_error_is_also_the_detail(carla_api, diego):
    response = carla_api.get(
        f"/api/v1/debtors/{diego.pk}/contact-verdict/", {"channel": "fax"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    body = response.json()
    assert response.status_code == 400 and body["code"] == "invalid_choice"
    assert body["detail"] == body["errors"]["channel"][0] == '"fax" is not a valid choice.'


def test_malformed_json_is_a_400_in_the_same_shape(carla_api):
    response = carla_api.generic("POST", "/api/v1/calls/", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_token_user_gets_answers_in_their_own_language(client_for, carla, sofia):
    user_set_language(user=carla, language="en")
    user_set_language(user=sofia, language="es")
    english = client_for(carla).post("/api/v1/promises/", {}, format="json")
    spanish = client_for(sofia).post("/api/v1/promises/", {}, format="json")
    assert english.json()["errors"]["debtor"] == ["This field is required."]
    assert spanish.json()["errors"]["debtor"] == ["Este campo es requerido."]
    assert (english.headers["Content-Language"], spanish.headers["Content-Language"]) == ("en", "es")


def test_accept_language_wins_over_the_users_preference(client_for, carla):
    user_set_language(user=carla, language="en")
    response = client_for(carla).get("/api/v1/debtors/999/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 404 and response.json() == {"detail": "No encontrado.", "code": "not_found"}


def test_ids_beyond_the_database_range_are_404_or_400_never_500(carla_api):
    assert carla_api.get("/api/v1/debtors/9999999999999999999999/").status_code == 404
    assert carla_api.get("/api/v1/calls/", {"debtor": "9999999999999999999999"}).status_code == 400
    with time_machine.travel(WEDNESDAY, tick=False):  # only the debtor is out of range, not the date
        too_big = carla_api.post(
            "/api/v1/promises/", {"debtor": 10**30, "amount": "1", "due_date": "2026-12-01"}, format="json"
        )
    assert too_big.status_code == 400 and list(too_big.json()["errors"]) == ["debtor"]


def test_dates_thousands_of_years_away_are_refused(carla_api, diego):
    response = carla_api.post(
        "/api/v1/promises/",
        {"debtor": diego.pk, "amount": "1", "due_date": "9999-12-31"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and response.json()["errors"]["due_date"][0].startswith("Give a date within")


def test_json_nested_too_deeply_is_a_400_not_a_500(carla_api):
    nested = "[" * 1000 + "]" * 1000  # 2 KB: deeper than Python's stack
    for url in ("/api/v1/calls/", "/api/v1/promises/", "/api/v1/payments/"):
        response = carla_api.generic(
            "POST", url, '{"debtor": 1, "notes": ' + nested + "}", content_type="application/json"
        )
        assert response.status_code == 400, url
        assert response.json()["code"] == "parse_error"
        assert response.json()["detail"] == "El cuerpo de la petición anida su JSON demasiado."


def test_malformed_json_is_told_in_the_readers_language_with_where(carla_api):
    response = carla_api.generic("POST", "/api/v1/calls/", '{"debtor": }', content_type="application/json")
    assert response.json()["detail"] == "El cuerpo de la petición no es JSON válido (línea 1, columna 12)."
    response = carla_api.generic(
        "POST", "/api/v1/calls/", '{"debtor": 1}', content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and response.json()["code"] != "parse_error"  # valid JSON is read


def test_a_list_in_a_fixed_order_refuses_any_ordering_and_does_not_offer_one(client_for, sofia):
    from rest_framework.test import APIClient

    api = client_for(sofia)
    for value in ("", "-", ",-", "name"):
        response = api.get("/api/v1/strategies/", {"ordering": value})
        assert response.status_code == 400, value
        assert response.json()["errors"]["ordering"] == ["Esta lista tiene un orden fijo: omita «ordering»."]
    assert api.get("/api/v1/strategies/").status_code == 200
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/strategies/"]["get"].get("parameters", [])
    assert "ordering" not in [parameter["name"] for parameter in parameters]


def test_a_well_written_date_that_does_not_exist_is_told_so(carla_api, diego):
    body = {"debtor": diego.pk, "amount": "100.00", "due_date": "2026-02-30"}
    response = carla_api.post("/api/v1/promises/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["due_date"] == ["Esa fecha no existe en el calendario."]
