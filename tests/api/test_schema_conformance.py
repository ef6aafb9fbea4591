"""The API answers and accepts what its published schema says (issue 16, point 11).

Each test pins one kind of violation schemathesis found before (tests/api/test_schemathesis.py
runs the whole sweep): answers outside the documented shapes, HTML 404s under /api/, lenient
parameters, rules the schema did not state.
"""

import copy
import re
from datetime import datetime, timedelta

import jsonschema
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from calls.models import Call
from promises.models import Promise
from tests import factories
from tests.api.conftest import WEDNESDAY


@pytest.fixture
def carla_api(client_for, carla):
    return client_for(carla)


@pytest.fixture
def schema(db):
    with time_machine.travel(WEDNESDAY, tick=False):
        return APIClient().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en").json()


def _json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a type that admits null."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items() if key not in ("readOnly", "writeOnly", "example")}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def conforms(schema, path, method, status, body, *, media_type="application/json") -> list[str]:
    """The problems of `body` against the schema of that answer (empty when it conforms)."""
    response = schema["paths"][path][method]["responses"][str(status)]
    document = {
        **_json_schema(response["content"][media_type]["schema"]),
        "components": _json_schema(schema["components"]),
    }
    validator = jsonschema.Draft4Validator(document, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(body)]


def request_rule(schema, component, body) -> bool:
    document = {
        **_json_schema(schema["components"]["schemas"][component]),
        "components": _json_schema(schema["components"]),
    }
    return jsonschema.Draft4Validator(document, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).is_valid(body)


# --- Answers: one error shape, JSON under /api/, the documented statuses ------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/debtors/9999999999999999999999/",
        "/api/v1/debtors/-4/phones/",
        "/api/v1/nothing-here/",
        "/api/v2/debtors/",
    ],
)
def test_an_address_under_api_that_names_nothing_is_a_json_404(carla_api, path):
    response = carla_api.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_final_slash_is_still_added_for_a_read_and_pages_keep_their_html_404(carla_api, client):
    assert carla_api.get("/api/v1/debtors").status_code == 301
    assert carla_api.get("/api/v1/debtors")["Location"].endswith("/api/v1/debtors/")
    assert carla_api.post("/api/v1/calls", {}, format="json").status_code == 404  # a POST would lose its body
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_every_documented_error_answer_has_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"} and set(error["properties"]) == {"detail", "code", "errors"}
    shapes = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "404", "406", "429"} <= codes, (method, path)
            if operation.get("parameters", []) and any(p["in"] == "query" for p in operation["parameters"]):
                assert "400" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "403", "415"} <= codes, (method, path)
            for code, answer in operation["responses"].items():
                if code >= "400":
                    for content in answer["content"].values():
                        for shape in content["schema"].get("anyOf", [content["schema"]]):
                            shapes.setdefault(shape["$ref"].rsplit("/", 1)[1], set()).add(f"{code} {method} {path}")
    # The call the contact policy blocks adds the verdict to the same detail and code; the
    # same 409 may be a settlement that forgives nothing, in the plain shape.
    assert set(shapes) == {"Error", "Blocked"} and shapes["Blocked"] == {"409 post /api/v1/calls/"}
    assert "409 post /api/v1/calls/" in shapes["Error"]
    assert {"detail", "code"} <= set(schema["components"]["schemas"]["Blocked"]["required"])


def test_errors_are_json_even_when_a_csv_was_asked_for(client_for, ana, diego, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.base import ContentFile

    from debtors.services import import_job_create

    job = import_job_create(
        user=ana, kind="portfolio", file=ContentFile(b"a;b\n1;2\n", name="c.csv"), portfolio=diego.portfolio
    )
    response = client_for(ana).get(f"/api/v1/imports/{job.pk}/rejected/", {"format": "csv"})
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_answers_with_nothing_recorded_match_the_schema(carla_api, carla, diego, schema):
    # No stance, no commitment, no e-mail: "" is what the answer holds, and the schema now says it may.
    with time_machine.travel(WEDNESDAY, tick=False):
        factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.BUSY)
        calls = carla_api.get("/api/v1/calls/").json()
        debtor = carla_api.get(f"/api/v1/debtors/{diego.pk}/").json()
    assert (calls["results"][0]["stance_reason"], debtor["email"]) == ("", "")
    assert conforms(schema, "/api/v1/calls/", "get", 200, calls) == []
    assert conforms(schema, "/api/v1/debtors/{debtor_id}/", "get", 200, debtor) == []


# --- Parameters: exactly what the schema says, or a 400 that names them -------------------------


