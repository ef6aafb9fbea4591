"""Issuing a document (its facts taken now), rendering its PDF once with a SHA-256 of the bytes,
and sending it to the debtor by e-mail through the outbox."""

import hashlib
import logging
import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from debtors.models import Debt, Debtor
from documents.facts import document_facts
from documents.models import Document, DocumentKind
from documents.rendering import render_pdf
from documents.signing import pdf_sign
from promises.models import Arrangement, Message

log = logging.getLogger(__name__)

# The document number's prefix, in the words creditors use for each letter.
PREFIXES = {
    DocumentKind.AGREEMENT: "CONV",
    DocumentKind.STATEMENT: "EC",
    DocumentKind.PAID_IN_FULL: "CND",
    DocumentKind.SETTLEMENT_SATISFIED: "CLQ",
}


class DocumentTampered(Exception):
    """The stored bytes no longer match the SHA-256 taken when they were rendered."""


def document_issue(
    *,
    kind: str,
    debtor: Debtor,
    source: str,
    by=None,
    arrangement: Arrangement | None = None,
    debt: Debt | None = None,
    at: datetime | None = None,
) -> Document:
    """A new document with what it says taken now. A letter that exists once per agreement or
    debt (the convenio, the paid-in-full and settlement letters) is returned if already issued."""
    at = at or timezone.now()
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("Choose one of the listed documents.")})
    if kind in (DocumentKind.AGREEMENT, DocumentKind.SETTLEMENT_SATISFIED) and arrangement is None:
        raise ValidationError({"kind": _("This letter is issued for an agreement.")})
    once_key = {"arrangement": arrangement} if kind != DocumentKind.PAID_IN_FULL else {"debt": debt}
    if kind != DocumentKind.STATEMENT:
        existing = Document.objects.filter(kind=kind, **once_key).first()
        if existing is not None:
            return existing
    facts = document_facts(kind, debtor, at=at, arrangement=arrangement, debt=debt)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                debtor=debtor,
                kind=kind,
                reference=f"new-{uuid.uuid4().hex}",
                language=facts["language"],
                arrangement=arrangement,
                debt=debt,
                facts=facts,
                source=source,
                created_by=by,
                created_at=at,
            )
    except IntegrityError:  # issued by someone else meanwhile: one letter stands
        return Document.objects.get(kind=kind, **once_key)
    document.reference = f"{PREFIXES[kind]}-{facts['issued_on'][:4]}-{document.pk:07d}"
    document.facts = {**facts, "reference": document.reference}
    Document.objects.filter(pk=document.pk).update(reference=document.reference, facts=document.facts)
    return document


def document_pdf(document: Document) -> bytes:
    """The document's PDF: rendered and stored on first use, then always the same bytes,
    checked against their SHA-256."""
    if not document.sha256:
        with transaction.atomic():
            document = Document.objects.select_for_update().get(pk=document.pk)
            if not document.sha256:
                content = _signed(render_pdf(document.facts), document)
                document.pdf.save(document.file_name, ContentFile(content), save=False)
                document.sha256 = hashlib.sha256(content).hexdigest()
                document.size = len(content)
                document.rendered_at = timezone.now()
                document.save(update_fields=["pdf", "sha256", "size", "rendered_at"])
                return content
    with document.pdf.open("rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != document.sha256:
        log.error("document %s: stored bytes do not match their SHA-256", document.pk)
        raise DocumentTampered(document.reference)
    return content


def _signed(content: bytes, document: Document) -> bytes:
    creditor = document.facts.get("creditor") or {}
    with translation.override(document.language):
        reason = _("%(kind)s %(reference)s, issued by %(creditor)s") % {
            "kind": document.get_kind_display(),
            "reference": document.reference,
            "creditor": creditor.get("legal_name") or creditor.get("name") or "",
        }
    return pdf_sign(content, reason=reason, location=document.facts.get("place") or "")


def documents_render_pending(*, limit: int = 200) -> int:
    """Render the documents issued but not rendered yet (the worker does it soon after they are issued)."""
    count = 0
    for document in Document.objects.filter(sha256="").order_by("pk")[:limit]:
        document_pdf(document)
        count += 1
    return count


def arrangement_acceptance_record(*, arrangement: Arrangement, acceptance: dict) -> None:
    """How the debtor accepted `arrangement`, on the arrangement and on its convenio if that is
    issued but not rendered yet (a rendered letter never changes)."""
    Arrangement.objects.filter(pk=arrangement.pk).update(acceptance=acceptance)
    arrangement.acceptance = acceptance
    for document in Document.objects.filter(arrangement=arrangement, kind=DocumentKind.AGREEMENT, sha256=""):
        Document.objects.filter(pk=document.pk, sha256="").update(facts={**document.facts, "acceptance": acceptance})


def document_email_send(*, document: Document, by, at: datetime | None = None) -> Message:
    """Queue the document for the debtor's e-mail, as an attachment; the outbox sends it at a
    lawful moment. Refused when the debtor has no e-mail address."""
    debtor = document.debtor
    if not debtor.email:
        raise ValidationError(_("The debtor has no e-mail address on file."), code="no_email")
    at = at or timezone.now()
    with translation.override(document.language):
        context = {
            "document": document,
            "kind": document.get_kind_display(),
            "debtor": debtor,
            "creditor": debtor.portfolio.creditor.name,
        }
        subject = render_to_string("documents/email_subject.txt", context).strip()
        body = render_to_string("documents/email.txt", context).strip()
    return Message.objects.create(
        debtor=debtor,
        channel=Message.Channel.EMAIL,
        purpose=Message.Purpose.DOCUMENT,
        recipient=debtor.email,
        language=document.language,
        subject=subject,
        body=body,
        attachments=[f"document:{document.pk}"],
        idempotency_key=f"document:{document.pk}:email:{uuid.uuid4().hex[:12]}",
        send_after=at,
        created_at=at,
    )
