import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

from collections_crm.lib.paging import IdsFirstPaginator


class ApiPagination(PageNumberPagination):
    """`?page=N&page_size=M`: 50 by default, 200 at most, with the total count.

    Both are whole numbers from 1, page_size up to 200; anything else is a 400 that says
    so (DRF would quietly answer 50 or 200 rows instead). A page past the last is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # "?page=last" is not a number: the schema says so

    def _whole_number(self, request, name: str, maximum: int | None = None) -> int | None:
        if name not in request.query_params:
            return None
        value = request.query_params[name]
        if not re.fullmatch(r"[0-9]{1,18}", value) or int(value) < 1 or (maximum is not None and int(value) > maximum):
            message = (
                _("Give a whole number from 1 to %(maximum)s.") % {"maximum": maximum}
                if maximum is not None
                else _("Give a whole number from 1.")
            )
            raise serializers.ValidationError({name: [message]}, code="invalid")
        return int(value)

    def get_page_size(self, request):
        size = self._whole_number(request, self.page_size_query_param, self.max_page_size)
        return self.page_size if size is None else size

    def paginate_queryset(self, queryset, request, view=None):
        self._whole_number(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": str(_("The page to read, from 1; a page past the last answers 404.")),
                "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": str(_("Rows per page: 50 unless given, 200 at most.")),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


class IdsFirstApiPagination(ApiPagination):
    """ApiPagination reading each page's ids first (collections_crm.lib.paging.IdsFirstMixin):
    for lists whose order and filters an index answers alone (debtors by name)."""

    django_paginator_class = IdsFirstPaginator
