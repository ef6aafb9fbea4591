from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from collections_crm.lib.admin_lists import BigTableAdmin, ReadOnlyAdminMixin, date_filter
from collections_crm.lib.paging import CappedIdsFirstPaginator
from debtors.models import (
    HOLD_FIELDS,
    BalanceChange,
    ChangeSource,
    ConsentChange,
    Creditor,
    Debt,
    Debtor,
    DebtorScore,
    DebtSnapshot,
    HoldChange,
    ImportJob,
    ImportMapping,
    ImportUndo,
    Phone,
    Portfolio,
    PortfolioFigures,
    SavedFilter,
)
from debtors.selectors import debtor_search_filter
from debtors.services import debt_import_hashes_forget, debtor_queue_figures_refresh
from debtors.services.history import consent_changes_record, hold_changes_record


@admin.register(Creditor)
class CreditorAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ("name", "creditor", "country", "currency", "contact_policy_preset", "created_at")
    list_filter = ("country", "currency", "contact_policy_preset", "creditor")
    search_fields = ("name", "creditor__name")
    list_select_related = ("creditor",)
    autocomplete_fields = ("creditor",)


@admin.register(PortfolioFigures)
class PortfolioFiguresAdmin(admin.ModelAdmin):
    """Counted by a job (debtors.services.portfolio_figures_refresh): shown, never edited."""

    list_display = ("portfolio", "debtors", "unassigned", "open_balance", "counted_at")
    list_filter = ("portfolio__country",)
    list_select_related = ("portfolio__creditor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
class DebtorAdmin(BigTableAdmin, admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        holds = {name: getattr(obj, name) for name in HOLD_FIELDS if name in form.changed_data}
        if holds:
            hold_changes_record(
                debtor=obj, changes=holds, by=request.user, source=ChangeSource.ADMIN, at=timezone.now()
            )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Phone:
            for phone_form in formset.forms:
                if phone_form.instance.pk and phone_form not in formset.deleted_forms:
                    consent_changes_from_form(phone_form, request.user)

    def save_related(self, request, form, formsets, change):
        # Debts added, edited or deleted in the inline: the debtor's queue figures follow.
        super().save_related(request, form, formsets, change)
        debtor_queue_figures_refresh(debtor_ids=[form.instance.pk])

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        """A page's ids from debtor_name_idx alone, then its rows; counted up to 10,000 as every
        big list (BigTableAdmin): an exact count of a common surname's 250,000 matches took
        longer than the page."""
        return CappedIdsFirstPaginator(
            queryset, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page
        )

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


def consent_changes_from_form(form, user) -> None:
    """A number's consents changed in the admin, kept in its consent history."""
    phone = form.instance
    changes = [
        (phone, channel, getattr(phone, f"{channel}_consent"), getattr(phone, f"{channel}_consent_source"))
        for channel in ("sms", "whatsapp")
        if f"{channel}_consent" in form.changed_data
    ]
    if changes:
        consent_changes_record(changes=changes, by=user, source=ChangeSource.ADMIN, at=timezone.now())


@admin.register(Phone)
class PhoneAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("number", "debtor", "kind", "relationship", "status", "sms_consent", "whatsapp_consent")
    list_filter = ("kind", "relationship", "status", "sms_consent", "whatsapp_consent")
    search_fields = ("number", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor",)
    raw_id_fields = ("debtor",)

    # A number removed or changed by hand: the debtor's next file rows are applied again, so
    # the file's numbers come back as an import always brought them.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        consent_changes_from_form(form, request.user)
        if change and "number" in form.changed_data:
            debt_import_hashes_forget(debtor_ids=[obj.debtor_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        debt_import_hashes_forget(debtor_ids=[obj.debtor_id])

    def delete_queryset(self, request, queryset):
        debtor_ids = set(queryset.values_list("debtor_id", flat=True))
        super().delete_queryset(request, queryset)
        debt_import_hashes_forget(debtor_ids=debtor_ids)


@admin.register(Debt)
class DebtAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("account_reference", "debtor", "product", "balance", "currency", "due_date", "recalled_on")
    # No filter by product: its choices were a DISTINCT over every debt (200 ms at 1.2 million).
    list_filter = ("currency", date_filter("due_date"), "recalled_on")
    search_fields = ("account_reference", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor",)
    raw_id_fields = ("debtor",)

    # A debt edited, moved or deleted by hand: the queue figures stored on its debtor (and on
    # the debtor it left) follow at once, as every service that writes debts does.
    def save_model(self, request, obj, form, change):
        former = set(Debt.objects.filter(pk=obj.pk).values_list("debtor_id", flat=True)) if change else set()
        super().save_model(request, obj, form, change)
        debtor_queue_figures_refresh(debtor_ids=[obj.debtor_id, *former])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        debtor_queue_figures_refresh(debtor_ids=[obj.debtor_id])

    def delete_queryset(self, request, queryset):
        debtor_ids = set(queryset.values_list("debtor_id", flat=True))
        super().delete_queryset(request, queryset)
        debtor_queue_figures_refresh(debtor_ids=debtor_ids)


@admin.register(DebtSnapshot)
class DebtSnapshotAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("taken_on", "debt", "days_past_due", "aging_bucket", "balance")
    list_filter = ("aging_bucket", date_filter("taken_on"))
    search_fields = ("debt__account_reference", "debt__debtor__full_name")
    list_select_related = ()
    list_prefetch_related = ("debt",)
    ordering = ("-pk",)  # newest first along the primary key
    raw_id_fields = ("debt",)


@admin.register(BalanceChange)
class BalanceChangeAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("debt", "old_balance", "new_balance", "at", "source")
    list_filter = ("source", date_filter("at"))
    search_fields = ("debt__account_reference", "debt__debtor__external_id", "debt__debtor__full_name")
    list_select_related = ()
    list_prefetch_related = ("debt",)
    ordering = ("-pk",)  # newest first along the primary key: no index holds every row by date
    raw_id_fields = ("debt",)


@admin.register(DebtorScore)
class DebtorScoreAdmin(BigTableAdmin, admin.ModelAdmin):
    """Written by the scoring job (scoring.services); read here, never edited."""

    list_display = ("debtor", "portfolio", "probability", "model_version", "scored_at")
    list_filter = ("portfolio",)
    search_fields = ("debtor__external_id", "debtor__full_name")
    list_select_related = ()
    list_prefetch_related = ("debtor", "portfolio")
    ordering = ("-pk",)
    raw_id_fields = ("debtor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "kind",
        "portfolio",
        "status",
        "rows_done",
        "rows_total",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("original_name", "portfolio__name", "portfolio__creditor__name")
    list_select_related = ("portfolio__creditor", "created_by")
    readonly_fields = [field.name for field in ImportJob._meta.fields]


@admin.register(ImportUndo)
class ImportUndoAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: written and removed by imports and the stalled-job sweep alone."""

    list_display = ("run", "kind", "row_id")
    list_filter = ("kind",)
    search_fields = ("run",)


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ("creditor", "kind", "updated_at")
    list_filter = ("kind",)
    search_fields = ("creditor__name",)
    list_select_related = ("creditor",)


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ("name", "query", "created_by", "updated_at")
    search_fields = ("name", "query")
    list_select_related = ("created_by",)
    readonly_fields = ("created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(HoldChange)
class HoldChangeAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: the history is written by the changes themselves."""

    list_display = ("debtor", "hold", "is_set", "at", "by", "source", "reason")
    list_filter = ("hold", "is_set", "source")
    list_select_related = ("debtor", "by")
    raw_id_fields = ("debtor",)


@admin.register(ConsentChange)
class ConsentChangeAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: the history is written by the changes themselves."""

    list_display = ("number", "debtor", "channel", "granted", "at", "by", "source", "detail")
    list_filter = ("channel", "granted", "source")
    list_select_related = ("debtor", "by")
    search_fields = ("number",)
    raw_id_fields = ("debtor", "phone")
