import django_filters
from django import forms
from rest_framework.filters import OrderingFilter

from collections_crm.api.fields import MAX_ID


class StableOrderingFilter(OrderingFilter):
    """`?ordering=field,-other`, always ending with the id so that pages never overlap."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering is None:
            return None
        ordering = list(ordering)
        if not any(term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering.append("-pk" if ordering and ordering[0].startswith("-") else "pk")
        return ordering


class IdFilter(django_filters.NumberFilter):
    """A filter on an id: whole numbers in the database's range only."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
