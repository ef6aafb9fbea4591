"""How a portfolio's payment scores are made: a model trained on its own history, or, while
it has too little, a scorecard of points an admin can read and edit."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from debtors.filters import SCORING_PARAMETERS
from scoring.features import FEATURE_CHOICES


class Scorecard(models.Model):
    """Points per feature band, turned into a probability the way credit scorecards do: at
    `points_at_even_odds` paying and not paying are as likely; every `points_to_double_odds`
    more points double the odds of paying."""

    portfolio = models.OneToOneField(
        "debtors.Portfolio",
        verbose_name=_("portfolio"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scorecard",
        help_text=_("Empty: the scorecard of every portfolio that has none of its own."),
    )
    name = models.CharField(_("name"), max_length=100)
    base_points = models.IntegerField(_("points every debtor starts with"), default=50)
    points_at_even_odds = models.IntegerField(_("points at even odds"), default=60)
    points_to_double_odds = models.PositiveSmallIntegerField(
        _("points that double the odds"), default=20, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            # One default (no portfolio) at most, as one per portfolio.
            models.UniqueConstraint(Coalesce("portfolio", models.Value(0)), name="scorecard_one_default"),
            models.CheckConstraint(
                condition=models.Q(points_to_double_odds__gte=1), name="scorecard_doubling_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def version(self) -> str:
        return f"scorecard-{self.pk}"


class ScorecardRule(models.Model):
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.CASCADE, related_name="rules"
    )
    feature = models.CharField(_("feature"), max_length=32, choices=FEATURE_CHOICES)
    from_value = models.FloatField(_("from (inclusive)"), null=True, blank=True, help_text=_("Empty: no lower bound."))
    below_value = models.FloatField(_("below"), null=True, blank=True, help_text=_("Empty: no upper bound."))
    points = models.IntegerField(_("points"))

    class Meta:
        verbose_name = _("scorecard rule")
        verbose_name_plural = _("scorecard rules")
        ordering = ["scorecard", "feature", "from_value"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_value__isnull=True)
                | models.Q(below_value__isnull=True)
                | models.Q(from_value__lt=models.F("below_value")),
                name="scorecard_rule_band_not_empty",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_feature_display()}: {self.points:+d}"


class ScoreModel(models.Model):
    """A model trained on one portfolio's history; the latest one scores the portfolio."""

    portfolio = models.ForeignKey(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="score_models"
    )
    version = models.PositiveIntegerField(_("version"))
    trained_at = models.DateTimeField(_("trained at"))
    # Features as of this moment, outcomes in the 30 days after it.
    history_as_of = models.DateTimeField(_("history as of"))
    examples = models.PositiveIntegerField(_("debtors learnt from"))
    payers = models.PositiveIntegerField(_("of whom paid"))
    held_out_auc = models.FloatField(_("AUC on held-out debtors"), null=True, blank=True)
    parameters = models.JSONField(_("parameters"))

    class Meta:
        verbose_name = _("score model")
        verbose_name_plural = _("score models")
        ordering = ["portfolio", "-version"]
        constraints = [models.UniqueConstraint(fields=["portfolio", "version"], name="score_model_version_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"model-{self.version}"


class ScoreCalibration(models.Model):
    """One score decile of a portfolio over the last 30 days whose outcomes are known: what the
    score said, what happened. Rewritten by the nightly scoring."""

    portfolio = models.ForeignKey(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="score_calibration"
    )
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    model_version = models.CharField(_("model"), max_length=64)
    decile = models.PositiveSmallIntegerField(_("decile"))
    debtors = models.PositiveIntegerField(_("debtors"))
    predicted = models.FloatField(_("predicted payment rate"))
    actual = models.FloatField(_("actual payment rate"))
    recovered = models.DecimalField(_("amount recovered"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("score calibration")
        verbose_name_plural = _("score calibration")
        ordering = ["portfolio", "-decile"]
        constraints = [models.UniqueConstraint(fields=["portfolio", "decile"], name="score_calibration_decile_unique")]

    def __str__(self) -> str:
        return f"{self.portfolio_id} · {self.decile}"


def _band_not_empty(low: str, high: str) -> models.Q:
    return (
        models.Q(**{f"{low}__isnull": True})
        | models.Q(**{f"{high}__isnull": True})
        | models.Q(**{f"{low}__lt": models.F(high)})
    )


BANDS = (
    ("score_from_percent", "score_below_percent"),
    ("days_past_due_from", "days_past_due_below"),
    ("balance_from", "balance_below"),
)


class Segment(models.Model):
    """A slice of a portfolio (score band × days past due × balance, and optionally the
    debtors of a saved filter) and the strategy that treats it. A debtor belongs to the first
    segment, by position, whose conditions they meet; they are applied when the debtors are
    scored (nightly, or "Score now")."""

    portfolio = models.ForeignKey(
        "debtors.Portfolio", verbose_name=_("portfolio"), on_delete=models.CASCADE, related_name="segments"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("A debtor who fits several segments belongs to the first.")
    )
    score_from_percent = models.PositiveSmallIntegerField(
        _("probability of payment from (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    score_below_percent = models.PositiveSmallIntegerField(
        _("probability of payment below (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    days_past_due_from = models.PositiveIntegerField(_("days past due from"), null=True, blank=True)
    days_past_due_below = models.PositiveIntegerField(_("days past due below"), null=True, blank=True)
    balance_from = models.DecimalField(_("balance from"), max_digits=14, decimal_places=2, null=True, blank=True)
    balance_below = models.DecimalField(_("balance below"), max_digits=14, decimal_places=2, null=True, blank=True)
    saved_filter = models.ForeignKey(
        "debtors.SavedFilter",
        verbose_name=_("only the debtors of a saved filter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="segments",
        help_text=_("Empty: every debtor of the portfolio who fits the bands."),
    )
    strategy = models.ForeignKey(
        "promises.Strategy", verbose_name=_("strategy"), on_delete=models.PROTECT, related_name="segments"
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["portfolio", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "name"], name="segment_unique_name"),
            models.CheckConstraint(
                condition=_band_not_empty("score_from_percent", "score_below_percent"), name="segment_score_band"
            ),
            models.CheckConstraint(
                condition=_band_not_empty("days_past_due_from", "days_past_due_below"), name="segment_dpd_band"
            ),
            models.CheckConstraint(
                condition=_band_not_empty("balance_from", "balance_below"), name="segment_balance_band"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.strategy_id and self.portfolio_id and self.strategy.portfolio_id != self.portfolio_id:
            raise ValidationError({"strategy": _("Choose a strategy of this segment's portfolio.")})
        if self.saved_filter_id and SCORING_PARAMETERS & set(QueryDict(self.saved_filter.query)):
            raise ValidationError(
                {
                    "saved_filter": _(
                        "Choose a filter without score, segment or strategy conditions: "
                        "segments are worked out from the score."
                    )
                }
            )
        for low, high in BANDS:
            if getattr(self, low) is not None and getattr(self, high) is not None:
                if getattr(self, low) >= getattr(self, high):
                    raise ValidationError({high: _("The upper bound must be above the lower one.")})


class StrategyTest(models.Model):
    """Champion/challenger: a stable random share of a segment is treated by the challenger.

    Which debtors are in which arm depends only on the debtor's id and the test's (a hash),
    so that a debtor never changes arm; each debtor's arm is recorded the first time they are
    scored in the segment, and the results count every debtor ever assigned."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PROMOTED = "promoted", _("Challenger promoted")
        STOPPED = "stopped", _("Stopped, champion kept")

    segment = models.ForeignKey(Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="tests")
    name = models.CharField(_("name"), max_length=100)
    champion = models.ForeignKey(
        "promises.Strategy", verbose_name=_("champion"), on_delete=models.PROTECT, related_name="+"
    )
    challenger = models.ForeignKey(
        "promises.Strategy", verbose_name=_("challenger"), on_delete=models.PROTECT, related_name="+"
    )
    challenger_percent = models.PositiveSmallIntegerField(
        _("share treated by the challenger (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("strategy test")
        verbose_name_plural = _("strategy tests")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment"], condition=models.Q(status="running"), name="strategy_test_one_running"
            ),
            models.CheckConstraint(
                condition=~models.Q(champion=models.F("challenger")), name="strategy_test_two_strategies"
            ),
            models.CheckConstraint(
                condition=models.Q(challenger_percent__gte=1, challenger_percent__lte=99),
                name="strategy_test_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ArmAssignment(models.Model):
    """A debtor's arm in a test, from the first time they were scored in its segment."""

    class Arm(models.TextChoices):
        CHAMPION = "champion", _("Champion")
        CHALLENGER = "challenger", _("Challenger")

    test = models.ForeignKey(StrategyTest, verbose_name=_("test"), on_delete=models.CASCADE, related_name="assignments")
    # The (test, debtor) constraint's index serves lookups by test; none by debtor is needed.
    debtor = models.ForeignKey(
        "debtors.Debtor", verbose_name=_("debtor"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    arm = models.CharField(_("arm"), max_length=10, choices=Arm.choices)
    assigned_at = models.DateTimeField(_("assigned"))

    class Meta:
        verbose_name = _("test assignment")
        verbose_name_plural = _("test assignments")
        constraints = [models.UniqueConstraint(fields=["test", "debtor"], name="arm_assignment_once")]

    def __str__(self) -> str:
        return f"{self.test_id} · {self.debtor_id}: {self.arm}"
