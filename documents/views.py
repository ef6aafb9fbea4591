"""Documents on the debtor page: download one, issue a statement of account, e-mail one."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collections_crm.permissions import can_view_debtor
from debtors.selectors import debtor_get_for_action
from documents.models import Document, DocumentKind
from documents.services import DocumentTampered, document_email_send, document_issue, document_pdf

log = logging.getLogger(__name__)


def pdf_response(document: Document, *, inline: bool = False) -> HttpResponse:
    try:
        content = document_pdf(document)
    except DocumentTampered:
        message = _("The stored copy of %(reference)s does not match its SHA-256: it is not served. Tell an admin.")
        return HttpResponse(
            message % {"reference": document.reference}, status=409, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{document.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Digest"] = f"sha-256={document.sha256}"
    return response


@login_required
def document_download(request, pk: int):
    """Whoever may see the debtor may read the debtor's documents; others get a 404."""
    document = get_object_or_404(Document.objects.select_related("debtor"), pk=pk)
    if not can_view_debtor(request.user, document.debtor):
        raise Http404
    log.info("document %s read by %s", document.reference, request.user.get_username())
    return pdf_response(document)


def _back(debtor_id: int):
    return redirect(reverse("debtors:detail", args=[debtor_id]) + "#documents")


@login_required
@require_POST
def statement_issue(request, debtor_id: int):
    debtor = debtor_get_for_action(request.user, debtor_id)
    document = document_issue(kind=DocumentKind.STATEMENT, debtor=debtor, source=Document.Source.DESK, by=request.user)
    messages.success(request, _("Statement of account %(reference)s issued.") % {"reference": document.reference})
    return _back(debtor.pk)


@login_required
@require_POST
def document_email(request, pk: int):
    document = get_object_or_404(Document.objects.select_related("debtor__portfolio__creditor"), pk=pk)
    debtor = debtor_get_for_action(request.user, document.debtor_id)
    try:
        document_email_send(document=document, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("%(reference)s will go to %(email)s at the next lawful moment.")
            % {"reference": document.reference, "email": debtor.email},
        )
    return _back(debtor.pk)
