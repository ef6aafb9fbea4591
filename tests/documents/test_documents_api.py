"""Documents and self-service links through the API: the same scope and rules as the pages."""

import hashlib
from datetime import date

import pytest
import time_machine

from collections_crm.users.models import Role
from collections_crm.users.services import user_create
from documents.models import Document
from selfservice.models import SelfServiceLink
from tests.calls.call_log_helpers import WEDNESDAY, log
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def convenio(diego, carla):
    plan = {"count": 3, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": "900"}
    arrangement = log(
        diego, carla, diego.phones.get(), outcome="right_party", commitment="instalments", instalments=plan
    ).arrangement
    return Document.objects.get(arrangement=arrangement)


def test_a_debtors_documents_are_listed_and_read_as_pdf(client, carla, diego, convenio):
    client.force_login(carla)
    listed = client.get(f"/api/v1/debtors/{diego.pk}/documents/").json()["results"]
    assert [(row["kind"], row["reference"]) for row in listed] == [("agreement", convenio.reference)]
    pdf = client.get(f"/api/v1/documents/{convenio.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    convenio.refresh_from_db()
    assert hashlib.sha256(pdf.content).hexdigest() == convenio.sha256


def test_a_statement_is_issued_through_the_api(client, carla, diego):
    client.force_login(carla)
    response = client.post(
        f"/api/v1/debtors/{diego.pk}/documents/", {"kind": "statement"}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "statement" and body["source"] == "api" and len(body["sha256"]) == 64
    refused = client.post(
        f"/api/v1/debtors/{diego.pk}/documents/", {"kind": "agreement"}, content_type="application/json"
    )
    assert refused.status_code == 400


def test_outside_the_scope_every_document_answer_is_404(client, diego, convenio):
    outsider = user_create(username="otro", password=PASSWORD, role=Role.COLLECTOR, first_name="Otro")
    client.force_login(outsider)
    assert client.get(f"/api/v1/debtors/{diego.pk}/documents/").status_code == 404
    assert client.get(f"/api/v1/documents/{convenio.pk}/pdf/").status_code == 404
    assert (
        client.post(
            f"/api/v1/debtors/{diego.pk}/documents/", {"kind": "statement"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/debtors/{diego.pk}/self-service-links/", {"channel": "sms"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_a_link_is_sent_listed_and_revoked_through_the_api(client, carla, diego, convenio):
    diego.national_id, diego.email = "45871236", "diego@example.pe"
    diego.save(update_fields=["national_id", "email"])
    client.force_login(carla)
    url = f"/api/v1/debtors/{diego.pk}/self-service-links/"
    sent = client.post(url, {"channel": "email", "document": convenio.pk}, content_type="application/json")
    assert sent.status_code == 201, sent.content
    link = SelfServiceLink.objects.get(pk=sent.json()["id"])
    assert (link.channel, link.document, sent.json()["state"]) == ("email", convenio, "usable")
    assert [row["id"] for row in client.get(url).json()["results"]] == [link.pk]
    revoked = client.post(f"/api/v1/self-service-links/{link.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"


def test_a_link_that_cannot_go_is_a_409_that_says_why(client, carla, diego):
    client.force_login(carla)
    response = client.post(
        f"/api/v1/debtors/{diego.pk}/self-service-links/", {"channel": "sms"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "no_identity"
    assert not SelfServiceLink.objects.exists()
