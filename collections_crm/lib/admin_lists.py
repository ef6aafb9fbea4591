"""What every admin change list over a table that grows with the portfolio shares."""

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.utils.html import format_html
from django.utils.translation import gettext as _

from collections_crm.lib.paging import CappedPaginator


class _ChangeList(ChangeList):
    def apply_select_related(self, qs):
        return super().apply_select_related(qs).prefetch_related(*self.model_admin.list_prefetch_related)


class BigTableAdmin:
    """A change list that counts at most CappedPaginator's cap and never twice.

    Django counts a change list twice (the filtered rows for the pages, all rows for "N total");
    over a million calls each COUNT cost more than the page. Put this mixin first in the bases
    of any admin whose table grows with the debtors; pair it with raw_id_fields or
    autocomplete_fields for every foreign key to such a table and a date filter in place of
    date_hierarchy, whose year and month links read every row's date.

    `list_prefetch_related` reads a page's debtors, debts or calls by id after the page, where
    list_select_related would join them: SQLite's planner then may walk the million parents
    to find a page of a small table (a page of no balance changes took a second).
    """

    show_full_result_count = False
    list_prefetch_related = ()
    list_per_page = 50  # as the product's own lists; each row costs render time, not query time

    def action_checkbox(self, obj):
        # Django's own box and label, written out: rendered through the form widget templates,
        # the boxes took a quarter of a page's time.
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return CappedPaginator(queryset, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page)

    def get_changelist(self, request, **kwargs):
        return _ChangeList


def date_filter(field: str) -> tuple[str, type[admin.DateFieldListFilter]]:
    """A list filter on `field`: today, past 7 days, this month, this year; no query to offer them."""
    return (field, admin.DateFieldListFilter)


class ReadOnlyAdminMixin:
    """Rows the admin shows but never adds, edits or deletes: evidence and history that only
    their own services write (recordings, an import's undo list, what a provider told us)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
