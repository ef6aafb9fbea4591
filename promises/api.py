"""API for promises and payment feeds: the same services and scope as the pages.

Payments: one per (debtor, source, reference), so a feed may resend a file safely; each new
payment reconciles the debtor's promises at once.
"""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import AwareDateTimeField, IdField, IsoDateField, MoneyField, from_today, within_years
from collections_crm.api.filters import ApiFilterSet, DateFilter, IdFilter
from collections_crm.api.serializers import InputSerializer, ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView
from collections_crm.permissions import can_record_payments, debtor_scope, scope_ordering
from debtors.models import MONEY, Debt
from debtors.selectors import debtor_get_for_action
from promises.models import ApprovalStatus, Payment, PaymentAllocation, Promise
from promises.services import payment_record, promise_cancel, promise_propose

ERRORS = {400: ErrorSerializer, 404: ErrorSerializer}


# --- Promises ------------------------------------------------------------------------------------


class PromiseSerializer(ReadModelSerializer):
    amount = MoneyField(read_only=True)
    paid = MoneyField(read_only=True, help_text=gettext_lazy("Payments allocated to this promise so far."))
    awaiting_approval = serializers.SerializerMethodField()

    class Meta:
        model = Promise
        fields = [
            "id",
            "debtor",
            "debt",
            "collector",
            "call",
            "arrangement",
            "instalment_number",
            "replaces",
            "amount",
            "paid",
            "currency",
            "due_date",
            "grace_days",
            "lapses_at",
            "status",
            "awaiting_approval",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields

    def get_awaiting_approval(self, promise) -> bool:
        arrangement = promise.arrangement
        return arrangement is not None and arrangement.approval_status == ApprovalStatus.PENDING


class PromiseInputSerializer(InputSerializer):
    debtor = IdField()
    debt = IdField(required=False)
    amount = MoneyField(min_value=Decimal("0.01"))
    due_date = IsoDateField(
        validators=[from_today(10, too_early=gettext_lazy("The promised date is in the past for the debtor."))],
        help_text=gettext_lazy("From the debtor's today, in their zone; the schema lists the days from today in UTC."),
    )


class PromiseFilter(ApiFilterSet):
    debtor = IdFilter(field_name="debtor_id")
    collector = IdFilter(field_name="collector_id")
    arrangement = IdFilter(field_name="arrangement_id")
    due_after = DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Promise
        fields = ["debtor", "collector", "arrangement", "status", "due_after", "due_before"]


def promises_for_user(user):
    # A subquery per row listed, not a join grouped over every promise in scope before the
    # sort (3 s for an admin's page at 500,000 promises).
    paid = Subquery(
        PaymentAllocation.objects.filter(promise=OuterRef("pk"))
        .order_by()
        .values("promise")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=DecimalField(**MONEY),
    )
    return (
        Promise.objects.filter(debtor_scope(user, via="debtor"))
        .select_related("arrangement")
        .annotate(paid=Coalesce(paid, Value(Decimal("0"), output_field=DecimalField(**MONEY))))
    )


class PromiseListCreateApi(ListApiView):
    queryset = Promise.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = PromiseSerializer
    filterset_class = PromiseFilter
    ordering_fields = ["due_date", "amount", "created_at", "lapses_at"]
    index_ordering = ("due_date", "pk")  # promise_due_date_idx; see ApiPagination

    def get_queryset(self):
        return promises_for_user(self.request.user).order_by(*scope_ordering(self.request.user, *self.index_ordering))

    @extend_schema(tags=["promises"], summary="List promises")
    def get(self, request, *args, **kwargs):
        """Promises of the debtors you may reach, with what has been paid on each."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["promises"],
        summary="Make a promise",
        request=PromiseInputSerializer,
        responses={201: PromiseSerializer, **ERRORS},
    )
    def post(self, request):
        """A promise to pay an amount by a date, outside a call; beyond your limits it awaits approval."""
        data = PromiseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        debtor = debtor_get_for_action(request.user, values["debtor"])
        debt = get_object_or_404(Debt, pk=values["debt"], debtor=debtor) if "debt" in values else None
        promise = promise_propose(
            debtor=debtor,
            collector=request.user,
            amount=values["amount"],
            due_date=values["due_date"],
            debt=debt,
            created_by=request.user,
        )
        return Response(
            PromiseSerializer(promises_for_user(request.user).get(pk=promise.pk)).data, status=status.HTTP_201_CREATED
        )


class PromiseCancelSerializer(InputSerializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PromiseCancelApi(ApiView):
    @extend_schema(
        tags=["promises"],
        summary="Cancel a promise",
        request=PromiseCancelSerializer,
        responses={200: PromiseSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request, promise_id: int):
        """Cancel a pending promise (withdrawn or renegotiated); its history stays. 409 when not pending."""
        promise = get_object_or_404(promises_for_user(request.user), pk=promise_id)
        data = PromiseCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not promise_cancel(promise=promise, by=request.user, note=data.validated_data.get("note", "")):
            return Response(
                {"detail": _("Only a pending promise can be cancelled."), "code": "not_pending"},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(PromiseSerializer(promises_for_user(request.user).get(pk=promise.pk)).data)


# --- Payments ----------------------------------------------------------------------------------


class PaymentInputSerializer(InputSerializer):
    debtor = IdField()
    debt = IdField(required=False)
    amount = MoneyField(min_value=Decimal("0.01"))
    paid_at = AwareDateTimeField(
        validators=[within_years(20, schema_latest=0)],
        help_text=gettext_lazy("A moment already past; the schema lists the days up to today."),
    )
    reference = serializers.CharField(
        max_length=100, help_text=gettext_lazy("The bank's or receipt's number; unique per source.")
    )


class PaymentOutputSerializer(ReadModelSerializer):
    amount = MoneyField(read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "debtor", "debt", "amount", "currency", "paid_at", "reference", "source", "credited_to"]
        read_only_fields = fields


class PaymentRecordedSerializer(PaymentOutputSerializer):
    kept_promises = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Promises this payment kept.")
    )

    class Meta(PaymentOutputSerializer.Meta):
        fields = [*PaymentOutputSerializer.Meta.fields, "kept_promises"]
        read_only_fields = fields


class PaymentCreateApi(ApiView):
    @extend_schema(
        tags=["payments"],
        summary="Record a payment",
        request=PaymentInputSerializer,
        responses={201: PaymentRecordedSerializer, 200: PaymentRecordedSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request):
        """201 when new; 200 with the first record when the debtor already has the reference (safe to resend).

        409 `reference_taken` when another debtor you may reach holds it; references held only
        by debtors outside your scope are not taken into account. Supervisors and admins record
        payments; for collectors the endpoint answers 404.
        """
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        debtor = debtor_get_for_action(request.user, values["debtor"])
        if not can_record_payments(request.user):
            raise Http404
        debt = get_object_or_404(Debt, pk=values["debt"], debtor=debtor) if "debt" in values else None
        result = payment_record(
            debtor=debtor,
            debt=debt,
            amount=values["amount"],
            paid_at=values["paid_at"],
            reference=values["reference"],
            source=Payment.Source.API,
            recorded_by=request.user,
        )
        if result.reference_taken:
            # Another debtor's payment, one this user may see (payment_record ignores those
            # outside their scope): say so without showing it.
            return Response(
                {"detail": _("This reference is already recorded for another debtor."), "code": "reference_taken"},
                status=status.HTTP_409_CONFLICT,
            )
        payment = Payment.objects.get(pk=result.payment.pk)  # debt and collector may be set by reconciliation
        body = PaymentOutputSerializer(payment).data
        body["kept_promises"] = result.kept_promise_ids
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
