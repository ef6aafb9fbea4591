from django.contrib import admin

from scoring.models import ScoreCalibration, Scorecard, ScorecardRule, ScoreModel


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
