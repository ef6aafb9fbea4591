"""The evidence pack: one ZIP per debtor whose CSV files match the database row by row, whose
manifest's SHA-256 match its files, with the recordings and a readable PDF summary."""

import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from calls.models import Call
from calls.review import call_recording_attach
from collections_crm.lib.downloads import spreadsheet_safe
from conversations.models import DeliveryEvent, InboundMessage
from promises.models import Message
from supervision.evidence import cell, columns, tables
from tests import factories
from tests.api.conftest import token_client

LIMA = ZoneInfo("America/Lima")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64
VERDICT = {"allowed": True, "reasons": [], "policy": "pe", "version": 1}


@pytest.fixture
def story(settings, tmp_path, diego, carla, sofia):
    """Diego's file: calls (one overriding a block), a promise, a payment, messages both ways
    with a receipt, a hold and a consent changed, and a recorded call."""
    settings.MEDIA_ROOT = tmp_path / "media"
    phone = diego.phones.get()
    with time_machine.travel(WEDNESDAY, tick=False):
        common = {"phone": phone, "local_time": "2026-11-18 10:00", "local_time_zone": "America/Lima"}
        factories.make_call(
            debtor=diego,
            collector=carla,
            outcome=Call.Outcome.NO_ANSWER,
            policy_code="pe",
            policy_version=1,
            policy_decision="allowed",
            policy_verdict=VERDICT,
            **common,
        )
        talked = factories.make_call(
            debtor=diego,
            collector=carla,
            outcome=Call.Outcome.RIGHT_PARTY,
            started_at=WEDNESDAY + timedelta(hours=1),
            notes='=HYPERLINK("x") dijo que paga el lunes',
            policy_code="pe",
            policy_version=1,
            policy_decision="overridden",
            policy_verdict={**VERDICT, "allowed": False},
            override_by=sofia,
            override_reason="El deudor pidió que lo llamemos hoy",
            **common,
        )
        factories.make_promise(debtor=diego, collector=carla, call=talked, amount=Decimal("250.00"))
        factories.make_payment(debtor=diego, amount=Decimal("100.00"))
        sent = Message.objects.create(
            debtor=diego,
            phone=phone,
            channel="sms",
            purpose="reminder",
            recipient="+51987654321",
            language="es",
            body="Recordatorio",
            idempotency_key="reminder:1",
            status="delivered",
            sent_at=WEDNESDAY,
            send_after=WEDNESDAY,
            provider_message_id="SM1",
            created_at=WEDNESDAY,
        )
        DeliveryEvent.objects.create(
            provider="twilio",
            provider_message_id="SM1",
            status="delivered",
            occurred_at=WEDNESDAY,
            received_at=WEDNESDAY,
            message=sent,
        )
        InboundMessage.objects.create(
            provider="twilio",
            provider_message_id="SM2",
            channel="sms",
            sender="+51987654321",
            recipient="+15550001111",
            body="Pago el lunes",
            received_at=WEDNESDAY,
            debtor=diego,
            phone=phone,
        )
        token_client(sofia).patch(
            f"/api/v1/debtors/{diego.pk}/", {"hold_dispute": True, "reason": "Reclamo"}, format="json"
        )
        token_client(carla).patch(
            f"/api/v1/debtors/{diego.pk}/phones/{phone.pk}/",
            {"sms_consent": True, "sms_consent_source": "Llamada grabada"},
            format="json",
        )
        call_recording_attach(call=talked, upload=SimpleUploadedFile("llamada.mp3", MP3, "audio/mpeg"), by=sofia)
    return diego


def _pack(client, user, debtor):
    client.force_login(user)
    return client.get(reverse("promises:evidence_pack", args=[debtor.pk]))


