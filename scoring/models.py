"""How a portfolio's payment scores are made: a model trained on its own history, or, while
it has too little, a scorecard of points an admin can read and edit."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

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
