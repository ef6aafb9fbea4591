"""API for dialers: ask the contact policy, log a call with its commitment, work follow-ups.

The same services and scope as the desk: `call_log` holds every rule about outcomes,
stances and commitments, `check_contact` every rule about lawful contact.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from calls.models import Call, Channel, FollowUp
from calls.policy import check_contact
from calls.services import (
    INSTALMENT_FREQUENCIES,
    MAX_INSTALMENTS,
    MIN_INSTALMENTS,
    ContactBlocked,
    call_log,
    follow_up_complete,
    follow_up_move,
)
from collections_crm.api import patterns
from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import AwareDateTimeField, IdField, IsoDateField, MoneyField, from_today, within_years
from collections_crm.api.filters import ApiFilterSet, IdFilter, MomentFilter
from collections_crm.api.schema import BLANK_TEXT, NON_BLANK_TEXT, forbidden, one_of
from collections_crm.api.serializers import InputSerializer, ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView, query_data
from collections_crm.permissions import debtor_scope, scope_ordering
from debtors.models import Debt, Phone
from debtors.selectors import debtor_get_for_action

ERRORS = {400: ErrorSerializer, 404: ErrorSerializer}


# --- Contact verdict ---------------------------------------------------------------------------


class VerdictQuerySerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.VOICE)
    phone = IdField(required=False)
    at = AwareDateTimeField(required=False, validators=[within_years(5)])


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    params = serializers.DictField(child=serializers.CharField())
    citation = serializers.CharField(allow_blank=True)


class VerdictSerializer(serializers.Serializer):
    """What the contact policy says about contacting a debtor on a channel at a moment."""

    allowed = serializers.BooleanField()
    channel = serializers.CharField()
    at = serializers.DateTimeField()
    local_time = serializers.DateTimeField(help_text=gettext_lazy("The debtor's wall clock, with its offset."))
    policy = serializers.CharField()
    reasons = ReasonSerializer(many=True)
    warnings = ReasonSerializer(many=True)
    next_allowed_at = serializers.DateTimeField(allow_null=True)


class BlockedSerializer(VerdictSerializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class ContactVerdictApi(ApiView):
    @extend_schema(tags=["calls"], parameters=[VerdictQuerySerializer], responses={200: VerdictSerializer, **ERRORS})
    def get(self, request, debtor_id: int):
        """May the debtor be contacted on this channel now (or at `at`)? The reasons, and when next."""
        debtor = debtor_get_for_action(request.user, debtor_id)
        query = VerdictQuerySerializer(data=query_data(request))
        query.is_valid(raise_exception=True)
        phone = None
        if "phone" in query.validated_data:
            phone = get_object_or_404(Phone, pk=query.validated_data["phone"], debtor=debtor)
        at = query.validated_data.get("at") or timezone.now()
        verdict = check_contact(debtor, query.validated_data["channel"], at, phone=phone)
        return Response(verdict.as_dict())


# --- Calls -----------------------------------------------------------------------------------------


def _absent(*names) -> dict:
    return {name: forbidden() for name in names}


BLANK = {"pattern": BLANK_TEXT}
NON_BLANK = {"pattern": NON_BLANK_TEXT}


class InstalmentsSerializer(InputSerializer):
    """A plan: `count` instalments splitting `total`, or one instalment per item of `amounts`."""

    schema_rules = [
        {
            "anyOf": [
                {"required": ["count", "total"], "properties": _absent("amounts")},
                {"required": ["amounts"], "properties": _absent("count", "total")},
            ]
        }
    ]

    count = serializers.IntegerField(
        min_value=MIN_INSTALMENTS,
        max_value=MAX_INSTALMENTS,
        required=False,
        help_text=gettext_lazy("With `total`; with `amounts` it is their number."),
    )
    first_date = IsoDateField(
        validators=[from_today(10, too_early=gettext_lazy("The first instalment is in the past for the debtor."))]
    )
    frequency = serializers.ChoiceField(choices=INSTALMENT_FREQUENCIES)
    total = MoneyField(
        required=False,
        schema_pattern=patterns.AMOUNT_FOR_ANY_PLAN,
        help_text=gettext_lazy("Split evenly; the last instalment takes the cents. At least 0.01 per instalment."),
    )
    amounts = serializers.ListField(
        child=MoneyField(), required=False, min_length=MIN_INSTALMENTS, max_length=MAX_INSTALMENTS
    )

    def validate(self, attrs):
        if "amounts" in attrs:
            count = attrs.setdefault("count", len(attrs["amounts"]))
            if count != len(attrs["amounts"]):
                raise serializers.ValidationError(
                    {"amounts": [_("Give one amount for each of the %(count)s instalments.") % {"count": count}]}
                )
        elif "count" not in attrs:
            raise serializers.ValidationError({"count": [_("How many instalments split the total?")]})
        return attrs


# A sent message is logged by the outbox, never by hand.
LOGGABLE_OUTCOMES = [(value, label) for value, label in Call.Outcome.choices if value != Call.Outcome.MESSAGE_SENT]
REACHED = (Call.Outcome.RIGHT_PARTY, Call.Outcome.THIRD_PARTY)
NOT_REACHED = [value for value, _label in LOGGABLE_OUTCOMES if value not in REACHED]
DETAILS = ["promise_amount", "promise_date", "instalments", "callback_at", "follow_up_on"]


def _blank_choices(choices):
    return [(value, label) for value, label in choices if value]


def _commitment(value, *, needs=(), given=None) -> dict:
    """A commitment with the details it needs; every other commitment's details left out."""
    return {
        "required": ["commitment", *needs],
        "properties": {
            **_absent(*[name for name in DETAILS if name not in needs]),
            "no_commitment_reason": BLANK,
            **(given or {}),
            "commitment": one_of([value] if isinstance(value, str) else value),
        },
    }


