import datetime as dt

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
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


class MomentField(forms.Field):
    """An ISO 8601 moment with its UTC offset, read as UTC.

    Sent to the database in UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO
    8601 allows, and a moment near year 1 or 9999 may not exist in UTC at all.
    """

    default_error_messages = {
        "invalid": _("Give a moment in ISO 8601 with its UTC offset, e.g. 2026-11-18T10:00:00-05:00."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            moment = parse_datetime(str(value).strip())
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return moment.astimezone(dt.timezone.utc)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class MomentFilter(django_filters.Filter):
    field_class = MomentField
