from django.contrib import admin

from collections_crm.lib.admin_lists import BigTableAdmin, date_filter
from promises.models import (
    Arrangement,
    ArrangementLimits,
    BalanceRollup,
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
    Strategy,
)


class PromiseEventInline(admin.TabularInline):
    model = PromiseEvent
    extra = 0
    readonly_fields = ("from_status", "to_status", "at", "cause", "by", "note")
    can_delete = False


@admin.register(Promise)
class PromiseAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("debtor", "amount", "currency", "due_date", "status", "collector", "resolved_at")
    list_filter = ("status", "currency", date_filter("due_date"), "collector")
    search_fields = ("debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor", "collector")
    raw_id_fields = ("debtor", "debt", "call", "arrangement", "replaces")
    autocomplete_fields = ("collector",)  # not a <select> of every user
    inlines = [PromiseEventInline]


@admin.register(Arrangement)
class ArrangementAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = (
        "debtor",
        "kind",
        "status",
        "approval_status",
        "total_amount",
        "discount_amount",
        "currency",
        "created_at",
    )
    list_filter = ("kind", "status", "approval_status", "currency")
    search_fields = ("debtor__full_name", "debtor__external_id")
    list_select_related = ()
    list_prefetch_related = ("debtor",)
    ordering = ("-pk",)  # newest first along the primary key: no index holds every row by date
    raw_id_fields = ("debtor", "debt")
    autocomplete_fields = ("created_by",)
    # Decisions go through arrangement_approve / arrangement_reject, which cancel promises and check scope.
    readonly_fields = ("approval_status", "approval_reasons", "approved_by", "approved_at", "rejection_reason")


@admin.register(ArrangementLimits)
class ArrangementLimitsAdmin(admin.ModelAdmin):
    list_display = (
        "portfolio",
        "min_share_of_balance_percent",
        "max_days_to_first_payment",
        "max_instalments",
        "max_discount_percent",
    )
    search_fields = ("portfolio__name", "portfolio__creditor__name")
    list_select_related = ("portfolio__creditor",)


@admin.register(PromiseEvent)
class PromiseEventAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("promise", "from_status", "to_status", "at", "cause", "by")
    list_filter = (date_filter("at"), "to_status", "cause")
    list_select_related = ("by",)
    list_prefetch_related = ("promise",)
    ordering = ("-pk",)  # newest first along the primary key: no index holds every row by date
    raw_id_fields = ("promise",)
    autocomplete_fields = ("by",)


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    raw_id_fields = ("promise",)


@admin.register(PaymentAllocation)
class PaymentAllocationAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("payment", "promise", "amount")
    search_fields = ("payment__reference", "promise__debtor__full_name")
    list_select_related = ()
    list_prefetch_related = ("payment", "promise")
    ordering = ("-pk",)  # newest first along the primary key
    raw_id_fields = ("payment", "promise")


@admin.register(PromiseRules)
class PromiseRulesAdmin(admin.ModelAdmin):
    list_display = (
        "portfolio",
        "grace_days",
        "tolerance_percent",
        "tolerance_amount",
        "partial_minimum_percent",
        "missed_instalment",
        "reminder_days_before",
        "due_reminder_days_before",
        "due_reminder_on_the_day",
        "due_reminder_days_after",
    )
    list_filter = ("missed_instalment",)
    search_fields = ("portfolio__name", "portfolio__creditor__name")
    list_select_related = ("portfolio__creditor",)


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "portfolio",
        "first_channel",
        "call_after_message_hours",
        "retry_after_minutes",
        "reminder_days_before",
        "due_reminder_days_before",
        "due_reminder_on_the_day",
        "due_reminder_days_after",
        "first_offer",
        "queue_weight",
        "contact_cost",
    )
    list_filter = ("first_channel", "first_offer")
    search_fields = ("name", "portfolio__name")
    list_select_related = ("portfolio",)


@admin.register(Message)
class MessageAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "debtor",
        "channel",
        "purpose",
        "recipient",
        "status",
        "send_after",
        "sent_at",
        "attempts",
    )
    list_filter = (date_filter("created_at"), "status", "channel", "purpose")
    search_fields = ("debtor__full_name", "recipient", "idempotency_key", "provider_message_id")
    list_select_related = ()
    list_prefetch_related = ("debtor",)
    ordering = ("-pk",)  # newest first along the primary key: no index holds every row by date
    raw_id_fields = ("debtor", "promise", "phone")


@admin.register(Payment)
class PaymentAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("paid_at", "debtor", "amount", "currency", "reference", "source", "credited_to")
    list_filter = (date_filter("paid_at"), "source", "currency")
    search_fields = ("reference", "debtor__full_name", "debtor__external_id")
    list_select_related = ("debtor", "credited_to")
    raw_id_fields = ("debtor", "debt", "credited_to", "recorded_by")
    inlines = [PaymentAllocationInline]
    # Newest first, from the primary key: sorting 300,000 payments by date (no index holds
    # them in that order) cost 300 ms a page. The column header still sorts by it.
    ordering = ("-pk",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by jobs and services: visible for checking, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PromiseRollup)
class PromiseRollupAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ("kind", "day", "collector", "portfolio", "currency", "status", "count", "amount")
    list_filter = ("kind", "status", "currency", date_filter("day"))
    list_select_related = ("collector", "portfolio__creditor")


@admin.register(PaymentRollup)
class PaymentRollupAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ("day", "collector", "portfolio", "currency", "count", "amount")
    list_filter = ("currency", date_filter("day"))
    list_select_related = ("collector", "portfolio__creditor")


@admin.register(BalanceRollup)
class BalanceRollupAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ("day", "assigned_to", "portfolio", "currency", "debts", "balance")
    list_filter = ("currency", date_filter("day"))
    list_select_related = ("assigned_to", "portfolio__creditor")


@admin.register(CallRollup)
class CallRollupAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ("day", "collector", "portfolio", "calls", "right_party")
    list_filter = (date_filter("day"), "collector")
    list_select_related = ("collector", "portfolio__creditor")


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "refreshed_at",
        "duration_ms",
        "days_refreshed",
        "last_event_id",
        "last_payment_id",
        "last_call_id",
    )
    search_fields = ("name",)


@admin.register(Reassignment)
class ReassignmentAdmin(ReadOnlyAdmin):
    list_display = ("at", "by", "from_collector", "to_collector", "debtor_count", "follow_up_count")
    list_filter = ("to_collector",)
    search_fields = ("by__username", "to_collector__username", "criteria")
    list_select_related = ("by", "from_collector", "to_collector")