@pytest.mark.parametrize(
    "query",
    [
        "debtor=0",  # ids start at 1
        "debtor=1.0",
        "debtor=1&debtor=2",  # one value per parameter
        "status=",  # empty is not one of the values
        "due_after=2026-1-5",  # YYYY-MM-DD only
        "ordering=amount,-nonsense",  # not a field to order by
        "ordering=",
    ],
)
def test_a_query_parameter_the_schema_forbids_is_refused_by_name(carla_api, diego, query):
    response = carla_api.get(f"/api/v1/promises/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_the_schema_states_the_bounds_of_ids_pages_and_amounts(schema):
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/promises/"]["get"]["parameters"]}
    assert parameters["debtor"] == {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": 999_999_999_999_999_999,
    }
    assert (parameters["page"]["minimum"], parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (
        1,
        1,
        200,
    )
    assert re.fullmatch(parameters["ordering"]["pattern"], "-due_date,amount")
    amount = schema["components"]["schemas"]["PromiseInputRequest"]["properties"]["amount"]["pattern"]
    assert re.fullmatch(amount, "0.01") and not re.fullmatch(amount, "0.00") and not re.fullmatch(amount, "-5")


@pytest.mark.parametrize("query", ["hold_lawsuit=null", "hold_lawsuit=2", "with_balance=yes"])
def test_a_boolean_parameter_is_true_or_false(carla_api, query):
    response = carla_api.get(f"/api/v1/debtors/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.json()["detail"] == "Give true or false."


def test_the_verdict_refuses_an_empty_channel_rather_than_reading_the_default(carla_api, diego):
    response = carla_api.get(f"/api/v1/debtors/{diego.pk}/contact-verdict/?channel=&at=")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"channel", "at"}


def test_a_moment_that_does_not_exist_is_a_400_not_a_500(carla_api):
    response = carla_api.get("/api/v1/calls/", {"started_before": "4670-11-31T23:51:50.9Z"})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["started_before"]
    # A bound before any moment UTC can hold still means "before everything".
    assert carla_api.get("/api/v1/calls/", {"started_before": "0001-01-01T00:00:00+01:00"}).status_code == 200


# --- Bodies: the types, ranges and rules the schema states -------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 80.5}, "amount"),  # a JSON number: the schema says a string
        ({"amount": "0.00"}, "amount"),  # above zero
        ({"amount": "1e3"}, "amount"),
        ({"debtor": "12"}, "debtor"),  # a number, not text
        ({"due_date": "2026-11-30T00:00:00Z"}, "due_date"),  # a date, not a moment
    ],
)
def test_a_promise_body_the_schema_forbids_is_refused_by_field(carla_api, diego, body, field):
    with time_machine.travel(WEDNESDAY, tick=False):
        response = carla_api.post(
            "/api/v1/promises/",
            {"debtor": diego.pk, "amount": "50.00", "due_date": "2026-11-30", **body},
            format="json",
        )
    assert response.status_code == 400 and list(response.json()["errors"]) == [field]
    assert not Promise.objects.exists()


def test_a_followup_note_and_a_hold_have_their_json_types(carla_api, carla, diego):
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla)
    note = carla_api.post(f"/api/v1/follow-ups/{follow_up.pk}/complete/", {"note": 0}, format="json")
    hold = carla_api.patch(f"/api/v1/debtors/{diego.pk}/", {"hold_deceased": 0}, format="json")
    assert (note.status_code, list(note.json()["errors"])) == (400, ["note"])
    assert (hold.status_code, list(hold.json()["errors"])) == (400, ["hold_deceased"])
    diego.refresh_from_db()
    assert diego.hold_deceased is False


def test_the_schema_states_the_date_windows_the_server_applies(carla_api, diego, schema):
    due_date = schema["components"]["schemas"]["PromiseInputRequest"]["properties"]["due_date"]["pattern"]
    paid_at = schema["components"]["schemas"]["PaymentInputRequest"]["properties"]["paid_at"]["pattern"]
    # Today (18 November 2026) to ten years of 366 days ahead; payments up to today.
    assert re.fullmatch(due_date, "2026-11-18") and re.fullmatch(due_date, "2036-11-25")
    assert not re.fullmatch(due_date, "2026-11-17") and not re.fullmatch(due_date, "2036-11-26")
    assert re.fullmatch(paid_at, "2026-11-18T09:30:00-05:00") and not re.fullmatch(paid_at, "2026-11-19T09:30:00-05:00")
    with time_machine.travel(WEDNESDAY, tick=False):
        last = carla_api.post(
            "/api/v1/promises/", {"debtor": diego.pk, "amount": "5", "due_date": "2036-11-25"}, format="json"
        )
        beyond = carla_api.post(
            "/api/v1/promises/", {"debtor": diego.pk, "amount": "5", "due_date": "2036-11-26"}, format="json"
        )
    assert (last.status_code, beyond.status_code) == (201, 400)


