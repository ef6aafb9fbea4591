"""A debtor's hold and consent history: /api/v1/debtors/{id}/hold-changes/ and
/consent-changes/, newest first, for whoever may see the debtor (404 otherwise)."""

from drf_spectacular.utils import extend_schema

from collections_crm.api.serializers import ReadModelSerializer
from collections_crm.api.views import ListApiView
from debtors.models import ConsentChange, HoldChange
from debtors.selectors import debtor_get_for_action


class HoldChangeSerializer(ReadModelSerializer):
    class Meta:
        model = HoldChange
        fields = ["id", "debtor", "hold", "is_set", "at", "by", "source", "reason"]
        read_only_fields = fields


class ConsentChangeSerializer(ReadModelSerializer):
    class Meta:
        model = ConsentChange
        fields = ["id", "debtor", "phone", "number", "channel", "granted", "at", "by", "source", "detail", "reason"]
        read_only_fields = fields


class _DebtorHistoryApi(ListApiView):
    model = None

    def get_queryset(self):
        debtor = debtor_get_for_action(self.request.user, self.kwargs["debtor_id"])
        return self.model.objects.filter(debtor=debtor).order_by("-at", "-pk")


class HoldChangeListApi(_DebtorHistoryApi):
    queryset = HoldChange.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = HoldChangeSerializer
    model = HoldChange

    @extend_schema(tags=["debtors"], summary="A debtor's hold history")
    def get(self, request, *args, **kwargs):
        """Every hold set or lifted on the debtor, with who, when, where from and why; newest first."""
        return super().get(request, *args, **kwargs)


class ConsentChangeListApi(_DebtorHistoryApi):
    queryset = ConsentChange.objects.none()
    serializer_class = ConsentChangeSerializer
    model = ConsentChange

    @extend_schema(tags=["debtors"], summary="A debtor's consent history")
    def get(self, request, *args, **kwargs):
        """Every consent given or withdrawn on the debtor's numbers, with who, when, where from and why."""
        return super().get(request, *args, **kwargs)
