"""Strategies, their segments and the champion/challenger tests, read by supervisors and
admins (403 for collectors): /api/v1/strategies/, /api/v1/strategy-tests/ and one test with
its results."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import MoneyField
from collections_crm.api.serializers import ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView
from promises.models import Strategy
from scoring.experiments import strategy_test_results, tests_for_supervisors
from scoring.models import Segment, StrategyTest


def _supervisors_only(user) -> None:
    if not (user.is_supervisor or user.is_crm_admin):
        raise PermissionDenied


class SegmentSerializer(ReadModelSerializer):
    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "position",
            "score_from_percent",
            "score_below_percent",
            "days_past_due_from",
            "days_past_due_below",
            "balance_from",
            "balance_below",
            "saved_filter",
        ]
        read_only_fields = fields


class StrategySerializer(ReadModelSerializer):
    contact_cost = MoneyField(read_only=True)
    segments = SegmentSerializer(many=True, read_only=True, help_text=_("The segments this strategy treats."))

    class Meta:
        model = Strategy
        fields = [
            "id",
            "portfolio",
            "name",
            "first_channel",
            "call_after_message_hours",
            "retry_after_minutes",
            "reminder_days_before",
            "due_reminder_days_before",
            "due_reminder_on_the_day",
            "due_reminder_days_after",
            "first_offer",
            "max_discount_percent",
            "max_instalments",
            "queue_weight",
            "contact_cost",
            "segments",
        ]
        read_only_fields = fields


class StrategyListApi(ListApiView):
    """Every portfolio's strategies with the segments each treats. Supervisors and admins."""

    serializer_class = StrategySerializer
    readers_refused = True  # collectors: 403, documented in the schema

    def get(self, request, *args, **kwargs):
        _supervisors_only(request.user)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Strategy.objects.prefetch_related("segments").order_by("portfolio_id", "name", "pk")


class StrategyTestSerializer(ReadModelSerializer):
    portfolio = serializers.IntegerField(source="segment.portfolio_id", read_only=True)
    debtors = serializers.IntegerField(read_only=True, help_text=_("Debtors assigned to either arm so far."))

    class Meta:
        model = StrategyTest
        fields = [
            "id",
            "name",
            "portfolio",
            "segment",
            "champion",
            "challenger",
            "challenger_percent",
            "status",
            "started_at",
            "ended_at",
            "debtors",
        ]
        read_only_fields = fields


class StrategyTestListApi(ListApiView):
    """Champion/challenger tests, the latest first. Supervisors and admins."""

    serializer_class = StrategyTestSerializer
    readers_refused = True

    def get(self, request, *args, **kwargs):
        _supervisors_only(request.user)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return tests_for_supervisors().order_by("-started_at", "-pk")


class ArmSerializer(serializers.Serializer):
    arm = serializers.CharField()
    strategy = serializers.IntegerField(source="strategy.pk")
    debtors = serializers.IntegerField()
    contacts = serializers.IntegerField(help_text=_("Conversations with the debtor since the test began."))
    promises = serializers.IntegerField()
    promises_resolved = serializers.IntegerField()
    promises_kept = serializers.IntegerField()
    kept_rate = serializers.FloatField(allow_null=True)
    collected = MoneyField()
    collected_per_debtor = MoneyField(source="per_debtor", allow_null=True)
    collected_per_contact = MoneyField(source="per_contact", allow_null=True)


class DifferenceSerializer(serializers.Serializer):
    estimate = serializers.FloatField(help_text=_("Challenger minus champion."))
    low = serializers.FloatField(
        help_text=_("Lower end of the interval that holds the true difference 95 times in 100.")
    )
    high = serializers.FloatField(
        help_text=_("Upper end of the interval that holds the true difference 95 times in 100.")
    )


class StrategyTestResultsSerializer(serializers.Serializer):
    test = StrategyTestSerializer()
    champion = ArmSerializer()
    challenger = ArmSerializer()
    per_debtor_difference = DifferenceSerializer(allow_null=True)
    kept_rate_difference = DifferenceSerializer(allow_null=True)


class StrategyTestDetailApi(ApiView):
    readers_refused = True

    @extend_schema(responses={200: StrategyTestResultsSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def get(self, request, test_id: int):
        """One test with what each arm did and the differences with their 95 % intervals."""
        _supervisors_only(request.user)
        test = get_object_or_404(tests_for_supervisors(), pk=test_id)
        return Response(StrategyTestResultsSerializer(strategy_test_results(test)).data)
