"""The conditions a debtor list can be narrowed by, in the API's query-string language.

One set for the API's debtor list and for saved filters (`SavedFilter`), which store such a
query string under a name: a supervisor tries conditions on the list, saves them, and a
segment of a portfolio can then be "these debtors" (`scoring.Segment.saved_filter`).
"""

import json
from urllib.parse import parse_qsl, urlencode

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from collections_crm.api.filters import ApiFilterSet, BooleanFilter, IdFilter, ProbabilityFilter
from collections_crm.api.schema import NON_BLANK_TEXT
from debtors.models import HOLD_FIELDS, Debt, Debtor, Phone
from debtors.selectors import debtor_search_filter, with_account_figures

# A number that may still be written to; the same rule as the outbox's.
_USABLE_PHONE_STATUSES = (Phone.Status.UNKNOWN, Phone.Status.VALID)
SEARCH_PARAMETER = "search"
SEARCH_MAX_LENGTH = 200


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 100, "pattern": NON_BLANK_TEXT})
class TextFilter(django_filters.CharFilter):
    """Text with something in it besides spaces (which are trimmed)."""


class DebtorFilter(ApiFilterSet):
    portfolio = IdFilter(field_name="portfolio_id")
    assigned_to = IdFilter(field_name="assigned_to_id")
    on_hold = BooleanFilter(method="filter_on_hold", label=_("Has any hold"))
    with_balance = BooleanFilter(method="filter_with_balance", label=_("Has an open balance"))
    score_from = ProbabilityFilter(
        field_name="payment_score__probability", lookup_expr="gte", label=_("Payment score from (0 to 1, inclusive)")
    )
    score_below = ProbabilityFilter(
        field_name="payment_score__probability", lookup_expr="lt", label=_("Payment score below (0 to 1)")
    )
    segment = IdFilter(field_name="payment_score__segment_id", label=_("Segment id"))
    strategy = IdFilter(field_name="payment_score__strategy_id", label=_("Strategy id"))
    product = TextFilter(
        method="filter_product", max_length=100, label=_("Has an open debt of this product (any case)")
    )
    consents_to = django_filters.ChoiceFilter(
        method="filter_consents_to",
        choices=[("sms", _("SMS")), ("whatsapp", _("WhatsApp"))],
        label=_("Has a usable number that consents to this channel"),
    )

    class Meta:
        model = Debtor
        fields = ["portfolio", "assigned_to", "language", *HOLD_FIELDS]

    def filter_on_hold(self, queryset, name, value):
        any_hold = Q()
        for field in HOLD_FIELDS:
            any_hold |= Q(**{field: True})
        return queryset.filter(any_hold) if value else queryset.exclude(any_hold)

    def filter_with_balance(self, queryset, name, value):
        return queryset.filter(total_balance__gt=0) if value else queryset.filter(total_balance__lte=0)

    def filter_product(self, queryset, name, value):
        open_debts = Debt.objects.filter(debtor=OuterRef("pk"), recalled_on__isnull=True, product__iexact=value)
        return queryset.filter(Exists(open_debts))

    def filter_consents_to(self, queryset, name, value):
        consenting = Phone.objects.filter(
            debtor=OuterRef("pk"), status__in=_USABLE_PHONE_STATUSES, **{f"{value}_consent": True}
        )
        return queryset.filter(Exists(consenting))


# Conditions that read what a scoring run wrote: a segment defined by them would depend on
# the segmentation it is part of.
SCORING_PARAMETERS = frozenset({"score_from", "score_below", "segment", "strategy"})
PARAMETERS = frozenset(DebtorFilter.base_filters) | {SEARCH_PARAMETER}


def query_problems(query: str) -> list[str]:
    """What is wrong with a saved query string, in the user's language; empty when nothing."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query), max_num_fields=50)
    except ValueError:
        return [gettext("Write the conditions as the debtor list's query string, e.g. on_hold=false&language=es.")]
    problems = []
    names = [name for name, _value in pairs]
    unknown = sorted(set(names) - PARAMETERS)
    if unknown:
        problems.append(
            gettext("Unknown conditions: %(names)s. Use %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(sorted(PARAMETERS))}
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(gettext("Give each condition once: %(names)s.") % {"names": ", ".join(repeated)})
    if not pairs:
        problems.append(gettext("Give at least one condition."))
    search = dict(pairs).get(SEARCH_PARAMETER)
    if search is not None and not (0 < len(search.strip()) <= SEARCH_MAX_LENGTH):
        problems.append(gettext("Search for 1 to 200 characters."))
    if unknown or repeated:
        return problems
    form = DebtorFilter(data=_query_dict(query), queryset=Debtor.objects.none()).form
    if not form.is_valid():
        for name, errors in form.errors.items():
            problems.extend(f"{name}: {message}" for message in errors)
    return problems


def query_conditions(query: str) -> dict:
    """A saved query string's conditions as typed values ({"on_hold": False, "portfolio": 3…})."""
    data = _query_dict(query)
    filters = DebtorFilter(data=data, queryset=Debtor.objects.none())
    conditions = (
        {name: value for name, value in filters.form.cleaned_data.items() if name in data}
        if filters.form.is_valid()
        else {}
    )
    if data.get(SEARCH_PARAMETER, "").strip():
        conditions[SEARCH_PARAMETER] = data[SEARCH_PARAMETER].strip()
    return conditions


def conditions_query(conditions: dict) -> str:
    """The query string of typed conditions; booleans and numbers spelled as JSON spells them."""
    return urlencode(
        [
            (name, json.dumps(value) if isinstance(value, bool | int | float) else str(value))
            for name, value in conditions.items()
        ]
    )


def debtors_matching(queryset: QuerySet[Debtor], query: str) -> QuerySet[Debtor]:
    """`queryset` narrowed by a saved query string (checked by `query_problems` when saved)."""
    data = _query_dict(query)
    search = data.get(SEARCH_PARAMETER, "").strip()
    if search:
        queryset = queryset.filter(debtor_search_filter(search))
    filters = data.copy()
    filters.pop(SEARCH_PARAMETER, None)
    if "with_balance" in filters and "total_balance" not in queryset.query.annotations:
        queryset = with_account_figures(queryset)
    return DebtorFilter(data=filters, queryset=queryset).qs


def _query_dict(query: str) -> QueryDict:
    return QueryDict(query, mutable=False)
