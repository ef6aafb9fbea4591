"""API for payment feeds: one payment per (source, reference); reconciles promises at once."""

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from collections_crm.permissions import can_record_payments
from debtors.models import Debt
from debtors.selectors import debtor_get_for_user
from promises.models import Payment
from promises.services import payment_record


class PaymentInputSerializer(serializers.Serializer):
    debtor = serializers.IntegerField()
    debt = serializers.IntegerField(required=False)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    paid_at = serializers.DateTimeField()
    reference = serializers.CharField(max_length=100)


class PaymentOutputSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)

    class Meta:
        model = Payment
        fields = ["id", "debtor", "debt", "amount", "currency", "paid_at", "reference", "source", "credited_to"]


class PaymentCreateApi(APIView):
    """POST /api/v1/payments/ — 201 when new, 200 with the first record when the reference is known."""

    def post(self, request):
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        debtor = debtor_get_for_user(request.user, values["debtor"])
        if not can_record_payments(request.user):
            raise Http404
        debt = get_object_or_404(Debt, pk=values["debt"], debtor=debtor) if "debt" in values else None
        try:
            result = payment_record(
                debtor=debtor,
                debt=debt,
                amount=values["amount"],
                paid_at=values["paid_at"],
                reference=values["reference"],
                source=Payment.Source.API,
                recorded_by=request.user,
            )
        except DjangoValidationError as error:
            return Response(getattr(error, "message_dict", {"detail": error.messages}), status=status.HTTP_400_BAD_REQUEST)
        body = PaymentOutputSerializer(result.payment).data
        body["kept_promises"] = result.kept_promise_ids
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
