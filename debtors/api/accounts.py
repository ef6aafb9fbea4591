"""API for debtors, their phones and debts: the same scope and services as the pages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from collections_crm.api.exceptions import ErrorSerializer
from collections_crm.api.fields import MAX_ID, MoneyField
from collections_crm.api.filters import ApiFilterSet, BooleanFilter, DateFilter, IdFilter
from collections_crm.api.schema import NON_BLANK_TEXT, one_of
from collections_crm.api.serializers import InputSerializer, ReadModelSerializer
from collections_crm.api.views import ApiView, ListApiView, query_data
from collections_crm.lib.timezones import debtor_local_today
from collections_crm.permissions import debtor_scope, scope_ordering
from debtors import services
from debtors.filters import DebtorFilter, debtors_matching
from debtors.models import HOLD_FIELDS, Debt, Debtor, Phone, SavedFilter
from debtors.selectors import (
    days_past_due,
    debtor_get_for_action,
    debtor_get_for_user,
    debtor_list_for_user,
    with_account_figures,
    with_payment_score,
)

ERRORS = {400: ErrorSerializer, 404: ErrorSerializer}


# --- Serializers -------------------------------------------------------------------------------


class PhoneSerializer(ReadModelSerializer):
    number = serializers.CharField(read_only=True, help_text=_("E.164, e.g. +51987654321."))

    class Meta:
        model = Phone
        fields = [
            "id",
            "number",
            "kind",
            "relationship",
            "contact_name",
            "status",
            "sms_consent",
            "sms_consent_source",
            "sms_consent_at",
            "whatsapp_consent",
            "whatsapp_consent_source",
            "whatsapp_consent_at",
        ]
        read_only_fields = fields


def _consent_needs_source(channel: str) -> dict:
    """`<channel>_consent: true` comes with a non-blank `<channel>_consent_source`."""
    return {
        "anyOf": [
            {"not": {"required": [f"{channel}_consent"], "properties": {f"{channel}_consent": one_of([True])}}},
            {
                "required": [f"{channel}_consent_source"],
                "properties": {f"{channel}_consent_source": {"pattern": NON_BLANK_TEXT}},
            },
        ]
    }


class PhoneWriteSerializer(InputSerializer):
    """A consent is given with its source (a regulator asks for both), every time it is sent."""

    schema_rules = [_consent_needs_source("sms"), _consent_needs_source("whatsapp")]

    kind = serializers.ChoiceField(choices=Phone.Kind.choices, required=False)
    relationship = serializers.ChoiceField(choices=Phone.Relationship.choices, required=False)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Phone.Status.choices, required=False)
    sms_consent = serializers.BooleanField(required=False)
    sms_consent_source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    whatsapp_consent = serializers.BooleanField(required=False)
    whatsapp_consent_source = serializers.CharField(max_length=100, required=False, allow_blank=True)
    consent_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text=_("Why a consent is given or withdrawn, kept in the number's consent history."),
    )

    def validate(self, attrs):
        missing = {
            f"{channel}_consent_source": _("Say where the consent comes from (a call, a signed form…).")
            for channel in ("sms", "whatsapp")
            if attrs.get(f"{channel}_consent") is True and not attrs.get(f"{channel}_consent_source", "").strip()
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


@extend_schema_field({"type": "string", "format": "phone", "minLength": 1, "maxLength": 40})
class PhoneNumberField(serializers.CharField):
    """A number as people write it. No pattern can say which numbers exist in which country
    (libphonenumber knows): the schema names the format, "phone", and its description the rule."""


class PhoneCreateSerializer(PhoneWriteSerializer):
    number = PhoneNumberField(
        max_length=40,
        help_text=_(
            "As people write it, read in the portfolio's country; a number that cannot exist there is refused. "
            "E.164 (+51987654321) is always understood."
        ),
    )


class DebtSerializer(ReadModelSerializer):
    original_amount = MoneyField(read_only=True)
    balance = MoneyField(read_only=True)
    days_past_due = serializers.SerializerMethodField()
    aging_bucket = serializers.SerializerMethodField()

    class Meta:
        model = Debt
        fields = [
            "id",
            "debtor",
            "account_reference",
            "product",
            "original_amount",
            "balance",
            "currency",
            "due_date",
            "days_past_due",
            "aging_bucket",
            "recalled_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _today(self, debt):
        return debtor_local_today(debt.debtor)

    def get_days_past_due(self, debt) -> int:
        return debt.days_past_due(self._today(debt))

    def get_aging_bucket(self, debt) -> str:
        return debt.aging_bucket(self._today(debt))


class ScoreReasonSerializer(serializers.Serializer):
    feature = serializers.CharField(help_text=_("The feature, e.g. days_since_payment."))
    value = serializers.FloatField(help_text=_("The debtor's value of it when scored."))
    effect = serializers.FloatField(help_text=_("Its push on the score, in log-odds: positive raises it."))


class DebtorSerializer(ReadModelSerializer):
    portfolio_name = serializers.CharField(source="portfolio.name", read_only=True)
    creditor = serializers.CharField(source="portfolio.creditor.name", read_only=True)
    currency = serializers.CharField(source="portfolio.currency", read_only=True)
    total_balance = MoneyField(read_only=True, help_text=_("Open balance of the debtor's debts, in `currency`."))
    oldest_unpaid_due = serializers.DateField(read_only=True, allow_null=True)
    days_past_due = serializers.SerializerMethodField()
    promises_kept = serializers.IntegerField(read_only=True)
    promises_broken = serializers.IntegerField(read_only=True)
    phones = PhoneSerializer(many=True, read_only=True)
    score = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text=_("Probability (0 to 1) that the debtor pays something within 30 days; null before any scoring."),
    )
    score_model = serializers.CharField(
        source="payment_score.model_version", read_only=True, allow_null=True, help_text=_("What computed the score.")
    )
    score_reasons = ScoreReasonSerializer(
        source="payment_score.reasons",
        many=True,
        read_only=True,
        allow_null=True,
        help_text=_("The three features that moved the score most."),
    )
    scored_at = serializers.DateTimeField(source="payment_score.scored_at", read_only=True, allow_null=True)
    segment = serializers.IntegerField(
        source="payment_score.segment_id",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the segment the latest scoring put the debtor in; null in none."),
    )
    segment_name = serializers.CharField(source="payment_score.segment_name", read_only=True, allow_null=True)
    strategy = serializers.IntegerField(
        source="payment_score.strategy_id",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the strategy treating the debtor (see /api/v1/strategies/); null: the portfolio's rules."),
    )
    strategy_name = serializers.CharField(source="payment_score.strategy_name", read_only=True, allow_null=True)
    strategy_test = serializers.IntegerField(
        source="payment_score.test_id",
        read_only=True,
        allow_null=True,
        help_text=_("Id of the champion/challenger test the debtor is in, if any."),
    )
    test_arm = serializers.CharField(
        source="payment_score.test_arm",
        read_only=True,
        allow_null=True,
        help_text=_("'champion' or 'challenger' in that test; empty outside one."),
    )

    class Meta:
        model = Debtor
        fields = [
            "id",
            "external_id",
            "national_id",
            "full_name",
            "email",
            "language",
            "time_zone",
            "portfolio",
            "portfolio_name",
            "creditor",
            "assigned_to",
            *HOLD_FIELDS,
            "total_balance",
            "currency",
            "oldest_unpaid_due",
            "days_past_due",
            "promises_kept",
            "promises_broken",
            "score",
            "score_model",
            "score_reasons",
            "scored_at",
            "segment",
            "segment_name",
            "strategy",
            "strategy_name",
            "strategy_test",
            "test_arm",
            "phones",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_days_past_due(self, debtor) -> int:
        return days_past_due(debtor.oldest_unpaid_due, debtor_local_today(debtor))


class DebtorDetailSerializer(DebtorSerializer):
    debts = DebtSerializer(many=True, read_only=True)

    class Meta(DebtorSerializer.Meta):
        fields = [*DebtorSerializer.Meta.fields, "debts"]
        read_only_fields = fields


# Holds to set (true) or lift (false); holds not sent stay as they are. The reason goes to the
# hold history with each change.
HoldsSerializer = type(
    "DebtorHoldsSerializer",
    (InputSerializer,),
    {
        **{name: serializers.BooleanField(required=False) for name in HOLD_FIELDS},
        "reason": serializers.CharField(
            max_length=500,
            required=False,
            allow_blank=True,
            help_text=_("Why the holds change (the debtor's letter, a court notice…), kept in the hold history."),
        ),
    },
)


# --- Debtors -------------------------------------------------------------------------------------


def _phones_prefetch():
    return Prefetch("phones", queryset=Phone.objects.order_by("pk"))


class DebtorSearchSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("Name (part of it), customer code, national id or phone (E.164)."),
    )
    saved_filter = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text=_(
            "Only the debtors who meet a saved filter's conditions (/api/v1/saved-filters/), with the others given."
        ),
    )


@extend_schema(tags=["debtors"], parameters=[DebtorSearchSerializer])
class DebtorListApi(ListApiView):
    queryset = Debtor.objects.none()  # for the schema; get_queryset scopes every request
    """The debtors you may reach, with balance, days past due, promise record and phones."""

    serializer_class = DebtorSerializer
    filterset_class = DebtorFilter
    ordering_fields = ["full_name", "total_balance", "oldest_unpaid_due", "created_at", "external_id", "score"]
    ordering_nulls_last = ["score"]  # debtors not scored yet come after the scored ones
    # The figures each debtor carries. The promise record is the promises app's, a layer
    # above: collections_crm/api_urls.py passes its annotation (as_view(with_figures=…)).
    with_figures = staticmethod(with_account_figures)

    def get_queryset(self):
        query = DebtorSearchSerializer(data=query_data(self.request))
        query.is_valid(raise_exception=True)
        search = query.validated_data.get("search", "")
        debtors = debtor_list_for_user(self.request.user, search=search, with_figures=self.with_figures)
        if "saved_filter" in query.validated_data:
            saved_filter = SavedFilter.objects.filter(pk=query.validated_data["saved_filter"]).first()
            if saved_filter is None:
                raise NotFound(_("There is no saved filter with this id: see /api/v1/saved-filters/."))
            debtors = debtors_matching(debtors, saved_filter.query)
        return with_payment_score(debtors).prefetch_related(_phones_prefetch())


class DebtorDetailApi(ApiView):
    with_figures = staticmethod(with_account_figures)  # as DebtorListApi's

    def _render(self, request, debtor_id: int):
        debtor = debtor_get_for_user(
            request.user, debtor_id, with_figures=lambda queryset: with_payment_score(self.with_figures(queryset))
        )
        # Phones and debts in one query each (the header figures came with the debtor).
        prefetch_related_objects(
            [debtor],
            _phones_prefetch(),
            Prefetch("debts", queryset=Debt.objects.select_related("debtor").order_by("due_date", "pk")),
        )
        return DebtorDetailSerializer(debtor).data

    @extend_schema(tags=["debtors"], responses={200: DebtorDetailSerializer, 404: ErrorSerializer})
    def get(self, request, debtor_id: int):
        """One debtor with phones and debts."""
        return Response(self._render(request, debtor_id))

    @extend_schema(tags=["debtors"], request=HoldsSerializer, responses={200: DebtorDetailSerializer, **ERRORS})
    def patch(self, request, debtor_id: int):
        """Set or lift holds; the contact policy applies them at once."""
        debtor = debtor_get_for_action(request.user, debtor_id)
        data = HoldsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        holds = dict(data.validated_data)
        reason = holds.pop("reason", "")
        services.debtor_holds_update(debtor=debtor, by=request.user, holds=holds, reason=reason)
        return Response(self._render(request, debtor_id))


class PhoneCreateApi(ApiView):
    @extend_schema(
        tags=["debtors"],
        request=PhoneCreateSerializer,
        responses={
            201: PhoneSerializer,
            409: OpenApiResponse(ErrorSerializer, description=_("The debtor already has this number.")),
            **ERRORS,
        },
    )
    def post(self, request, debtor_id: int):
        """Add a number to a debtor (E.164 after reading it in the portfolio's country); 409 when the debtor has it."""
        debtor = debtor_get_for_action(request.user, debtor_id)
        data = PhoneCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            phone = services.phone_add(debtor=debtor, by=request.user, **data.validated_data)
        except DjangoValidationError as error:
            taken = [e for e in getattr(error, "error_dict", {}).get("number", []) if e.code == "phone_exists"]
            if not taken:
                raise
            # Not bad input: the number is fine, the debtor already has it.
            return Response({"detail": taken[0].messages[0], "code": "phone_exists"}, status=status.HTTP_409_CONFLICT)
        return Response(PhoneSerializer(phone).data, status=status.HTTP_201_CREATED)


class PhoneUpdateApi(ApiView):
    @extend_schema(tags=["debtors"], request=PhoneWriteSerializer, responses={200: PhoneSerializer, **ERRORS})
    def patch(self, request, debtor_id: int, phone_id: int):
        """Change a number's kind, relationship, status or consents."""
        debtor = debtor_get_for_action(request.user, debtor_id)
        phone = get_object_or_404(Phone.objects.select_related("debtor"), pk=phone_id, debtor=debtor)
        data = PhoneWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        phone = services.phone_update(phone=phone, by=request.user, **data.validated_data)
        return Response(PhoneSerializer(phone).data)


# --- Debts -------------------------------------------------------------------------------------


class DebtFilter(ApiFilterSet):
    debtor = IdFilter(field_name="debtor_id")
    portfolio = IdFilter(field_name="debtor__portfolio_id")
    recalled = BooleanFilter(field_name="recalled_on", lookup_expr="isnull", exclude=True)
    due_after = DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Debt
        fields = ["debtor", "portfolio", "currency", "recalled", "due_after", "due_before"]


def debts_for_user(user):
    return Debt.objects.filter(debtor_scope(user, via="debtor")).select_related("debtor")


@extend_schema(tags=["debts"])
class DebtListApi(ListApiView):
    queryset = Debt.objects.none()  # for the schema; get_queryset scopes every request
    """The debts of the debtors you may reach."""

    serializer_class = DebtSerializer
    filterset_class = DebtFilter
    ordering_fields = ["due_date", "balance", "created_at", "account_reference"]
    index_ordering = ("due_date", "pk")  # debt_due_idx; see ApiPagination

    def get_queryset(self):
        return debts_for_user(self.request.user).order_by(*scope_ordering(self.request.user, *self.index_ordering))


class DebtDetailApi(ApiView):
    @extend_schema(tags=["debts"], responses={200: DebtSerializer, 404: ErrorSerializer})
    def get(self, request, debt_id: int):
        """One debt."""
        return Response(DebtSerializer(get_object_or_404(debts_for_user(request.user), pk=debt_id)).data)