NO_COMMITMENT_BECAUSE = [
    # "none" with its reason, or the reason alone (which means "none").
    {
        "required": ["commitment", "no_commitment_reason"],
        "properties": {**_absent(*DETAILS), "commitment": one_of(["none"]), "no_commitment_reason": NON_BLANK},
    },
    {
        "required": ["no_commitment_reason"],
        "properties": {**_absent("commitment", *DETAILS), "no_commitment_reason": NON_BLANK},
    },
]
CALLBACK = _commitment(Call.Commitment.CALLBACK, needs=["callback_at"])


def _call_rules() -> list[dict]:
    """`call_log`'s rules (calls.services._call_log_errors) as JSON Schema, outcome by outcome."""
    stances = [{"properties": _absent("stance", "stance_reason")}] + [
        {
            "required": ["stance", "stance_reason"],
            "properties": {"stance": one_of([stance]), "stance_reason": one_of(sorted(reasons))},
        }
        for stance, reasons in Call.REASONS_BY_STANCE.items()
    ]
    right_party_commitments = [
        _commitment(Call.Commitment.PROMISE, needs=["promise_amount", "promise_date"]),
        _commitment(Call.Commitment.INSTALMENTS, needs=["instalments"]),
        CALLBACK,
        _commitment(
            [Call.Commitment.SEND_DOCUMENTS, Call.Commitment.RECEIVE_DOCUMENTS, Call.Commitment.CONSULT],
            needs=["follow_up_on"],
        ),
        _commitment(Call.Commitment.OTHER, needs=["notes", "follow_up_on"], given={"notes": NON_BLANK}),
        *NO_COMMITMENT_BECAUSE,
    ]
    return [
        {
            "anyOf": [
                {
                    "properties": {
                        "outcome": one_of(NOT_REACHED),
                        **_absent("stance", "stance_reason", "commitment", *DETAILS),
                        "no_commitment_reason": BLANK,
                    }
                },
                {
                    "properties": {"outcome": one_of([Call.Outcome.THIRD_PARTY]), **_absent("stance", "stance_reason")},
                    "anyOf": [
                        {"properties": {**_absent("commitment", *DETAILS), "no_commitment_reason": BLANK}},
                        CALLBACK,
                        *NO_COMMITMENT_BECAUSE,
                    ],
                },
                {
                    "properties": {"outcome": one_of([Call.Outcome.RIGHT_PARTY])},
                    "allOf": [{"anyOf": stances}, {"anyOf": right_party_commitments}],
                },
            ]
        }
    ]


