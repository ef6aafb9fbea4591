from django.contrib import admin

from promises.models import (
    Arrangement,
    ArrangementLimits,
    CallRollup,
    Message,
    Payment,
    PaymentAllocation,
    PaymentRollup,
    Promise,
    PromiseEvent,
    PromiseRollup,
    PromiseRules,
    Reassignment,
    RollupState,
)


class PromiseEventInline(admin.TabularInline):
    model = PromiseEvent
    extra = 0
    readonly_fields = ("from_status", "to_status", "at", "cause", "by", "note")
    can_delete = False


@admin.register(Promise)
class PromiseAdmin(admin.ModelAdmin):
    list_display = ("debtor", "amount", "currency", "due_date", "status", "collector", "resolved_at")
    list_filter = ("status", "currency", "collector")
    search_fields = ("debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor", "collector")
    raw_id_fields = ("debtor", "debt", "call", "arrangement", "replaces")
    date_hierarchy = "due_date"
    inlines = [PromiseEventInline]
    show_full_result_count = False


@admin.register(Arrangement)
class ArrangementAdmin(admin.ModelAdmin):
    list_display = ("debtor", "kind", "status", "approval_status", "total_amount", "discount_amount", "currency", "created_at")
    list_filter = ("kind", "status", "approval_status", "currency")
    search_fields = ("debtor__full_name", "debtor__external_id")
    raw_id_fields = ("debtor", "debt")
    # Decisions go through arrangement_approve / arrangement_reject, which cancel promises and check scope.
    readonly_fields = ("approval_status", "approval_reasons", "approved_by", "approved_at", "rejection_reason")


@admin.register(ArrangementLimits)
class ArrangementLimitsAdmin(admin.ModelAdmin):
    list_display = ("portfolio", "min_share_of_balance_percent", "max_days_to_first_payment", "max_instalments", "max_discount_percent")
    search_fields = ("portfolio__name", "portfolio__creditor__name")


@admin.register(PromiseEvent)
class PromiseEventAdmin(admin.ModelAdmin):
    list_display = ("promise", "from_status", "to_status", "at", "cause", "by")
    list_filter = ("to_status", "cause")
    raw_id_fields = ("promise",)
    date_hierarchy = "at"
    show_full_result_count = False


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    raw_id_fields = ("promise",)


@admin.register(PaymentAllocation)
class PaymentAllocationAdmin(admin.ModelAdmin):
    list_display = ("payment", "promise", "amount")
    search_fields = ("payment__reference", "promise__debtor__full_name")
    raw_id_fields = ("payment", "promise")


@admin.register(PromiseRules)
class PromiseRulesAdmin(admin.ModelAdmin):
    list_display = ("portfolio", "grace_days", "tolerance_percent", "tolerance_amount", "partial_minimum_percent", "missed_instalment", "reminder_days_before")
    list_filter = ("missed_instalment",)
    search_fields = ("portfolio__name", "portfolio__creditor__name")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "debtor", "channel", "purpose", "recipient", "status", "send_after", "sent_at", "attempts")
    list_filter = ("status", "channel", "purpose")
    search_fields = ("debtor__full_name", "recipient", "idempotency_key", "provider_message_id")
    raw_id_fields = ("debtor", "promise", "phone")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("paid_at", "debtor", "amount", "currency", "reference", "source", "credited_to")
    list_filter = ("source", "currency")
    search_fields = ("reference", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor", "credited_to")
    raw_id_fields = ("debtor", "debt", "credited_to", "recorded_by")
    date_hierarchy = "paid_at"
    inlines = [PaymentAllocationInline]
    show_full_result_count = False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by jobs and services: visible for checking, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PromiseRollup)
class PromiseRollupAdmin(ReadOnlyAdmin):
    list_display = ("kind", "day", "collector", "portfolio", "currency", "status", "count", "amount")
    list_filter = ("kind", "status", "currency")
    date_hierarchy = "day"
    show_full_result_count = False


@admin.register(PaymentRollup)
class PaymentRollupAdmin(ReadOnlyAdmin):
    list_display = ("day", "collector", "portfolio", "currency", "count", "amount")
    list_filter = ("currency",)
    date_hierarchy = "day"


@admin.register(CallRollup)
class CallRollupAdmin(ReadOnlyAdmin):
    list_display = ("day", "collector", "portfolio", "calls", "right_party")
    list_filter = ("collector",)
    date_hierarchy = "day"


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdmin):
    list_display = ("name", "refreshed_at", "duration_ms", "days_refreshed", "last_event_id", "last_payment_id", "last_call_id")
    search_fields = ("name",)


@admin.register(Reassignment)
class ReassignmentAdmin(ReadOnlyAdmin):
    list_display = ("at", "by", "from_collector", "to_collector", "debtor_count", "follow_up_count")
    list_filter = ("to_collector",)
    search_fields = ("by__username", "to_collector__username", "criteria")
