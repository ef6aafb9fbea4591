"""Reading payment scores: one debtor's, explained, with the strategy treating them; a
portfolio's calibration by decile; the segments."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from debtors.models import DebtorScore
from promises.models import Strategy
from scoring.models import ArmAssignment, ScoreCalibration, Segment, StrategyTest
from scoring.reasons import effect_text, method_text, reason_text


@dataclass(frozen=True)
class Reason:
    text: str
    effect: str
    raises: bool


@dataclass(frozen=True)
class ExplainedScore:
    percent: int
    model_version: str
    scored_at: datetime
    reasons: list[Reason]


def score_explained(debtor) -> ExplainedScore | None:
    """The debtor's score with its reasons in the reader's language; None before any scoring.
    Reads the score the debtor was fetched with (`with_payment_score`), else one query."""
    try:
        score = debtor.payment_score
    except DebtorScore.DoesNotExist:
        return None
    return ExplainedScore(
        percent=score.percent,
        model_version=method_text(score.model_version),
        scored_at=score.scored_at,
        reasons=[
            Reason(
                text=reason_text(item["feature"], item["value"]),
                effect=effect_text(item["effect"]),
                raises=item["effect"] > 0,
            )
            for item in score.reasons
        ],
    )


@dataclass(frozen=True)
class Treatment:
    segment: str
    strategy: object  # promises.Strategy
    test: StrategyTest | None
    arm: str


def treatment_explained(debtor) -> Treatment | None:
    """The segment and strategy the latest scoring put the debtor in, and their arm if the
    segment is under test; None outside any segment. No query for a debtor in none."""
    try:
        score = debtor.payment_score
    except DebtorScore.DoesNotExist:
        return None
    if score.strategy_id is None:
        return None
    strategy = Strategy.objects.filter(pk=score.strategy_id).first()
    if strategy is None:
        return None
    test = StrategyTest.objects.filter(pk=score.test_id).first() if score.test_id else None
    arm = ArmAssignment.Arm(score.test_arm).label if test and score.test_arm else ""
    return Treatment(segment=score.segment_name, strategy=strategy, test=test, arm=arm)


@dataclass(frozen=True)
class PortfolioCalibration:
    portfolio: object
    currency: str
    method: str
    window_start: datetime
    window_end: datetime
    deciles: list[ScoreCalibration]


def score_calibration(*, portfolio_id: int | None = None, creditor_id: int | None = None) -> list[PortfolioCalibration]:
    """Per portfolio (one, a creditor's, or all), its score deciles over the last completed
    30 days, likeliest payers first. One query."""
    rows = ScoreCalibration.objects.select_related("portfolio").order_by("portfolio__name", "portfolio_id", "-decile")
    if portfolio_id is not None:
        rows = rows.filter(portfolio_id=portfolio_id)
    if creditor_id is not None:
        rows = rows.filter(portfolio__creditor_id=creditor_id)
    found: dict[int, PortfolioCalibration] = {}
    for row in rows:
        if row.portfolio_id not in found:
            found[row.portfolio_id] = PortfolioCalibration(
                portfolio=row.portfolio,
                currency=row.portfolio.currency,
                method=method_text(row.model_version),
                window_start=row.window_start,
                window_end=row.window_end,
                deciles=[],
            )
        found[row.portfolio_id].deciles.append(row)
    return list(found.values())


def segments_for_supervisors():
    """Every portfolio's segments in the order debtors are matched, with their strategy and
    how many debtors the latest scoring put in each."""
    members = (
        DebtorScore.objects.filter(segment_id=OuterRef("pk"))
        .order_by()
        .values("segment_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Segment.objects.select_related("portfolio", "strategy", "saved_filter")
        .annotate(debtors=Coalesce(Subquery(members), 0))
        .order_by("portfolio__name", "portfolio_id", "position", "pk")
    )
