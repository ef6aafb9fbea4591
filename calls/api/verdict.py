"""Contact verdict: may the debtor be contacted on this channel now (or at a moment)?"""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from calls.api.common import ERRORS
from calls.models import Channel
from calls.policy import check_contact
from collections_crm.api.fields import AwareDateTimeField, IdField, within_years
from collections_crm.api.views import ApiView, query_data
from debtors.models import Phone
from debtors.selectors import debtor_get_for_action


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
