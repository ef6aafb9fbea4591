"""Calls: the list of calls with the debtors one may reach, and logging a call."""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from calls.api.call_input import CallInputSerializer
from calls.api.common import ERRORS
from calls.api.verdict import BlockedSerializer
from calls.models import Call
from calls.services import ContactBlocked, call_log
from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.filters import ApiFilterSet, IdFilter, MomentFilter
from collections_crm.api.schema import ApiAutoSchema
from collections_crm.api.serializers import ReadModelSerializer
from collections_crm.api.views import ListApiView
from collections_crm.permissions import debtor_scope, scope_ordering
from debtors.models import Debt, Phone
from debtors.selectors import debtor_get_for_action
from promises.services import NOT_A_SETTLEMENT


class CallSerializer(ReadModelSerializer):
    duration_seconds = serializers.SerializerMethodField()
    # Text, not a URL field: empty when the dialer sent none, which a "uri" format would not say.
    recording_url = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Where the dialer keeps the call's recording.")
    )

    class Meta:
        model = Call
        fields = [
            "id",
            "debtor",
            "phone",
            "debt",
            "collector",
            "channel",
            "direction",
            "started_at",
            "duration_seconds",
            "outcome",
            "stance",
            "stance_reason",
            "commitment",
            "no_commitment_reason",
            "callback_at",
            "follow_up_on",
            "notes",
            "local_time",
            "local_time_zone",
            "policy_code",
            "policy_version",
            "policy_decision",
            "override_reason",
            "dialer_call_id",
            "recording_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_duration_seconds(self, call) -> int | None:
        return int(call.duration.total_seconds()) if call.duration is not None else None


class CallLoggedSerializer(CallSerializer):
    promise = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("The promise made on the call."))
    arrangement = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("The instalment plan or settlement made on the call.")
    )
    promises = serializers.ListField(child=serializers.IntegerField())
    follow_up = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy(
            "The follow-up the commitment scheduled: the agreed callback, or the call about documents, a consultation or another commitment."
        ),
    )
    awaiting_approval = serializers.BooleanField(
        help_text=gettext_lazy("Beyond the caller's limits: a supervisor must approve the arrangement.")
    )
    settled_follow_ups = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=gettext_lazy("The debtor's follow-ups this call settled (done)."),
    )
    retry_after_minutes = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy(
            "When the call did not reach the debtor: minutes until the next attempt is scheduled on its own "
            "(at the next lawful moment); empty when none follows."
        ),
    )

    class Meta(CallSerializer.Meta):
        fields = [
            *CallSerializer.Meta.fields,
            "promise",
            "arrangement",
            "promises",
            "follow_up",
            "awaiting_approval",
            "settled_follow_ups",
            "retry_after_minutes",
        ]
        read_only_fields = fields


class CallFilter(ApiFilterSet):
    debtor = IdFilter(field_name="debtor_id")
    collector = IdFilter(field_name="collector_id")
    started_after = MomentFilter(field_name="started_at", lookup_expr="gte")
    started_before = MomentFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Call
        fields = ["debtor", "collector", "outcome", "commitment", "channel", "started_after", "started_before"]


