import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination, remove_query_param, replace_query_param
from rest_framework.response import Response

from collections_crm.lib.paging import COUNT_CAP


class ApiPagination(PageNumberPagination):
    """`?page=N&page_size=M`: 50 by default, 200 at most, with the total counted up to a cap.

    Both are whole numbers from 1, page_size up to 200; anything else is a 400 that says
    so (DRF would quietly answer 50 or 200 rows instead). A page past the last is a 404.

    An exact COUNT over a supervisor's 100,000 debtors' debts, calls or promises cost more than a
    second at a million debtors, more than the page itself. So rows are counted up to
    `count_cap` (as the HTML lists do): past it `count_exact` is false and `count` is a number
    of rows the list is known to exceed. Whether there is a next page is learnt by reading one
    row more than the page, so `next` leads on past the cap until the real end.
    """

    # A scoped list in its default order first tries the first rows of the whole table in
    # that order (an index walk of this many rows per row wanted, at least PROBE_MIN_ROWS):
    # a supervisor's tenth of the book fills a page from there, and a collector's few rows
    # fall back to being found first and sorted (scope_ordering).
    PROBE_ROWS_PER_ROW = 40
    PROBE_MIN_ROWS = 2_000
    PROBE_MAX_ROWS = 50_000

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # "?page=last" is not a number: the schema says so
    count_cap = COUNT_CAP

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
        """1. Count up to the cap: ids only, unordered (the list's sort and annotations cost
           nothing there), stopping at cap + 1.
        2. A page that the exact count puts past the end is a 404 without reading it.
        3. Read the page and one row more: that row says whether there is a next page.
           Ids first, then those rows whole (one query).
        4. Past the cap an empty page is a 404, and a page that reaches the end gives the
           exact total after all."""
        self.request = request
        size = self.get_page_size(request)
        self.number = self._whole_number(request, self.page_query_param) or 1
        counted = queryset.order_by().values("pk")[: self.count_cap + 1].count()
        offset = (self.number - 1) * size
        if counted <= self.count_cap and self.number > 1 and offset >= counted:
            raise NotFound(self.invalid_page_message)
        # The page's ids first, then its rows: the sort over a scope of 100,000 rows then reads
        # narrow index entries, and only the rows listed are read whole, with their joins.
        keys = self._keys_from_the_index(queryset, request, view, offset + size + 1)
        if keys is None:
            keys = queryset.values("pk")[offset : offset + size + 1]
        else:
            keys = keys[offset:]
        rows = list(queryset.filter(pk__in=keys)) if counted else []
        if not rows and self.number > 1:
            raise NotFound(self.invalid_page_message)
        self.has_next = len(rows) > size
        rows = rows[:size]
        if counted <= self.count_cap:
            self.count, self.count_exact = counted, True
        elif not self.has_next:
            self.count, self.count_exact = offset + len(rows), True
        else:
            self.count, self.count_exact = max(self.count_cap, offset + size), False
        return rows

    def _keys_from_the_index(self, queryset, request, view, wanted: int) -> list | None:
        """The ids of the list's first `wanted` rows, found among the first rows of the whole
        table in the view's `index_ordering` (an index walk, a few ms), or None when these do
        not hold that many (then the list is sorted as a whole).

        Exact: every row of the list is a row of the table, in the same order, so if the table's
        first N rows hold `wanted` rows of the list, those are the list's first `wanted`. Only
        in the default order (no ?ordering=) and for a scoped reader (an admin's list is read
        down the index already)."""
        index_ordering = getattr(view, "index_ordering", None)
        if not index_ordering or request.query_params.get("ordering") or getattr(request.user, "is_crm_admin", True):
            return None
        window = max(self.PROBE_MIN_ROWS, wanted * self.PROBE_ROWS_PER_ROW)
        if window > self.PROBE_MAX_ROWS:
            return None
        table_prefix = queryset.model._default_manager.order_by(*index_ordering).values("pk")[:window]
        keys = list(
            queryset.filter(pk__in=table_prefix).order_by(*index_ordering).values_list("pk", flat=True)[:wanted]
        )
        return keys if len(keys) == wanted else None

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self):
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["required"] = ["count", "count_exact", "results"]
        answer["properties"]["count"] = {
            "type": "integer",
            "minimum": 0,
            "example": 123,
            "description": str(
                _(
                    "Rows in the list when count_exact is true; otherwise the list has more than this many rows (counting stops there)."
                )
            ),
        }
        answer["properties"] = {
            "count": answer["properties"]["count"],
            "count_exact": {
                "type": "boolean",
                "description": str(
                    _(
                        "Whether count is the exact number of rows. Lists longer than %(cap)s are not counted to the end: follow next."
                    )
                    % {"cap": f"{self.count_cap:,}"}
                ),
            },
            **{name: value for name, value in answer["properties"].items() if name != "count"},
        }
        return answer

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
