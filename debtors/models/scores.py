"""DebtorScore: how likely a debtor is to pay something in the next 30 days.

The scoring app computes it for a whole portfolio at a time and writes these rows set-based;
they live here, beside the debtor, so that every layer above (the API, the desk, the queue)
can read and order by them without depending on how they are computed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from debtors.models.debtors import Debtor
from debtors.models.portfolios import Portfolio

# Named: the scoring app replaces a portfolio's rows with SQL of its own (COPY on PostgreSQL).
DEBTOR_SCORE_TABLE = "debtors_debtorscore"


class DebtorScore(models.Model):
    debtor = models.OneToOneField(
        Debtor, verbose_name=_("debtor"), primary_key=True, on_delete=models.CASCADE, related_name="payment_score"
    )
    # The debtor's portfolio, copied: a scoring run replaces one portfolio's rows at once. No
    # foreign key in the database: the debtor's own one holds (a second one cost a million
    # reference checks, ≈ 4 s, at every nightly run of a 1,000,000-debtor portfolio).
    portfolio = models.ForeignKey(
        Portfolio,
        verbose_name=_("portfolio"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,  # debtorscore_portfolio_prob_idx leads with it
    )
    probability = models.FloatField(_("probability of paying within 30 days"))
    # "model 3 (logistic regression)" or "scorecard 1": what produced the figure.
    model_version = models.CharField(_("model"), max_length=64)
    # The three features that moved the score most: [{"feature", "value", "effect"}], the
    # effect in log-odds (positive raises the score).
    reasons = models.JSONField(_("why this score"), default=list)
    scored_at = models.DateTimeField(_("scored at"))
    # The segment, strategy and test arm the scoring put the debtor in, by id and name: the
    # segments and tests are the scoring app's and the strategies the promises app's, above
    # this one, so no foreign keys; the names let the API and the debtor list show them
    # without reaching up. A strategy deleted since reads as none (the portfolio's rules).
    segment_id = models.PositiveIntegerField(_("segment id"), null=True, blank=True)
    segment_name = models.CharField(_("segment"), max_length=100, blank=True, default="")
    strategy_id = models.PositiveIntegerField(_("strategy id"), null=True, blank=True)
    strategy_name = models.CharField(_("strategy"), max_length=100, blank=True, default="")
    test_id = models.PositiveIntegerField(_("strategy test id"), null=True, blank=True)
    test_arm = models.CharField(_("test arm"), max_length=10, blank=True, default="")

    class Meta:
        db_table = DEBTOR_SCORE_TABLE
        verbose_name = _("payment score")
        verbose_name_plural = _("payment scores")
        indexes = [
            models.Index(fields=["portfolio", "-probability"], name="debtorscore_portfolio_prob_idx"),
            models.Index(
                fields=["segment_id"], name="debtorscore_segment_idx", condition=models.Q(segment_id__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__gte=0) & models.Q(probability__lte=1),
                name="debtorscore_probability_0_1",
            )
        ]

    def __str__(self) -> str:
        return f"{self.debtor_id}: {self.probability:.0%}"

    @property
    def percent(self) -> int:
        return round(self.probability * 100)
