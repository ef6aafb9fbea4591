"""Saved filters: named conditions on debtors (/api/v1/saved-filters/), read by everyone who
works debtors and used on the debtor list (`?saved_filter=<id>`); written by supervisors and
admins (403 for collectors), who may also make a portfolio's segment of one."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import IdField
from collections_crm.api.serializers import InputSerializer, ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView
from debtors import services
from debtors.filters import PARAMETERS, SEARCH_MAX_LENGTH, conditions_query, query_conditions
from debtors.models import HOLD_FIELDS, Language, SavedFilter

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
TAKEN = OpenApiResponse(ErrorSerializer, description=_("Another saved filter has this name."))


class JsonNumberField(serializers.FloatField):
    """A JSON number, nothing else (DRF's own also reads "0.5" and true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


def _conditions_fields() -> dict:
    fields = {
        "search": serializers.CharField(
            max_length=SEARCH_MAX_LENGTH,
            required=False,
            help_text=_("Name (part of it), customer code, national id or phone (E.164)."),
        ),
        "portfolio": IdField(required=False),
        "assigned_to": IdField(required=False, help_text=_("A collector's id.")),
        "language": serializers.ChoiceField(choices=Language.choices, required=False),
        "on_hold": serializers.BooleanField(required=False, help_text=_("Has any hold")),
        "with_balance": serializers.BooleanField(required=False, help_text=_("Has an open balance")),
        **{name: serializers.BooleanField(required=False) for name in HOLD_FIELDS},
        "product": serializers.CharField(
            max_length=100, required=False, help_text=_("Has an open debt of this product (any case)")
        ),
        "consents_to": serializers.ChoiceField(
            choices=["sms", "whatsapp"],
            required=False,
            help_text=_("Has a usable number that consents to this channel"),
        ),
        "score_from": JsonNumberField(
            min_value=0, max_value=1, required=False, help_text=_("Payment score from (0 to 1, inclusive)")
        ),
        "score_below": JsonNumberField(
            min_value=0, max_value=1, required=False, help_text=_("Payment score below (0 to 1)")
        ),
        "segment": IdField(required=False, help_text=_("Segment id")),
        "strategy": IdField(required=False, help_text=_("Strategy id")),
    }
    return fields


# The debtor list's conditions, typed: at least one of them.
ConditionsSerializer = type(
    "SavedFilterConditionsSerializer",
    (InputSerializer,),
    {**_conditions_fields(), "schema_rules": [{"anyOf": [{"required": [name]} for name in sorted(PARAMETERS)]}]},
)


class SavedFilterSerializer(ReadModelSerializer):
    conditions = serializers.SerializerMethodField()
    query = serializers.CharField(read_only=True, help_text=_("The same conditions as the debtor list's query string."))

    class Meta:
        model = SavedFilter
        fields = ["id", "name", "conditions", "query", "created_by", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(ConditionsSerializer)
    def get_conditions(self, saved_filter) -> dict:
        return query_conditions(saved_filter.query)


class SavedFilterInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=100)
    conditions = ConditionsSerializer()

    def validate(self, data):
        if "conditions" in data and not data["conditions"]:
            raise serializers.ValidationError({"conditions": [_("Give at least one condition.")]})
        return data


class SavedFilterChangeSerializer(SavedFilterInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    conditions = ConditionsSerializer(required=False)  # replaces every condition


def _saved(save) -> Response | SavedFilter:
    """The saved filter, or a 409 when another one already has the name (not bad input: the
    name is fine, it is taken)."""
    try:
        return save()
    except DjangoValidationError as error:
        taken = [e for e in getattr(error, "error_dict", {}).get("name", []) if e.code == "unique"]
        if not taken:
            raise
        return Response({"detail": taken[0].messages[0], "code": "name_taken"}, status=status.HTTP_409_CONFLICT)


class SavedFilterListCreateApi(ListApiView):
    queryset = SavedFilter.objects.none()  # for the schema
    serializer_class = SavedFilterSerializer

    def get_queryset(self):
        return SavedFilter.objects.order_by("name", "pk")

    @extend_schema(tags=["debtors"], summary="List saved filters")
    def get(self, request, *args, **kwargs):
        """Every saved filter, by name; pass one's id to the debtor list as `saved_filter`."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["debtors"],
        summary="Save a filter",
        request=SavedFilterInputSerializer,
        responses={201: SavedFilterSerializer, 409: TAKEN, **ERRORS},
    )
    def post(self, request):
        """Save conditions on debtors under a name. Supervisors and admins."""
        data = SavedFilterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        saved_filter = _saved(
            lambda: services.saved_filter_save(
                by=request.user, name=values["name"], query=conditions_query(values["conditions"])
            )
        )
        if isinstance(saved_filter, Response):
            return saved_filter
        return Response(SavedFilterSerializer(saved_filter).data, status=status.HTTP_201_CREATED)


class SavedFilterDetailApi(ApiView):
    @extend_schema(tags=["debtors"], responses={200: SavedFilterSerializer, 404: ErrorSerializer})
    def get(self, request, saved_filter_id: int):
        """One saved filter."""
        return Response(SavedFilterSerializer(get_object_or_404(SavedFilter, pk=saved_filter_id)).data)

    @extend_schema(
        tags=["debtors"],
        request=SavedFilterChangeSerializer,
        responses={200: SavedFilterSerializer, 409: TAKEN, **ERRORS},
    )
    def patch(self, request, saved_filter_id: int):
        """Rename a saved filter or replace its conditions; segments that use it follow at the next scoring."""
        saved_filter = get_object_or_404(SavedFilter, pk=saved_filter_id)
        data = SavedFilterChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        saved_filter = _saved(
            lambda: services.saved_filter_save(
                by=request.user,
                saved_filter=saved_filter,
                name=values.get("name", saved_filter.name),
                query=conditions_query(values["conditions"]) if "conditions" in values else saved_filter.query,
            )
        )
        if isinstance(saved_filter, Response):
            return saved_filter
        return Response(SavedFilterSerializer(saved_filter).data)

    @extend_schema(
        tags=["debtors"],
        responses={
            204: None,
            409: OpenApiResponse(ErrorSerializer, description=_("A segment uses the filter.")),
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def delete(self, request, saved_filter_id: int):
        """Delete a saved filter that no segment uses."""
        saved_filter = get_object_or_404(SavedFilter, pk=saved_filter_id)
        try:
            services.saved_filter_delete(by=request.user, saved_filter=saved_filter)
        except DjangoValidationError as error:
            if getattr(error, "code", None) != "in_use":
                raise
            return Response({"detail": error.messages[0], "code": "in_use"}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
