"""API for dialers: ask the contact policy, log an attempt. Same services and scope as the pages."""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from calls.models import Call, Channel
from calls.policy import check_contact
from calls.services import ContactBlocked, call_attempt_record
from debtors.models import Phone
from debtors.selectors import debtor_get_for_user


class VerdictQuerySerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.VOICE)
    phone = serializers.IntegerField(required=False)
    at = serializers.DateTimeField(required=False)


class ContactVerdictApi(APIView):
    """GET /api/v1/debtors/{id}/contact-verdict/?channel=voice[&phone=ID][&at=ISO-8601]"""

    def get(self, request, debtor_id: int):
        debtor = debtor_get_for_user(request.user, debtor_id)
        query = VerdictQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        phone = None
        if "phone" in query.validated_data:
            phone = get_object_or_404(Phone, pk=query.validated_data["phone"], debtor=debtor)
        at = query.validated_data.get("at") or timezone.now()
        verdict = check_contact(debtor, query.validated_data["channel"], at, phone=phone)
        return Response(verdict.as_dict())


class CallInputSerializer(serializers.Serializer):
    debtor = serializers.IntegerField()
    phone = serializers.IntegerField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.VOICE)
    direction = serializers.ChoiceField(choices=Call.Direction.choices, default=Call.Direction.OUTBOUND)
    outcome = serializers.ChoiceField(choices=[c for c in Call.Outcome.choices if c[0] != Call.Outcome.MESSAGE_SENT])
    started_at = serializers.DateTimeField(required=False)
    duration_seconds = serializers.IntegerField(required=False, min_value=0)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class CallOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Call
        fields = [
            "id", "debtor", "phone", "collector", "channel", "direction", "started_at", "outcome",
            "local_time", "local_time_zone", "policy_code", "policy_version", "policy_decision", "override_reason",
        ]


class CallCreateApi(APIView):
    """POST /api/v1/calls/ — log an attempt; 409 with the reasons when the policy blocks it."""

    def post(self, request):
        data = CallInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        debtor = debtor_get_for_user(request.user, values["debtor"])
        phone = get_object_or_404(Phone, pk=values["phone"], debtor=debtor) if "phone" in values else None
        started_at = values.get("started_at") or timezone.now()
        override_reason = values["override_reason"].strip()
        try:
            call = call_attempt_record(
                debtor=debtor,
                collector=request.user,
                channel=values["channel"],
                direction=values["direction"],
                outcome=values["outcome"],
                started_at=started_at,
                phone=phone,
                duration=timedelta(seconds=values["duration_seconds"]) if "duration_seconds" in values else None,
                notes=values["notes"],
                override_by=request.user if override_reason else None,
                override_reason=override_reason,
            )
        except ContactBlocked as blocked:
            body = blocked.verdict.as_dict()
            body["detail"] = " ".join(reason["message"] for reason in body["reasons"])
            return Response(body, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:
            return Response({"detail": error.messages}, status=status.HTTP_400_BAD_REQUEST)
        return Response(CallOutputSerializer(call).data, status=status.HTTP_201_CREATED)
