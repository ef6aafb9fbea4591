"""Documents through the API: a debtor's letters (/api/v1/debtors/{id}/documents/), a statement
of account issued on demand, and each letter's PDF (/api/v1/documents/{id}/pdf/), for whoever
may see the debtor (404 otherwise)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.renderers import PdfRenderer
from collections_crm.api.serializers import InputSerializer, ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView
from collections_crm.permissions import can_view_debtor
from debtors.selectors import debtor_get_for_action
from documents.models import Document, DocumentKind
from documents.services import document_issue, document_pdf
from documents.views import pdf_response


class DocumentSerializer(ReadModelSerializer):
    sha256 = serializers.CharField(
        read_only=True, help_text=_("SHA-256 of the PDF's bytes; empty until it is first rendered.")
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "debtor",
            "kind",
            "reference",
            "language",
            "arrangement",
            "debt",
            "source",
            "created_by",
            "created_at",
            "sha256",
            "size",
        ]
        read_only_fields = fields


class StatementInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(
        choices=[(DocumentKind.STATEMENT, DocumentKind.STATEMENT.label)],
        help_text=_("Only the statement of account is issued on demand; the other letters follow their events."),
    )


class DebtorDocumentListApi(ListApiView):
    queryset = Document.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = DocumentSerializer

    def get_queryset(self):
        debtor = debtor_get_for_action(self.request.user, self.kwargs["debtor_id"])
        return Document.objects.filter(debtor=debtor).order_by("-created_at", "-pk")

    @extend_schema(tags=["debtors"], summary="A debtor's documents")
    def get(self, request, *args, **kwargs):
        """The letters issued to the debtor, newest first: convenios, statements, paid-in-full and settlement letters."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["debtors"],
        summary="Issue a statement of account",
        request=StatementInputSerializer,
        responses={201: DocumentSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def post(self, request, debtor_id: int):
        """The debtor's statement of account as of now: debts, payments, promises and balance, rendered at once."""
        debtor = debtor_get_for_action(request.user, debtor_id)
        StatementInputSerializer(data=request.data).is_valid(raise_exception=True)
        document = document_issue(
            kind=DocumentKind.STATEMENT, debtor=debtor, source=Document.Source.API, by=request.user
        )
        document_pdf(document)
        document.refresh_from_db()
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentPdfApi(ApiView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=["debtors"],
        summary="A document's PDF",
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The letter as issued.")),
            (404, "application/json"): ErrorSerializer,
        },
    )
    def get(self, request, document_id: int):
        """The PDF, the same bytes every time (their SHA-256 is the document's `sha256`)."""
        document = get_object_or_404(Document.objects.select_related("debtor"), pk=document_id)
        if not can_view_debtor(request.user, document.debtor):
            raise Http404
        return pdf_response(document)
