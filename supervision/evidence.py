"""The evidence pack of one debtor: a ZIP holding every record a regulator (Indecopi, SBS,
Condusef, SIC, Banco de España) asks about, as CSV files straight from the database, the call
recordings, the letters issued, a PDF summary, and a manifest with each file's SHA-256.

The CSV files carry every stored column of their rows (ids, UTC moments in ISO 8601, the
contact policy's verdict as JSON), so that the pack can be checked against the database row by
row; the summary is for reading.
"""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import models
from django.utils import timezone

from calls.models import Call, CallRecording, PhoneStatusChange
from collections_crm.lib.downloads import SafeCsvWriter
from conversations.models import DeliveryEvent, InboundMessage
from debtors.models import BalanceChange, ConsentChange, Debt, Debtor, HoldChange
from documents.models import Document
from documents.services import DocumentTampered, document_pdf
from promises.models import Message, Payment, Promise, PromiseEvent
from selfservice.models import PaymentLink, SelfServiceEvent, SelfServiceLink
from supervision.evidence_summary import summary_pdf


def tables(debtor: Debtor) -> list[tuple[str, models.QuerySet]]:
    """(file name, rows) of every table in the pack, each in a stable order."""
    calls = Call.objects.filter(debtor=debtor)
    messages = Message.objects.filter(debtor=debtor)
    return [
        ("debts.csv", Debt.objects.filter(debtor=debtor).order_by("pk")),
        ("ledger.csv", BalanceChange.objects.filter(debt__debtor=debtor).order_by("at", "pk")),
        ("payments.csv", Payment.objects.filter(debtor=debtor).order_by("paid_at", "pk")),
        ("attempts.csv", calls.order_by("started_at", "pk")),
        ("overrides.csv", calls.filter(override_by__isnull=False).order_by("started_at", "pk")),
        ("promises.csv", Promise.objects.filter(debtor=debtor).order_by("created_at", "pk")),
        ("promise_events.csv", PromiseEvent.objects.filter(promise__debtor=debtor).order_by("at", "pk")),
        ("messages_sent.csv", messages.order_by("created_at", "pk")),
        ("delivery_receipts.csv", DeliveryEvent.objects.filter(message__debtor=debtor).order_by("occurred_at", "pk")),
        ("messages_received.csv", InboundMessage.objects.filter(debtor=debtor).order_by("received_at", "pk")),
        ("recordings.csv", CallRecording.objects.filter(call__debtor=debtor).order_by("uploaded_at", "pk")),
        ("hold_changes.csv", HoldChange.objects.filter(debtor=debtor).order_by("at", "pk")),
        ("consent_changes.csv", ConsentChange.objects.filter(debtor=debtor).order_by("at", "pk")),
        ("phone_status_changes.csv", PhoneStatusChange.objects.filter(debtor=debtor).order_by("at", "pk")),
        ("documents.csv", Document.objects.filter(debtor=debtor).order_by("created_at", "pk")),
        ("self_service_links.csv", SelfServiceLink.objects.filter(debtor=debtor).order_by("created_at", "pk")),
        ("self_service_events.csv", SelfServiceEvent.objects.filter(debtor=debtor).order_by("at", "pk")),
        ("payment_links.csv", PaymentLink.objects.filter(debtor=debtor).order_by("created_at", "pk")),
    ]


def cell(field: models.Field, instance) -> object:
    """A stored value as the pack writes it: ids for relations, UTC ISO 8601 moments, JSON."""
    value = field.value_from_object(instance)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(field, models.FileField):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, int | float) else str(value)


def columns(queryset: models.QuerySet) -> list[models.Field]:
    return list(queryset.model._meta.concrete_fields)


def _csv(queryset) -> tuple[bytes, int]:
    fields = columns(queryset)
    text = io.StringIO()
    writer = SafeCsvWriter(text, lineterminator="\r\n")
    writer.writerow([field.attname for field in fields])
    rows = 0
    for instance in queryset.iterator(chunk_size=2000):
        writer.writerow([cell(field, instance) for field in fields])
        rows += 1
    return text.getvalue().encode("utf-8-sig"), rows  # with a BOM: Excel reads the accents right


def _letters(debtor: Debtor) -> list[tuple[str, bytes, None]]:
    letters = []
    for document in Document.objects.filter(debtor=debtor).order_by("pk"):
        try:
            letters.append((f"documents/{document.file_name}", document_pdf(document), None))
        except (DocumentTampered, FileNotFoundError, OSError):
            continue  # listed in documents.csv with its SHA-256; the stored copy is gone or altered
    return letters


@dataclass
class Pack:
    content: bytes
    manifest: dict
    filename: str


def evidence_pack_build(*, debtor: Debtor, by, at: datetime | None = None) -> Pack:
    """The ZIP of one debtor's evidence (supervisors and admins; the caller checks scope)."""
    at = at or timezone.now()
    files: list[tuple[str, bytes, int | None]] = []
    debtor_row = {field.attname: cell(field, debtor) for field in columns(Debtor.objects.none())}
    files.append(("debtor.json", json.dumps(debtor_row, ensure_ascii=False, indent=2).encode(), 1))
    letters = _letters(debtor)  # first: a letter rendered now has its SHA-256 in documents.csv
    counts = {}
    for name, queryset in tables(debtor):
        content, rows = _csv(queryset)
        counts[name] = rows
        files.append((name, content, rows))
    for recording in CallRecording.objects.filter(call__debtor=debtor).order_by("pk"):
        try:
            with recording.file.open("rb") as audio:
                files.append(
                    (f"recordings/{recording.call_id}-{recording.file.name.rsplit('/', 1)[-1]}", audio.read(), None)
                )
        except (FileNotFoundError, OSError):
            continue  # listed in recordings.csv with its storage name; the file itself is gone
    files.extend(letters)
    files.append(("summary.pdf", summary_pdf(debtor=debtor, counts=counts, by=by, at=at), None))
    manifest = {
        "debtor": debtor.pk,
        "portfolio": debtor.portfolio_id,
        "built_at": at.astimezone(UTC).isoformat(),
        "built_by": by.get_username(),
        "files": [
            {"name": name, "sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content), "rows": rows}
            for name, content, rows in files
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content, _rows in files:
            archive.writestr(name, content)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return Pack(content=buffer.getvalue(), manifest=manifest, filename=f"evidence-{debtor.pk}-{stamp}.zip")
