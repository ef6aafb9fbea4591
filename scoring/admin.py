from django import forms
from django.contrib import admin

from collections_crm.lib.admin_lists import BigTableAdmin
from scoring.models import ArmAssignment, ScoreCalibration, Scorecard, ScorecardRule, ScoreModel, Segment, StrategyTest
from scoring.services import strategy_test_problems, strategy_test_start


class ScorecardRuleInline(admin.TabularInline):
    model = ScorecardRule
    extra = 1


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["name", "portfolio", "base_points", "points_at_even_odds", "points_to_double_odds", "updated_at"]
    search_fields = ["name", "portfolio__name"]
    inlines = [ScorecardRuleInline]


@admin.register(ScorecardRule)
class ScorecardRuleAdmin(admin.ModelAdmin):
    """Every rule of every scorecard in one list; each is edited on its scorecard too."""

    list_display = ["scorecard", "feature", "from_value", "below_value", "points"]
    list_filter = ["scorecard", "feature"]


@admin.register(ScoreModel)
class ScoreModelAdmin(admin.ModelAdmin):
    """Trained by the scoring job; read here, never edited."""

    list_display = ["portfolio", "version", "trained_at", "examples", "payers", "held_out_auc"]
    list_filter = ["portfolio"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScoreCalibration)
class ScoreCalibrationAdmin(admin.ModelAdmin):
    list_display = ["portfolio", "decile", "debtors", "predicted", "actual", "recovered", "window_end"]
    list_filter = ["portfolio"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "portfolio",
        "position",
        "score_from_percent",
        "score_below_percent",
        "days_past_due_from",
        "days_past_due_below",
        "balance_from",
        "balance_below",
        "saved_filter",
        "strategy",
    ]
    list_filter = ["portfolio"]
    list_select_related = ["portfolio", "strategy", "saved_filter"]
    search_fields = ["name", "portfolio__name"]


class StrategyTestAdminForm(forms.ModelForm):
    class Meta:
        model = StrategyTest
        fields = ["segment", "name", "challenger", "challenger_percent"]

    def clean(self):
        """The start's checks as form errors (strategy_test_start would raise them as a 500)."""
        data = super().clean()
        segment, challenger = data.get("segment"), data.get("challenger")
        percent = data.get("challenger_percent")
        if self.instance.pk or segment is None or challenger is None or percent is None:
            return data
        for field, message in strategy_test_problems(
            segment=segment, challenger=challenger, challenger_percent=percent
        ).items():
            self.add_error(field, message)
        return data


@admin.register(StrategyTest)
class StrategyTestAdmin(admin.ModelAdmin):
    """Started here (the champion is the segment's strategy); promoted or stopped by a
    supervisor on the test's page, where its results are."""

    form = StrategyTestAdminForm
    list_display = ["name", "segment", "champion", "challenger", "challenger_percent", "status", "started_at"]
    list_filter = ["status"]
    list_select_related = ["segment__portfolio", "champion", "challenger"]

    def get_readonly_fields(self, request, obj=None):
        # Changing the share or the strategies of a running test would move debtors between arms.
        if obj is None:
            return []
        return ["segment", "challenger", "challenger_percent", "champion", "status", "started_at", "ended_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        created = strategy_test_start(
            segment=obj.segment,
            challenger=obj.challenger,
            name=obj.name,
            challenger_percent=obj.challenger_percent,
        )
        obj.pk = created.pk
        obj.champion_id = created.champion_id
        obj.started_at = created.started_at


@admin.register(ArmAssignment)
class ArmAssignmentAdmin(BigTableAdmin, admin.ModelAdmin):
    """Written by the scoring, once per debtor and test; read here, never edited (a moved
    debtor would bias the comparison)."""

    list_display = ["test", "debtor", "arm", "assigned_at"]
    list_filter = ["arm", "test"]
    list_select_related = ["test"]
    list_prefetch_related = ("debtor",)
    raw_id_fields = ["debtor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
