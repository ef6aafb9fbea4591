"""Query-string filters that accept exactly what the schema says they accept.

django-filter is lenient on purpose for HTML forms: an empty value means "no filter",
"1.0" reads as 1, "null" as "either", "2026-1-5" as a date. An API client reading the
schema (an integer, a boolean, an ISO date) deserves a 400 that names the parameter
instead of a silently different answer.
"""

import datetime as dt
import re

import django_filters
from django import forms
from django.db import models
from django.db.models import F, OrderBy
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.filters import OrderingFilter

from collections_crm.api import patterns
from collections_crm.api.fields import MAX_ID


class StableOrderingFilter(OrderingFilter):
    """`?ordering=field,-other`, always ending with the id so that pages never overlap.

    A field that cannot be ordered by is refused (400) rather than ignored: the client
    would otherwise read an order it did not ask for as the one it did.
    """

    def get_ordering(self, request, queryset, view):
        if self.ordering_param in request.query_params:
            self._check(request.query_params[self.ordering_param], view)
        ordering = super().get_ordering(request, queryset, view)
        if ordering is None:
            return None
        ordering = list(ordering)
        if not any(term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering.append("-pk" if ordering and ordering[0].startswith("-") else "pk")
        # Fields a row may lack (a debtor not scored yet) sort after the others either way, on
        # both databases (PostgreSQL puts NULL first when descending, SQLite last).
        nulls_last = set(getattr(view, "ordering_nulls_last", ()))
        return [_nulls_last(term) if term.lstrip("-") in nulls_last else term for term in ordering]

    def _check(self, value: str, view) -> None:
        if not self.fields(view):
            raise serializers.ValidationError(
                {self.ordering_param: [_("This list has a fixed order: leave “ordering” out.")]},
                code="invalid_ordering",
            )
        if not re.fullmatch(self.pattern(view), value):
            raise serializers.ValidationError(
                {
                    self.ordering_param: [
                        _("Order by one or more of %(fields)s, separated by commas; a minus sign reverses.")
                        % {"fields": ", ".join(self.fields(view))}
                    ]
                },
                code="invalid_ordering",
            )

    @staticmethod
    def fields(view) -> list[str]:
        return list(getattr(view, "ordering_fields", None) or [])

    def pattern(self, view) -> str:
        term = "-?(?:{})".format("|".join(re.escape(name) for name in self.fields(view)))
        return f"^{term}(?:,{term})*$"

    def get_schema_operation_parameters(self, view):
        if not self.fields(view):
            return []  # a list in a fixed order takes no ordering
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Order by one or more of %(fields)s, separated by commas; a minus sign reverses.")
                    % {"fields": ", ".join(self.fields(view))}
                ),
                "schema": {"type": "string", "pattern": self.pattern(view)},
            }
        ]


def _nulls_last(term: str) -> OrderBy:
    name = term.lstrip("-")
    return F(name).desc(nulls_last=True) if term.startswith("-") else F(name).asc(nulls_last=True)


class StrictIntegerField(forms.IntegerField):
    """Digits only: Django's own field would also read "1.0" and " 1"."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not re.fullmatch(r"-?[0-9]{1,20}", str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A filter on an id: whole numbers in the database's range only."""

    field_class = StrictIntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class ProbabilityField(forms.Field):
    """A number from 0 to 1 written as JSON writes numbers ("0.35", "1", "3.5e-1"), nothing else
    (no spaces, no "nan" or "inf", no leading "+")."""

    default_error_messages = {"invalid": _("Give a number from 0 to 1, such as 0.35.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?", str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        number = float(value)
        if not 0 <= number <= 1:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


@extend_schema_field({"type": "number", "minimum": 0, "maximum": 1})
class ProbabilityFilter(django_filters.Filter):
    field_class = ProbabilityField


class StrictBooleanField(forms.Field):
    widget = forms.TextInput  # the raw value: Django's boolean widgets turn "null" into "either"
    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if str(value).lower() == "true":
            return True
        if str(value).lower() == "false":
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


@extend_schema_field({"type": "boolean"})
class BooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class IsoDateFormField(forms.Field):
    """A calendar date written YYYY-MM-DD (RFC 3339), nothing else."""

    default_error_messages = {"invalid": _("Give a date as YYYY-MM-DD, e.g. 2026-11-18.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not re.fullmatch(patterns.ANY_DATE, str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


@extend_schema_field({"type": "string", "format": "date", "pattern": patterns.ANY_DATE})
class DateFilter(django_filters.Filter):
    field_class = IsoDateFormField


class MomentField(forms.Field):
    """An RFC 3339 moment with its UTC offset, read as UTC.

    Sent to the database in UTC: PostgreSQL refuses offsets beyond ±15:59, which RFC
    3339 allows. A moment near year 1 or 9999 that does not exist in UTC is the
    earliest or latest one there is: as a bound of a filter it means the same.
    """

    default_error_messages = {
        "invalid": _("Give a moment in ISO 8601 with its UTC offset, e.g. 2026-11-18T10:00:00-05:00."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            moment = parse_datetime(str(value)) if re.fullmatch(patterns.ANY_MOMENT, str(value)) else None
        except ValueError:  # the 31st of November
            moment = None
        if moment is None or moment.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            edge = dt.datetime.min if moment.year == 1 else dt.datetime.max
            return edge.replace(tzinfo=dt.UTC)


@extend_schema_field({"type": "string", "format": "date-time", "pattern": patterns.ANY_MOMENT})
class MomentFilter(django_filters.Filter):
    field_class = MomentField


class ApiFilterForm(forms.Form):
    """Refuses an empty parameter unless empty is one of its documented values."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if self.data.get(name) != "":
                continue
            choices = getattr(field, "choices", None)
            if choices is not None and "" in {str(value) for value, _label in choices}:
                continue
            self.add_error(name, forms.ValidationError(_("Give a value, or leave the parameter out."), code="blank"))
        return cleaned


class ApiFilterSet(django_filters.FilterSet):
    """The base of every API filter set: strict booleans and dates, no empty values."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
        models.DateField: {"filter_class": DateFilter},
    }

    def get_form_class(self):
        fields = {name: filter_.field for name, filter_ in self.filters.items()}
        return type(f"{self.__class__.__name__}Form", (ApiFilterForm,), fields)

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is not None and issubclass(filter_class, django_filters.ChoiceFilter):
            # No "---------" choice: an empty value is valid only where the field itself has one.
            params = {**params, "empty_label": None}
        return filter_class, params
