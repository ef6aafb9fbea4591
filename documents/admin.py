from django.contrib import admin

from collections_crm.lib.admin_lists import BigTableAdmin, ReadOnlyAdminMixin, date_filter
from documents.models import Document, Letterhead


@admin.register(Letterhead)
class LetterheadAdmin(admin.ModelAdmin):
    """What each creditor's letters print: legal name, tax id, address, logo and legal text."""

    list_display = ("legal_name", "creditor", "tax_id", "place")
    list_select_related = ("creditor",)
    search_fields = ("legal_name", "creditor__name", "tax_id")
    raw_id_fields = ("creditor",)


@admin.register(Document)
class DocumentAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: a letter says what it said when issued; its digest proves the bytes."""

    list_display = ("reference", "kind", "debtor", "language", "source", "created_at", "sha256")
    list_filter = (date_filter("created_at"), "kind", "source")
    list_select_related = ("debtor",)
    search_fields = ("reference", "debtor__external_id")
    raw_id_fields = ("debtor", "arrangement", "debt", "created_by")