class CallLogSchema(ApiAutoSchema):
    """A 409 is the contact policy's refusal (Blocked: the error with the verdict) or a settlement
    that forgives nothing (the plain error): anyOf, since a Blocked answer is an Error too."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        conflict = (operation or {}).get("responses", {}).get("409")
        if conflict is not None:
            content = conflict["content"]["application/json"]
            content["schema"] = {"anyOf": [content["schema"], {"$ref": "#/components/schemas/Error"}]}
        return operation


class CallListCreateApi(ListApiView):
    queryset = Call.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = CallSerializer
    filterset_class = CallFilter
    schema = CallLogSchema()
    ordering_fields = ["started_at", "created_at"]
    index_ordering = ("-started_at", "-pk")  # call_started_idx; see ApiPagination

    def get_queryset(self):
        user = self.request.user
        return Call.objects.filter(debtor_scope(user, via="debtor")).order_by(
            *scope_ordering(user, *self.index_ordering)
        )

    @extend_schema(tags=["calls"], summary="List calls")
    def get(self, request, *args, **kwargs):
        """Calls and other contacts with the debtors you may reach, newest first."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["calls"],
        summary="Log a call",
        request=CallInputSerializer,
        responses={
            201: CallLoggedSerializer,
            403: OpenApiResponse(
                ErrorSerializer, description=gettext_lazy("A collector may not override the contact policy.")
            ),
            409: OpenApiResponse(
                BlockedSerializer,
                description=gettext_lazy("The contact policy forbids the call, or the settlement forgives nothing."),
            ),
            **ERRORS,
        },
    )
    def post(self, request):
        """Log a call with its outcome, the debtor's stance and the commitment it ended with.

        The desk's rules: a conversation with the debtor ends with a commitment (a promise,
        an instalment plan, a callback, documents…) or the reason there was none; only the
        debtor can promise to pay; promises beyond the caller's limits wait for approval.
        Every commitment is followed up: a callback at its time, documents, a consultation
        or another commitment on `follow_up_on`. The call settles the debtor's follow-ups it
        worked (`settled_follow_ups`): a conversation with the debtor those due by the end of
        the debtor's day, any other attempt those due when it was made.
        When the contact policy forbids the call the answer is 409 with the reasons and the
        next lawful moment; a supervisor may log it anyway with `override_reason`. A settlement
        whose total leaves nothing of the balance to forgive is a 409 `not_a_settlement`.
        """
        data = CallInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        debtor = debtor_get_for_action(request.user, values["debtor"])
        phone = get_object_or_404(Phone, pk=values["phone"], debtor=debtor) if "phone" in values else None
        debt = get_object_or_404(Debt, pk=values["debt"], debtor=debtor) if "debt" in values else None
        override_reason = values.get("override_reason", "").strip()
        instalments = dict(values["instalments"]) if "instalments" in values else None
        settlement = dict(values["settlement"]) if "settlement" in values else None
        try:
            result = call_log(
                debtor=debtor,
                collector=request.user,
                phone=phone,
                debt=debt,
                outcome=values["outcome"],
                started_at=values.get("started_at"),
                duration=timedelta(seconds=values["duration_seconds"]) if "duration_seconds" in values else None,
                stance=values.get("stance", ""),
                stance_reason=values.get("stance_reason", ""),
                commitment=values.get("commitment", ""),
                no_commitment_reason=values.get("no_commitment_reason", ""),
                promise_amount=values.get("promise_amount"),
                promise_date=values.get("promise_date"),
                instalments=instalments,
                settlement=settlement,
                callback_at=values.get("callback_at"),
                follow_up_on=values.get("follow_up_on"),
                notes=values.get("notes", ""),
                override_by=request.user if override_reason else None,
                override_reason=override_reason,
                kind=values["kind"],
                dialer_call_id=values.get("dialer_call_id", ""),
                recording_url=values.get("recording_url", ""),
            )
        except ContactBlocked as blocked:
            body = blocked.verdict.as_dict()
            body["detail"] = " ".join(reason["message"] for reason in body["reasons"])
            body["code"] = "contact_blocked"
            return Response(body, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:  # (ContactBlocked is one too: caught above)
            if any(item.code == "override_not_allowed" for item in getattr(error, "error_list", [])):
                # Not bad input: a collector may not override the contact policy.
                raise exceptions.PermissionDenied(error.messages[0], code="override_not_allowed") from None
            settlement_errors = getattr(error, "error_dict", {}).get("settlement", [])
            if any(item.code == NOT_A_SETTLEMENT for item in settlement_errors):
                # Valid input, but the balance (which the caller may not know) leaves nothing to forgive.
                return Response(
                    {"detail": settlement_errors[0].messages[0], "code": NOT_A_SETTLEMENT},
                    status=status.HTTP_409_CONFLICT,
                )
            raise
        body = CallSerializer(result.call).data
        body["promise"] = result.promise.pk if result.promise is not None else None
        body["arrangement"] = result.arrangement.pk if result.arrangement is not None else None
        if result.arrangement is not None:
            body["promises"] = list(
                result.arrangement.promises.order_by("instalment_number", "pk").values_list("pk", flat=True)
            )
        else:
            body["promises"] = [result.promise.pk] if result.promise is not None else []
        body["follow_up"] = result.follow_up.pk if result.follow_up is not None else None
        body["awaiting_approval"] = result.awaiting_approval
        body["settled_follow_ups"] = [follow_up.pk for follow_up in result.settled]
        body["retry_after_minutes"] = result.retry_after_minutes
        return Response(body, status=status.HTTP_201_CREATED)