class CallInputSerializer(InputSerializer):
    """A call as the desk logs it. Which fields go with which outcome and commitment is in the
    schema (`allOf`): nobody reached, no stance nor commitment; a third party, a callback or no
    commitment; the debtor, a commitment (or the reason there was none) with its own details."""

    schema_rules = _call_rules()

    debtor = IdField()
    phone = IdField(help_text=gettext_lazy("The number called (one of the debtor's phones)."))
    debt = IdField(required=False, help_text=gettext_lazy("The debt the call was about; empty means all of them."))
    outcome = serializers.ChoiceField(choices=LOGGABLE_OUTCOMES)
    started_at = AwareDateTimeField(required=False, validators=[within_years(1)])
    duration_seconds = serializers.IntegerField(required=False, min_value=0, max_value=24 * 3600)
    stance = serializers.ChoiceField(choices=_blank_choices(Call.Stance.choices), required=False)
    stance_reason = serializers.ChoiceField(choices=_blank_choices(Call.StanceReason.choices), required=False)
    commitment = serializers.ChoiceField(choices=_blank_choices(Call.Commitment.choices), required=False)
    promise_amount = MoneyField(required=False)
    promise_date = IsoDateField(
        required=False,
        validators=[from_today(10, too_early=gettext_lazy("The promised date is in the past for the debtor."))],
    )
    instalments = InstalmentsSerializer(required=False)
    callback_at = AwareDateTimeField(
        required=False,
        validators=[within_years(2, schema_earliest=1)],
        help_text=gettext_lazy(
            "A moment still to come; the schema lists the days from tomorrow, and any later moment today is taken too."
        ),
    )
    follow_up_on = IsoDateField(
        required=False,
        validators=[from_today(2, too_early=gettext_lazy("The day to call again is in the past for the debtor."))],
        help_text=gettext_lazy(
            "For documents sent or received, a consultation or another commitment: the day to call the debtor "
            "again (their calendar); the follow-up falls at the first lawful moment of that day."
        ),
    )
    no_commitment_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    override_reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "A supervisor's written reason to log a call the contact policy blocks; from a collector it is refused (403)."
        ),
    )


class CallSerializer(ReadModelSerializer):
    duration_seconds = serializers.SerializerMethodField()

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
            "created_at",
        ]
        read_only_fields = fields

    def get_duration_seconds(self, call) -> int | None:
        return int(call.duration.total_seconds()) if call.duration is not None else None


class CallLoggedSerializer(CallSerializer):
    promise = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("The promise made on the call."))
    arrangement = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("The instalment plan made on the call.")
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


class CallListCreateApi(ListApiView):
    queryset = Call.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = CallSerializer
    filterset_class = CallFilter
    ordering_fields = ["started_at", "created_at"]

    def get_queryset(self):
        user = self.request.user
        return Call.objects.filter(debtor_scope(user, via="debtor")).order_by(
            *scope_ordering(user, "-started_at", "-pk")
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
            409: BlockedSerializer,
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
        next lawful moment; a supervisor may log it anyway with `override_reason`.
        """
        data = CallInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        debtor = debtor_get_for_action(request.user, values["debtor"])
        phone = get_object_or_404(Phone, pk=values["phone"], debtor=debtor)
        debt = get_object_or_404(Debt, pk=values["debt"], debtor=debtor) if "debt" in values else None
        override_reason = values.get("override_reason", "").strip()
        instalments = dict(values["instalments"]) if "instalments" in values else None
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
                callback_at=values.get("callback_at"),
                follow_up_on=values.get("follow_up_on"),
                notes=values.get("notes", ""),
                override_by=request.user if override_reason else None,
                override_reason=override_reason,
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


# --- Follow-ups --------------------------------------------------------------------------------


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

        The new moment must be in the future and lawful for a call to the debtor; otherwise
        400, with the contact policy's reasons and the first lawful moment after it.
        """
        follow_up = _follow_up_in_scope(request, follow_up_id)
        data = FollowUpMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if not follow_up_move(follow_up=follow_up, by=request.user, due_at=values["due_at"], note=values["note"]):
            return _not_open()
        return Response(FollowUpSerializer(follow_up).data)
