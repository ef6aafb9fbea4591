from django.contrib import admin

from debtors.models import (
    BalanceChange, Creditor, Debt, DebtSnapshot, Debtor, ImportJob, ImportMapping, ImportUndo, Phone, Portfolio,
)
from debtors.services import debt_import_hashes_forget


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


@admin.register(Phone)
class PhoneAdmin(admin.ModelAdmin):
    list_display = ("number", "debtor", "kind", "relationship", "status", "sms_consent", "whatsapp_consent")
    list_filter = ("kind", "relationship", "status", "sms_consent", "whatsapp_consent")
    search_fields = ("number", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor",)
    raw_id_fields = ("debtor",)
    show_full_result_count = False

    # A number removed or changed by hand: the debtor's next file rows are applied again, so
    # the file's numbers come back as an import always brought them.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
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
