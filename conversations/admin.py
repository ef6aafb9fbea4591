from django.contrib import admin

from collections_crm.lib.admin_lists import BigTableAdmin, date_filter
from conversations.models import ConsentKeyword, DeliveryEvent, InboundMessage, MessageTemplate


class EvidenceAdmin(admin.ModelAdmin):
    """What a provider told us is evidence: read, never edited or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(BigTableAdmin, EvidenceAdmin):
    list_display = ("received_at", "sender", "channel", "debtor", "keyword", "provider")
    list_filter = (date_filter("received_at"), "channel", "provider", "keyword")
    search_fields = ("sender", "provider_message_id", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor",)
    raw_id_fields = ("debtor", "phone", "call", "attached_by")


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(BigTableAdmin, EvidenceAdmin):
    list_display = ("occurred_at", "provider_message_id", "status", "error_code", "error_reason", "provider")
    list_filter = (date_filter("occurred_at"), "status", "provider")
    search_fields = ("provider_message_id", "error_code")
    raw_id_fields = ("message",)


@admin.register(ConsentKeyword)
class ConsentKeywordAdmin(admin.ModelAdmin):
    list_display = ("word", "language", "action")
    list_filter = ("language", "action")
    search_fields = ("word",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "provider_name", "channel", "language", "active")
    list_filter = ("channel", "language", "active")
    search_fields = ("name", "provider_name", "body")
