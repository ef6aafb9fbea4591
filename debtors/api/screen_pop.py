"""Screen pop through the API: /api/v1/screen-pop/?phone=… (a dialer or a softphone asks who
is on the line), the debtors in the caller's scope who hold the number."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.serializers import ReadModelSerializer
from collections_crm.api.views import ApiView, query_data
from debtors.models import Debtor
from debtors.selectors import debtors_holding_number, numbers_for_lookup


class ScreenPopQuerySerializer(serializers.Serializer):
    phone = serializers.CharField(
        max_length=40, help_text=_("The caller's number: E.164 (+51987654321), 0051…, or national digits.")
    )


class PoppedDebtorSerializer(ReadModelSerializer):
    class Meta:
        model = Debtor
        fields = ["id", "full_name", "external_id", "portfolio", "assigned_to"]
        read_only_fields = fields


class ScreenPopSerializer(serializers.Serializer):
    numbers = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("The E.164 numbers looked up; none when the number could not be read (send it as +51987654321)."),
    )
    debtors = PoppedDebtorSerializer(many=True)


class ScreenPopApi(ApiView):
    @extend_schema(
        tags=["debtors"],
        summary="Who holds this number",
        parameters=[ScreenPopQuerySerializer],
        responses={200: ScreenPopSerializer, 400: ErrorSerializer},  # 400: no phone, or one too long
    )
    def get(self, request):
        """The debtors you may reach who hold the number, by name (at most 50)."""
        query = ScreenPopQuerySerializer(data=query_data(request))
        query.is_valid(raise_exception=True)
        numbers = numbers_for_lookup(query.validated_data["phone"])
        debtors = debtors_holding_number(request.user, numbers) if numbers else []
        return Response(ScreenPopSerializer({"numbers": numbers, "debtors": debtors}).data)
