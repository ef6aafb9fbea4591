from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.db.models import Q

from collections_crm.lib.paging import CappedIdsFirstPaginator, IdsFirstPaginator
from debtors.models import (
    BalanceChange, Creditor, Debt, DebtSnapshot, Debtor, ImportJob, ImportMapping, ImportUndo, Phone, Portfolio,
)
from debtors.selectors import debtor_search_filter


@admin.register(Creditor)
class CreditorAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ("name", "creditor", "country", "currency", "contact_policy_preset", "created_at")
    list_filter = ("country", "currency", "contact_policy_preset", "creditor")
    search_fields = ("name", "creditor__name")
    autocomplete_fields = ("creditor",)


class PhoneInline(admin.TabularInline):
    model = Phone
    extra = 0


class DebtInline(admin.TabularInline):
    model = Debt
    extra = 0


class PortfolioListFilter(admin.RelatedFieldListFilter):
    """The portfolio filter with each portfolio's creditor (its name shows it) in one query."""

    def field_choices(self, field, request, model_admin):
        return [(p.pk, str(p)) for p in Portfolio.objects.select_related("creditor").order_by("creditor__name", "name")]


@admin.register(Debtor)
class DebtorAdmin(admin.ModelAdmin):
    list_display = ("full_name", "external_id", "national_id", "portfolio", "assigned_to", "updated_at")
    list_filter = (
        ("portfolio", PortfolioListFilter),
        "assigned_to",
        "language",
        "hold_do_not_contact",
        "hold_cease",
        "hold_dispute",
        "hold_lawsuit",
        "hold_insolvency",
        "hold_deceased",
    )
    search_fields = ("full_name", "external_id", "national_id", "email", "phones__number")
    list_select_related = ("portfolio__creditor", "assigned_to")  # a portfolio prints its creditor
    autocomplete_fields = ("portfolio", "assigned_to")
    inlines = [PhoneInline, DebtInline]
    show_full_result_count = False  # a COUNT(*) over a million debtors on every page is waste

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        """A page's ids from debtor_name_idx alone, then its rows; a search counts up to
        10,000 matches and says "more than" past that (templates/admin/debtors/debtor/): an
        exact count of a common surname's 250,000 matches took longer than the page."""
        paginator = CappedIdsFirstPaginator if request.GET.get(SEARCH_VAR, "").strip() else IdsFirstPaginator
        return paginator(queryset, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page)

    def get_search_results(self, request, queryset, search_term):
        """The debtor list's search (name in part, customer code, national id or phone whole),
        which indexes answer; the default one (icontains on five columns and a join to phones,
        then DISTINCT) read every debtor and phone: 5-6 s among a million. An e-mail address
        is matched whole too (it has no index: only a search with an @ asks for it)."""
        search_term = search_term.strip()
        if not search_term:
            return queryset, False
        matches = debtor_search_filter(search_term)
        if "@" in search_term:
            matches |= Q(email__iexact=search_term)
        return queryset.filter(matches), False


@admin.register(Phone)
class PhoneAdmin(admin.ModelAdmin):
    list_display = ("number", "debtor", "kind", "relationship", "status", "sms_consent", "whatsapp_consent")
    list_filter = ("kind", "relationship", "status", "sms_consent", "whatsapp_consent")
    search_fields = ("number", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor",)
    raw_id_fields = ("debtor",)
    show_full_result_count = False


@admin.register(Debt)
class DebtAdmin(admin.ModelAdmin):
    list_display = ("account_reference", "debtor", "product", "balance", "currency", "due_date", "recalled_on")
    list_filter = ("currency", "product", "recalled_on")
    search_fields = ("account_reference", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor",)
    raw_id_fields = ("debtor",)
    date_hierarchy = "due_date"
    show_full_result_count = False


@admin.register(DebtSnapshot)
class DebtSnapshotAdmin(admin.ModelAdmin):
    list_display = ("taken_on", "debt", "days_past_due", "aging_bucket", "balance")
    list_filter = ("aging_bucket", "taken_on")
    search_fields = ("debt__account_reference", "debt__debtor__full_name")
    raw_id_fields = ("debt",)
    show_full_result_count = False


@admin.register(BalanceChange)
class BalanceChangeAdmin(admin.ModelAdmin):
    list_display = ("debt", "old_balance", "new_balance", "at", "source")
    list_filter = ("source", "at")
    search_fields = ("debt__account_reference", "debt__debtor__external_id", "debt__debtor__full_name")
    raw_id_fields = ("debt",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "kind", "portfolio", "status", "rows_done", "rows_total", "created_count",
                    "updated_count", "unchanged_count", "rejected_count", "created_by", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("original_name", "portfolio__name", "portfolio__creditor__name")
    readonly_fields = [field.name for field in ImportJob._meta.fields]


@admin.register(ImportUndo)
class ImportUndoAdmin(admin.ModelAdmin):
    """Read only: written and removed by imports and the stalled-job sweep alone."""

    list_display = ("run", "kind", "row_id")
    list_filter = ("kind",)
    search_fields = ("run",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ("creditor", "kind", "updated_at")
    list_filter = ("kind",)
    search_fields = ("creditor__name",)
