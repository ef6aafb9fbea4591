"""Follow-ups: the work assigned to you; completing or moving one, saying why."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from calls.api.common import ERRORS, NON_BLANK
from calls.models import FollowUp
from calls.services import follow_up_complete, follow_up_move
from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import AwareDateTimeField, within_years
from collections_crm.api.filters import ApiFilterSet, IdFilter, MomentFilter
from collections_crm.api.serializers import InputSerializer, ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView
from collections_crm.permissions import debtor_scope


class FollowUpSerializer(ReadModelSerializer):
    debtor_name = serializers.CharField(source="debtor.full_name", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "debtor",
            "debtor_name",
            "assigned_to",
            "due_at",
            "reason",
            "status",
            "note",
            "promise",
            "call",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class FollowUpFilter(ApiFilterSet):
    debtor = IdFilter(field_name="debtor_id")
    due_before = MomentFilter(field_name="due_at", lookup_expr="lte")
    due_after = MomentFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = FollowUp
        fields = ["debtor", "reason", "status", "due_before", "due_after"]


class FollowUpListApi(ListApiView):
    queryset = FollowUp.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    ordering_fields = ["due_at", "created_at"]

    def get_queryset(self):
        return (
            FollowUp.objects.filter(assigned_to=self.request.user)
            .filter(debtor_scope(self.request.user, via="debtor"))
            .select_related("debtor")
            .order_by("due_at", "pk")
        )

    @extend_schema(tags=["follow-ups"], summary="List my follow-ups")
    def get(self, request, *args, **kwargs):
        """Work assigned to you (callbacks, retries, broken promises, reminders), soonest first."""
        return super().get(request, *args, **kwargs)


class FollowUpCompleteSerializer(InputSerializer):
    schema_rules = [{"properties": {"note": NON_BLANK}}]  # the service refuses a blank reason
    note = serializers.CharField(
        max_length=500,
        allow_blank=True,
        help_text=gettext_lazy("Why the follow-up is done without a call (a logged call settles it on its own)."),
        error_messages={"required": gettext_lazy("Say why the follow-up is done without a call.")},
    )


def _follow_up_in_scope(request, follow_up_id: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.filter(debtor_scope(request.user, via="debtor")).select_related("debtor__portfolio"),
        pk=follow_up_id,
    )


def _not_open() -> Response:
    return Response(
        {"detail": _("This follow-up is already closed."), "code": "not_open"}, status=status.HTTP_409_CONFLICT
    )


class FollowUpCompleteApi(ApiView):
    @extend_schema(
        tags=["follow-ups"],
        summary="Complete a follow-up",
        request=FollowUpCompleteSerializer,
        responses={200: FollowUpSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request, follow_up_id: int):
        """Mark an open follow-up done without a call, saying why; 409 when it is already closed.

        Logging a call (`POST calls/`) settles the follow-ups it worked on its own.
        """
        follow_up = _follow_up_in_scope(request, follow_up_id)
        data = FollowUpCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not follow_up_complete(follow_up=follow_up, by=request.user, note=data.validated_data["note"]):
            return _not_open()
        return Response(FollowUpSerializer(follow_up).data)


class FollowUpMoveSerializer(InputSerializer):
    schema_rules = [{"properties": {"note": NON_BLANK}}]  # the service refuses a blank reason
    due_at = AwareDateTimeField(
        validators=[within_years(2)],
        help_text=gettext_lazy("The new moment, with its offset; it must be lawful for a call to the debtor."),
    )
    note = serializers.CharField(
        max_length=500,
        allow_blank=True,
        help_text=gettext_lazy("Why the follow-up is moved."),
        error_messages={"required": gettext_lazy("Say why the follow-up is moved.")},
    )


class FollowUpMoveApi(ApiView):
    @extend_schema(
        tags=["follow-ups"],
        summary="Move a follow-up",
        request=FollowUpMoveSerializer,
        responses={200: FollowUpSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request, follow_up_id: int):
        """Move an open follow-up to another moment, saying why; 409 when it is already closed.

        The new moment must be in the future and lawful for a call to the debtor; otherwise 409
        (`past` or `contact_blocked`, as logging a blocked call is), with the contact policy's
        reasons and the first lawful moment after it.
        """
        follow_up = _follow_up_in_scope(request, follow_up_id)
        data = FollowUpMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            moved = follow_up_move(follow_up=follow_up, by=request.user, due_at=values["due_at"], note=values["note"])
        except DjangoValidationError as error:
            refusal = _moment_refused(error)
            if refusal is None:
                raise
            return Response(refusal, status=status.HTTP_409_CONFLICT)
        if not moved:
            return _not_open()
        return Response(FollowUpSerializer(follow_up).data)


def _moment_refused(error) -> dict | None:
    """The moment the request names is fine as a moment, but now is not its time: it has passed,
    or the contact policy does not allow a call then (not bad input: a conflict with the clock)."""
    due_at = getattr(error, "error_dict", {}).get("due_at", [])
    codes = {item.code for item in due_at}
    if not due_at or not codes <= {"past", "contact_blocked"}:
        return None
    messages = [message for item in due_at for message in item.messages]
    code = "contact_blocked" if "contact_blocked" in codes else "past"
    return {"detail": " ".join(messages), "code": code, "errors": {"due_at": messages}}