def test_the_pack_matches_the_database_row_by_row(client, sofia, story):
    response = _pack(client, sofia, story)

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="evidence-{story.pk}-' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    for name, queryset in tables(story):
        rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
        fields = columns(queryset)
        expected = [[str(spreadsheet_safe(cell(field, row))) for field in fields] for row in queryset]
        assert rows[0] == [field.attname for field in fields], name
        assert rows[1:] == expected, name
    sizes = {
        name: len(list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))) - 1
        for name in (
            "attempts.csv",
            "overrides.csv",
            "promises.csv",
            "payments.csv",
            "messages_sent.csv",
            "delivery_receipts.csv",
            "messages_received.csv",
            "hold_changes.csv",
            "consent_changes.csv",
            "recordings.csv",
        )
    }
    assert sizes == {
        "attempts.csv": 2,
        "overrides.csv": 1,
        "promises.csv": 1,
        "payments.csv": 1,
        "messages_sent.csv": 1,
        "delivery_receipts.csv": 1,
        "messages_received.csv": 1,
        "hold_changes.csv": 1,
        "consent_changes.csv": 1,
        "recordings.csv": 1,
    }
    attempts = list(csv.DictReader(io.StringIO(archive.read("attempts.csv").decode("utf-8-sig"))))
    assert attempts[1]["notes"].startswith("'=HYPERLINK")  # a formula in a note stays text
    assert json.loads(attempts[1]["policy_verdict"])["allowed"] is False
    overridden = Call.objects.get(override_by__isnull=False)
    assert (attempts[1]["id"], attempts[1]["override_by_id"], attempts[1]["started_at"]) == (
        str(overridden.pk),
        str(overridden.override_by_id),
        "2026-11-18T16:00:00+00:00",  # 11:00 in Lima, in UTC
    )
    assert (attempts[1]["local_time"], attempts[1]["local_time_zone"], attempts[1]["policy_code"]) == (
        "2026-11-18 10:00",
        "America/Lima",
        "pe",
    )
    recording = next(name for name in archive.namelist() if name.startswith("recordings/"))
    assert archive.read(recording) == MP3


def test_the_manifest_lists_every_file_with_its_sha256(client, sofia, story):
    archive = zipfile.ZipFile(io.BytesIO(_pack(client, sofia, story).content))
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["debtor"], manifest["built_by"]) == (story.pk, "sofia")
    listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name


def test_the_summary_pdf_reads_as_the_story(client, sofia, story):
    archive = zipfile.ZipFile(io.BytesIO(_pack(client, sofia, story).content))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read("summary.pdf"))).pages)
    text = " ".join(text.split())
    assert "Paquete de evidencias: Diego Díaz Quispe" in text
    assert "El deudor pidió que lo llamemos hoy" in text and "pe v1" in text
    assert "disputa la deuda" in text and "SMS" in text


def test_collectors_get_no_pack_and_supervisors_only_their_teams(client, carla, pablo, ana, story):
    assert _pack(client, carla, story).status_code == 404
    assert _pack(client, pablo, story).status_code == 404
    assert token_client(carla).get(f"/api/v1/debtors/{story.pk}/evidence-pack/").status_code == 403
    response = token_client(ana).get(f"/api/v1/debtors/{story.pk}/evidence-pack/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_the_debtor_page_offers_the_pack_to_supervisors_only(client, carla, sofia, story):
    url = reverse("promises:evidence_pack", args=[story.pk])
    client.force_login(sofia)
    assert url in client.get(reverse("debtors:detail", args=[story.pk])).content.decode()
    client.force_login(carla)
    assert url not in client.get(reverse("debtors:detail", args=[story.pk])).content.decode()


def test_the_pack_holds_the_letters_issued_and_the_self_service_log(client, sofia, story):
    from documents.models import Document, DocumentKind
    from documents.services import document_issue
    from selfservice.models import SelfServiceEvent

    statement = document_issue(kind=DocumentKind.STATEMENT, debtor=story, source=Document.Source.DESK, by=sofia)
    SelfServiceEvent.objects.create(debtor=story, kind="refused", detail="expired", ip="203.0.113.9")
    archive = zipfile.ZipFile(io.BytesIO(_pack(client, sofia, story).content))
    pdf = archive.read(f"documents/{statement.reference}.pdf")
    statement.refresh_from_db()
    assert hashlib.sha256(pdf).hexdigest() == statement.sha256
    documents = list(csv.DictReader(io.StringIO(archive.read("documents.csv").decode("utf-8-sig"))))
    assert [(row["reference"], row["sha256"]) for row in documents] == [(statement.reference, statement.sha256)]
    events = list(csv.DictReader(io.StringIO(archive.read("self_service_events.csv").decode("utf-8-sig"))))
    assert [(row["kind"], row["ip"]) for row in events] == [("refused", "203.0.113.9")]
