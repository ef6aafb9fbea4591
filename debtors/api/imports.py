"""API for portfolio file imports: upload, follow, list, and the rejected rows."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import IdField
from collections_crm.api.filters import ApiFilterSet, IdFilter
from collections_crm.api.schema import TEXT
from collections_crm.api.serializers import InputSerializer, ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView
from debtors import services
from debtors.api.accounts import ERRORS
from debtors.importing.mapping import FIELDS as IMPORT_FIELDS
from debtors.models import ImportJob, ImportKind, Portfolio
from debtors.selectors import (
    import_job_get_for_user,
    import_jobs_for_user,
)

# --- Imports (admins) ------------------------------------------------------------------------


class ImportJobSerializer(ReadModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    seconds_left = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("At the pace so far."))
    rejected_rows_url = serializers.SerializerMethodField(help_text=_("The rejected rows as CSV, once there are any."))

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "portfolio",
            "original_name",
            "whole_portfolio",
            "dry_run",
            "status",
            "rows_total",
            "rows_done",
            "percent",
            "seconds_left",
            "created_count",
            "updated_count",
            "unchanged_count",
            "rejected_count",
            "recalled_count",
            "error_message",
            "rejected_rows_url",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_rejected_rows_url(self, job) -> str | None:
        if not job.report:
            return None
        url = reverse("api-import-rejected", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


# The schema of a mapping: the importer's field names, each with the header of its column.
MAPPING_SCHEMA = {
    "type": "object",
    # null: the file has no column for that field (one detection would otherwise find).
    "properties": {name: {"type": "string", "pattern": TEXT, "nullable": True} for name in IMPORT_FIELDS},
    "additionalProperties": False,
}


@extend_schema_field(MAPPING_SCHEMA)
class MappingField(serializers.JSONField):
    def to_internal_value(self, data):
        mapping = super().to_internal_value(data)
        if not isinstance(mapping, dict) or not all(
            value is None or isinstance(value, str) for value in mapping.values()
        ):
            raise serializers.ValidationError(_("The mapping must be an object from field name to column header."))
        unknown = sorted(set(mapping) - set(IMPORT_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                _("The mapping names a field the importer does not know: “%(field)s”. Known fields: %(known)s.")
                % {"field": unknown[0], "known": ", ".join(IMPORT_FIELDS)}
            )
        for header in filter(None, mapping.values()):
            try:
                ProhibitNullCharactersValidator()(header)  # PostgreSQL cannot store them
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        return mapping


@extend_schema_field({"type": "string", "format": "binary", "minLength": 1})
class UploadField(serializers.FileField):
    """A file that is not empty (DRF refuses empty ones)."""


class ImportCreateSerializer(InputSerializer):
    file = UploadField(help_text=_("CSV or Excel (.xlsx), as the creditor sent it."))
    kind = serializers.ChoiceField(choices=ImportKind.choices, default=ImportKind.PORTFOLIO)
    portfolio = IdField()
    mapping = MappingField(
        required=False,
        binary=True,
        help_text=_(
            '{"field": "column header"}, as JSON, naming only the columns detection would get wrong (null: not in '
            "the file); the others are detected."
        ),
    )
    whole_portfolio = serializers.BooleanField(
        default=False, help_text=_("Accounts missing from the file are marked recalled (nothing is deleted).")
    )
    dry_run = serializers.BooleanField(default=False, help_text=_("Check the file and report; save nothing."))


class ImportFilter(ApiFilterSet):
    portfolio = IdFilter(field_name="portfolio_id")

    class Meta:
        model = ImportJob
        fields = ["portfolio", "kind", "status"]


class ImportListCreateApi(ListApiView):
    queryset = ImportJob.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = ImportJobSerializer
    filterset_class = ImportFilter
    ordering_fields = ["created_at"]
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return import_jobs_for_user(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(tags=["imports"], summary="List imports")
    def get(self, request, *args, **kwargs):
        """Portfolio and payment files loaded or loading (admins; everyone else sees none)."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["imports"],
        summary="Upload a file",
        request={
            "multipart/form-data": OpenApiRequest(
                ImportCreateSerializer,
                encoding={
                    # Named by its extension (.csv, .txt, .tsv or .xlsx) and not empty.
                    "file": {
                        "contentType": "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        "headers": {
                            "Content-Disposition": {
                                "schema": {
                                    "type": "string",
                                    "example": 'form-data; name="file"; filename="cartera.csv"',
                                }
                            }
                        },
                    },
                },
            )
        },
        responses={202: ImportJobSerializer, 403: ErrorSerializer, **ERRORS},
    )
    def post(self, request):
        """Upload a portfolio or payment file; a worker loads it. Follow `GET imports/{id}/` for progress.

        Admins only (403 for others). The answer is 202 with the job, pending until a worker takes it.
        """
        if not services.can_import(request.user):
            raise PermissionDenied
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        portfolio = get_object_or_404(Portfolio, pk=values["portfolio"])
        job = services.import_job_create(
            user=request.user,
            kind=values["kind"],
            file=values["file"],
            portfolio=portfolio,
            mapping=values.get("mapping"),
            whole_portfolio=values["whole_portfolio"],
            dry_run=values["dry_run"],
        )
        return Response(ImportJobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(ApiView):
    @extend_schema(
        tags=["imports"], summary="Follow an import", responses={200: ImportJobSerializer, 404: ErrorSerializer}
    )
    def get(self, request, job_id: int):
        """Status, rows read of the total, time left, and the counts once done."""
        job = import_job_get_for_user(request.user, job_id)
        return Response(ImportJobSerializer(job, context={"request": request}).data)


class CsvRenderer(BaseRenderer):
    """Lets a client ask for text/csv; errors still go out as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, (bytes, str)) else JSONRenderer().render(data)


class ImportRejectedRowsApi(ApiView):
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        tags=["imports"],
        summary="Rejected rows of an import",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=_("The row's number and the reason, then the row's own cells under the file's headers."),
            ),
            (404, "application/json"): ErrorSerializer,
        },
    )
    def get(self, request, job_id: int):
        """The rejected rows as CSV (row number, reason, the row's cells); 404 while there are none."""
        job = import_job_get_for_user(request.user, job_id)
        if not job.report:
            raise Http404
        return FileResponse(
            job.report.open("rb"), as_attachment=True, filename=f"import-{job.pk}-rejected.csv", content_type="text/csv"
        )