def test_the_schema_states_which_call_fields_go_with_which_outcome(schema, carla_api, diego):
    def valid(**body):
        return request_rule(schema, "CallInputRequest", {"debtor": diego.pk, "phone": diego.phones.get().pk, **body})

    assert valid(outcome="no_answer")
    assert not valid(outcome="no_answer", stance="objection", stance_reason="forgot")
    assert valid(
        outcome="right_party",
        stance="situation",
        stance_reason="job_loss",
        commitment="promise",
        promise_amount="80.00",
        promise_date="2026-11-30",
    )
    assert not valid(outcome="right_party", stance="situation", stance_reason="forgot", commitment="consult")
    assert not valid(
        outcome="right_party",
        commitment="promise",
        promise_amount="80.00",
        promise_date="2026-11-30",
        callback_at="2026-11-20T10:00:00-05:00",
    )
    assert not valid(outcome="third_party", commitment="promise", promise_amount="80.00", promise_date="2026-11-30")
    assert valid(outcome="right_party", no_commitment_reason="Colgó")
    assert not valid(outcome="right_party", no_commitment_reason="   ")
    # The server agrees on one the schema refuses (details of another commitment).
    with time_machine.travel(WEDNESDAY, tick=False):
        response = carla_api.post(
            "/api/v1/calls/",
            {
                "debtor": diego.pk,
                "phone": diego.phones.get().pk,
                "outcome": "right_party",
                "commitment": "consult",
                "callback_at": "2026-11-20T10:00:00-05:00",
            },
            format="json",
        )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["callback_at"]


def test_an_instalment_plan_by_amounts_needs_no_count(carla_api, diego, schema):
    plan = {"first_date": "2026-11-30", "frequency": "monthly", "amounts": ["100.00", "150.00"]}
    assert request_rule(schema, "InstalmentsRequest", plan)
    assert not request_rule(schema, "InstalmentsRequest", {**plan, "total": "250.00"})
    with time_machine.travel(WEDNESDAY, tick=False):
        response = carla_api.post(
            "/api/v1/calls/",
            {
                "debtor": diego.pk,
                "phone": diego.phones.get().pk,
                "outcome": "right_party",
                "commitment": "instalments",
                "instalments": plan,
            },
            format="json",
        )
        mismatch = carla_api.post(
            "/api/v1/calls/",
            {
                "debtor": diego.pk,
                "phone": diego.phones.get().pk,
                "outcome": "right_party",
                "commitment": "instalments",
                "instalments": {**plan, "count": 3},
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert len(response.json()["promises"]) == 2
    assert mismatch.status_code == 400 and list(mismatch.json()["errors"]) == ["instalments.amounts"]


def test_a_collector_who_overrides_the_contact_policy_is_forbidden_not_mistaken(carla_api, diego):
    saturday = "2026-11-21T10:00:00-05:00"  # outside the hours the Peruvian preset allows
    with time_machine.travel(datetime.fromisoformat(saturday) + timedelta(hours=1), tick=False):  # logged after
        response = carla_api.post(
            "/api/v1/calls/",
            {
                "debtor": diego.pk,
                "phone": diego.phones.get().pk,
                "outcome": "no_answer",
                "started_at": saturday,
                "override_reason": "El deudor pidió que lo llamemos el sábado",
            },
            format="json",
        )
    assert response.status_code == 403 and response.json()["code"] == "override_not_allowed"


def test_a_consent_always_comes_with_its_source(carla_api, diego, schema):
    phone = diego.phones.get()
    address = f"/api/v1/debtors/{diego.pk}/phones/{phone.pk}/"
    first = carla_api.patch(address, {"sms_consent": True, "sms_consent_source": "Llamada del 18/11"}, format="json")
    again = carla_api.patch(address, {"sms_consent": True}, format="json")
    assert first.status_code == 200
    # As the schema says, even when the number already has a consent (it used to pass unchecked).
    assert again.status_code == 400 and list(again.json()["errors"]) == ["sms_consent_source"]
    assert not request_rule(schema, "PatchedPhoneWriteRequest", {"sms_consent": True})
    assert request_rule(schema, "PatchedPhoneWriteRequest", {"sms_consent": False, "sms_consent_source": ""})


def test_an_upload_names_known_fields_and_spells_its_booleans(client_for, ana, diego, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    api = client_for(ana)

    def upload(**fields):
        file = SimpleUploadedFile("cartera.csv", b"a;b\n1;2\n", content_type="text/csv")
        return api.post(
            "/api/v1/imports/", {"file": file, "portfolio": diego.portfolio_id, **fields}, format="multipart"
        )

    unknown = upload(mapping='{"saldo": "Saldo"}')
    zero = upload(dry_run="0")
    fine = upload(mapping='{"balance": "Saldo deudor"}', dry_run="true")
    assert unknown.status_code == 400 and list(unknown.json()["errors"]) == ["mapping"]
    assert zero.status_code == 400 and list(zero.json()["errors"]) == ["dry_run"]
    assert fine.status_code == 202 and fine.json()["dry_run"] is True


def test_the_schema_documents_the_upload_as_a_named_non_empty_file(schema):
    body = schema["paths"]["/api/v1/imports/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert "text/csv" in body["encoding"]["file"]["contentType"]
    assert schema["components"]["schemas"]["ImportCreateRequest"]["properties"]["file"]["minLength"] == 1
    mapping = copy.deepcopy(schema["components"]["schemas"]["ImportCreateRequest"]["properties"]["mapping"])
    assert mapping["additionalProperties"] is False and "balance" in mapping["properties"]
