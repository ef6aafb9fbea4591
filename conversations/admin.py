from django.contrib import admin

from collections_crm.lib.admin_lists import BigTableAdmin, ReadOnlyAdminMixin, date_filter
from conversations.models import ConsentKeyword, DeliveryEvent, InboundMessage, MessageTemplate


# What a provider told us is evidence: read, never added, edited or deleted here.
@admin.register(InboundMessage)
class InboundMessageAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "sender", "channel", "debtor", "keyword", "provider")
    list_filter = (date_filter("received_at"), "channel", "provider", "keyword")
    search_fields = ("sender", "provider_message_id", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor",)
    raw_id_fields = ("debtor", "phone", "call", "attached_by")


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
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
