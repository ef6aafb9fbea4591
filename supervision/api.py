"""The evidence pack through the API: /api/v1/debtors/{id}/evidence-pack/ (supervisors and
admins; 403 for collectors, 404 outside one's scope)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.renderers import ZipRenderer
from collections_crm.api.views import ApiView
from supervision.views.evidence import evidence_response, may_build_evidence


class EvidencePackApi(ApiView):
    renderer_classes = [JSONRenderer, ZipRenderer]
    readers_refused = True

    @extend_schema(
        tags=["debtors"],
        summary="A debtor's evidence pack",
        # Always a ZIP (errors in JSON): DRF's `format` parameter is not offered.
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=_(
                    "CSV files of every record, the recordings, a PDF summary and manifest.json (SHA-256 per file)."
                ),
            ),
            (403, "application/json"): ErrorSerializer,
            (404, "application/json"): ErrorSerializer,
        },
    )
    def get(self, request, debtor_id: int):
        """Everything on record about the debtor, for a regulator or a court, as one ZIP."""
        if not may_build_evidence(request.user):
            raise PermissionDenied
        return evidence_response(request.user, debtor_id)
