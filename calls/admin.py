from django.contrib import admin

from calls.models import Call, FollowUp


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("started_at", "debtor", "collector", "channel", "outcome", "stance", "commitment")
    list_filter = ("channel", "direction", "outcome", "stance", "stance_reason", "commitment", "collector")
    search_fields = ("debtor__full_name", "debtor__external_id", "notes")
    list_select_related = ("debtor", "collector")
    raw_id_fields = ("debtor", "phone")
    date_hierarchy = "started_at"
    show_full_result_count = False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("due_at", "debtor", "assigned_to", "reason", "status", "created_by", "created_by_job")
    list_filter = ("reason", "status", "assigned_to")
    search_fields = ("debtor__full_name", "debtor__external_id", "subject_key")
    list_select_related = ("debtor", "assigned_to", "created_by")
    raw_id_fields = ("debtor", "promise", "call")
    date_hierarchy = "due_at"
    show_full_result_count = False
