"""The published OpenAPI schema: generated without errors or warnings, served with its docs."""

import io

import yaml
from django.core.management import call_command
from rest_framework.test import APIClient


def test_the_schema_generates_without_errors_or_warnings(tmp_path):
    # --fail-on-warn turns any warning (an undocumented field, an enum clash…) into a failure.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"), stdout=io.StringIO()
    )
    schema = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/calls/",
        "/api/v1/debtors/",
        "/api/v1/payments/",
        "/api/v1/follow-ups/{follow_up_id}/complete/",
    } <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }


def test_a_dialer_finds_what_it_needs_in_the_schema(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    log_call = schema["paths"]["/api/v1/calls/"]["post"]
    assert {"201", "400", "404", "409"} <= set(log_call["responses"])
    verdict = schema["paths"]["/api/v1/debtors/{debtor_id}/contact-verdict/"]["get"]
    assert {p["name"] for p in verdict["parameters"]} >= {"debtor_id", "channel", "phone", "at"}
    assert schema["components"]["schemas"]["Debtor"]["properties"]["total_balance"]["type"] == "string"


def test_the_interactive_docs_load_their_assets_from_this_server(db):
    for path in ("/api/docs/", "/api/redoc/"):
        page = APIClient().get(path).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "cdn." not in page and "unpkg" not in page
