from django.contrib import admin

from collections_crm.lib.admin_lists import BigTableAdmin, ReadOnlyAdminMixin, date_filter
from selfservice.models import PaymentLink, SelfServiceEvent, SelfServiceLimits, SelfServiceLink


@admin.register(SelfServiceLimits)
class SelfServiceLimitsAdmin(admin.ModelAdmin):
    """What a debtor may agree alone on the page, per portfolio."""

    list_display = (
        "portfolio",
        "enabled",
        "link_days",
        "max_days_to_promise",
        "max_instalments",
        "settlement_discount_percent",
    )
    list_select_related = ("portfolio__creditor",)
    search_fields = ("portfolio__name", "portfolio__creditor__name")
    raw_id_fields = ("portfolio",)


@admin.register(SelfServiceLink)
class SelfServiceLinkAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: links are sent and revoked from the debtor page."""

    list_display = (
        "debtor",
        "channel",
        "created_by",
        "created_at",
        "expires_at",
        "failed_attempts",
        "locked_at",
        "revoked_at",
    )
    list_filter = (date_filter("created_at"), "channel")
    list_select_related = ("debtor", "created_by")
    search_fields = ("debtor__external_id",)
    raw_id_fields = ("debtor", "created_by", "revoked_by", "document")


@admin.register(SelfServiceEvent)
class SelfServiceEventAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: every request made through a link."""

    list_display = ("at", "kind", "debtor", "ip", "path", "detail")
    list_filter = (date_filter("at"), "kind")
    list_select_related = ("debtor",)
    search_fields = ("debtor__external_id", "ip")
    raw_id_fields = ("link", "debtor")


@admin.register(PaymentLink)
class PaymentLinkAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: made on the page, settled by the provider's notice."""

    list_display = ("created_at", "debtor", "amount", "currency", "provider", "provider_id", "status", "paid_at")
    list_filter = (date_filter("created_at"), "status", "provider")
    list_select_related = ("debtor",)
    search_fields = ("provider_id", "debtor__external_id")
    raw_id_fields = ("debtor", "promise", "link", "payment")
