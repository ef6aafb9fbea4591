from django.contrib import admin
from django.db import models
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from calls.models import (
    Call,
    ContactPolicy,
    ContactRule,
    DebtorChannelAuthorisation,
    DialerDisposition,
    FollowUp,
    FollowUpEvent,
    PhoneContactability,
    PhoneStatusChange,
    PolicyOverride,
    PortfolioContactSettings,
)
from calls.policy import policy_cache_clear
from collections_crm.lib.admin_lists import BigTableAdmin, ReadOnlyAdminMixin, date_filter


@admin.register(Call)
class CallAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("started_at", "debtor", "collector", "channel", "outcome", "stance", "commitment")
    # A recording's address typed without a scheme is read as https (Django 6's default, said now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = (
        date_filter("started_at"),
        "channel",
        "direction",
        "outcome",
        "stance",
        "stance_reason",
        "commitment",
        "collector",
    )
    search_fields = ("debtor__full_name", "debtor__external_id", "notes")
    list_select_related = ("debtor", "collector")
    raw_id_fields = ("debtor", "phone", "debt", "override_by")
    # A <select> of every user took half the page to render; the search asks the user admin.
    autocomplete_fields = ("collector",)


@admin.register(PolicyOverride)
class PolicyOverrideAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = (
        "started_at",
        "local_time",
        "debtor",
        "channel",
        "policy_code",
        "policy_version",
        "override_by",
        "override_reason",
    )
    list_filter = (date_filter("started_at"), "policy_code", "channel", "override_by", "collector")
    search_fields = ("debtor__full_name", "debtor__external_id", "override_reason")
    list_select_related = ("override_by",)
    list_prefetch_related = ("debtor",)
    # Newest first by primary key: ordered by time, SQLite walked every call's time index to
    # find the few overrides (3 s at 200,000 calls).
    ordering = ("-pk",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(override_by__isnull=False)

    # Evidence is kept as recorded.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ContactRuleInline(admin.TabularInline):
    model = ContactRule
    fk_name = "policy"
    extra = 0
    fields = ("kind", "channels", "params", "mode", "citation", "confidence")


class PortfolioContactRuleInline(ContactRuleInline):
    fk_name = "portfolio_settings"


class PolicyCacheClearingAdmin(admin.ModelAdmin):
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        policy_cache_clear()


@admin.register(ContactPolicy)
class ContactPolicyAdmin(PolicyCacheClearingAdmin):
    # "Save as new" with a higher version is how a preset gets a new version; the engine
    # uses the newest active one and calls keep the version they were checked against.
    save_as = True
    list_display = ("code", "version", "kind", "name", "confidence", "is_active", "created_at")
    list_filter = ("kind", "is_active", "confidence")
    search_fields = ("code", "name", "citation")
    inlines = [ContactRuleInline]


@admin.register(ContactRule)
class ContactRuleAdmin(admin.ModelAdmin):
    list_display = ("policy", "portfolio_settings", "kind", "channels", "mode", "confidence", "citation")
    list_filter = ("kind", "mode", "confidence", "policy__code")
    search_fields = ("citation", "policy__code")
    list_select_related = ("policy", "portfolio_settings__portfolio__creditor")
    raw_id_fields = ("policy", "portfolio_settings")


@admin.register(PortfolioContactSettings)
class PortfolioContactSettingsAdmin(PolicyCacheClearingAdmin):
    list_display = ("portfolio", "overlay_codes", "holiday_subdivision", "updated_at")
    search_fields = ("portfolio__name",)
    list_select_related = ("portfolio__creditor",)
    raw_id_fields = ("portfolio",)
    inlines = [PortfolioContactRuleInline]


@admin.register(DebtorChannelAuthorisation)
class DebtorChannelAuthorisationAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("debtor", "channel", "source", "authorised_at", "revoked_at", "recorded_by")
    list_filter = ("channel",)
    search_fields = ("debtor__full_name", "debtor__external_id", "source")
    list_select_related = ("recorded_by",)
    list_prefetch_related = ("debtor",)
    # Newest first by primary key: ordered by debtor, the list sorted by every debtor's name.
    ordering = ("-pk",)
    raw_id_fields = ("debtor", "recorded_by")


class FollowUpEventInline(admin.TabularInline):
    """The follow-up's changes (settled by a call, done or moved by hand): a record, never edited."""

    model = FollowUpEvent
    fields = ("at", "kind", "from_due_at", "to_due_at", "by", "call", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("due_at", "debtor", "assigned_to", "reason", "status", "created_by", "created_by_job")
    list_filter = (date_filter("due_at"), "reason", "status", "assigned_to")
    search_fields = ("debtor__full_name", "debtor__external_id", "subject_key")
    list_select_related = ("debtor", "assigned_to", "created_by")
    raw_id_fields = ("debtor", "promise", "call")
    autocomplete_fields = ("assigned_to", "created_by")
    # Newest first, from the primary key: sorting 175,000 follow-ups by due time (no index
    # holds every one of them) cost 300 ms a page. The column header still sorts by it.
    ordering = ("-pk",)
    inlines = [FollowUpEventInline]


@admin.register(FollowUpEvent)
class FollowUpEventAdmin(BigTableAdmin, admin.ModelAdmin):
    """Every change of a follow-up: who, when, why. A record: read, never written here."""

    list_display = ("at", "debtor", "kind", "from_due_at", "to_due_at", "by", "note")
    list_filter = (date_filter("at"), "kind", "by")
    search_fields = ("debtor__full_name", "debtor__external_id", "note")
    list_select_related = ("by",)
    list_prefetch_related = ("debtor",)
    raw_id_fields = ("follow_up", "debtor", "call", "by")
    ordering = ("-pk",)  # newest first along the primary key: no index holds every row by date

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Call review (recordings and QA scorecards) ---
from calls.models import CallRecording, CallRecordingVersion, CallReview  # noqa: E402  (kept apart from the desk's imports above)


# Recordings are attached and replaced on the review page only (which checks the audio and asks
# why); here they are read, never added, edited or deleted, so their history holds.
@admin.register(CallRecording)
class CallRecordingAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("call", "original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    list_select_related = ("uploaded_by",)
    list_prefetch_related = (Prefetch("call", queryset=Call.objects.select_related("debtor")),)
    ordering = ("-pk",)
    search_fields = ("call__debtor__full_name", "original_name")
    readonly_fields = (
        "call",
        "file",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "earlier_recordings",
    )

    @admin.display(description=_("Earlier recordings"))
    def earlier_recordings(self, obj):
        versions = (
            CallRecordingVersion.objects.filter(call_id=obj.call_id)
            .select_related("replaced_by")
            .order_by("-replaced_at", "-pk")
        )
        return (
            format_html_join(
                mark_safe("<br>"),
                '<a href="{}">{}</a> · {} · {}',
                (
                    (
                        reverse("admin:calls_callrecordingversion_change", args=[version.pk]),
                        version.original_name or version.file.name,
                        version.replaced_by,
                        version.reason,
                    )
                    for version in versions
                ),
            )
            or "—"
        )


@admin.register(CallRecordingVersion)
class CallRecordingVersionAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("call", "original_name", "uploaded_by", "replaced_by", "replaced_at", "reason")
    list_filter = (date_filter("replaced_at"), "replaced_by")
    list_select_related = ("uploaded_by", "replaced_by")
    list_prefetch_related = (Prefetch("call", queryset=Call.objects.select_related("debtor")),)
    ordering = ("-pk",)  # newest first along the primary key: no index holds every row by date
    search_fields = ("call__debtor__full_name", "original_name", "reason")
    readonly_fields = (
        "call",
        "file",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "replaced_by",
        "replaced_at",
        "reason",
    )


@admin.register(CallReview)
class CallReviewAdmin(BigTableAdmin, admin.ModelAdmin):
    list_display = ("call", "collector", "reviewer", "score", "reviewed_at")
    list_filter = (date_filter("reviewed_at"), "collector", "reviewer")
    search_fields = ("collector__username", "call__debtor__full_name", "comments")
    list_select_related = ("collector", "reviewer")
    list_prefetch_related = (Prefetch("call", queryset=Call.objects.select_related("debtor")),)
    ordering = ("-pk",)  # newest first along the primary key: no index holds every row by date
    raw_id_fields = ("call",)
    autocomplete_fields = ("collector", "reviewer")


@admin.register(DialerDisposition)
class DialerDispositionAdmin(admin.ModelAdmin):
    list_display = ("dialer", "code", "outcome")
    list_filter = ("dialer", "outcome")
    search_fields = ("code",)


@admin.register(PhoneContactability)
class PhoneContactabilityAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: recounted every night from the calls (calls.tasks.refresh_contactability)."""

    list_display = ("phone", "weekday", "hour", "attempts", "connects", "right_party", "counted_at")
    list_filter = ("weekday", "hour")
    list_select_related = ("phone",)
    search_fields = ("phone__number",)
    raw_id_fields = ("phone",)


@admin.register(PhoneStatusChange)
class PhoneStatusChangeAdmin(BigTableAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: written when failed attempts demote a number and when it is restored."""

    list_display = ("phone", "from_status", "to_status", "at", "by", "source", "reason")
    list_filter = ("source", "to_status")
    list_select_related = ("phone", "by")
    search_fields = ("phone__number",)
    raw_id_fields = ("phone", "debtor", "call")
