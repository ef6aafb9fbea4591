"""Writing payment scores: training a portfolio's model, scoring its debtors, and checking the
score against what happened (the backtest, and the calibration the health page shows).

How a portfolio is scored (`portfolio_score`):
1. Its history: the debtors as they stood 30 days ago and who of them paid since.
2. With enough of it (MIN_EXAMPLES debtors, MIN_EACH_OUTCOME payers and as many non-payers),
   a logistic regression is trained on it and kept as the portfolio's next ScoreModel; with
   less, the portfolio's scorecard (or the default one) scores.
3. The calibration: the same method, as it would have run 30 days ago, against what happened
   since, by score decile (before step 4, so that the history's features are let go first).
4. The debtors as they stand now are scored; each portfolio's DebtorScore rows are replaced
   in one transaction, each with the three features that moved it most and the segment,
   strategy and test arm it falls in (scoring.segmentation; first arms are recorded).

Champion/challenger tests are started and ended here too (`strategy_test_start`,
`strategy_test_end`).
"""

import io
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_crm.lib.background import OneInFlight
from debtors.models import DEBTOR_SCORE_TABLE, DebtorScore, Portfolio
from promises.models import Strategy
from scoring import maths
from scoring.features import COLUMN, FEATURE_NAMES, LOGGED, OUTCOME_DAYS, Book, book_as_of, payers_between
from scoring.models import ScoreCalibration, Scorecard, ScorecardRule, ScoreModel, Segment, StrategyTest
from scoring.scorecard_defaults import DEFAULT_RULES, DEFAULT_SCORECARD
from scoring.segmentation import assignments_record, book_treatments

logger = logging.getLogger(__name__)

MIN_EXAMPLES = 500
MIN_EACH_OUTCOME = 20
WINDOW = timedelta(days=OUTCOME_DAYS)


@dataclass
class Method:
    """What scores a book: a trained model's parameters, or a scorecard."""

    version: str
    parameters: dict | None = None
    scorecard: Scorecard | None = None
    rules: list = field(default_factory=list)

    def apply(self, book: Book) -> maths.Scored:
        if self.parameters is not None:
            return maths.logistic_apply(self.parameters, maths.transform(book.values, LOGGED))
        card = self.scorecard
        return maths.scorecard_apply(
            self.rules,
            book.values,
            base_points=card.base_points,
            points_at_even_odds=card.points_at_even_odds,
            points_to_double_odds=card.points_to_double_odds,
        )


@dataclass
class ScoringResult:
    portfolio_id: int
    scored: int
    method: str
    trained: bool
    examples: int
    payers: int
    held_out_auc: float | None
    seconds: float


def portfolio_score(*, portfolio: Portfolio, now: datetime | None = None) -> ScoringResult:
    """Trains (when the history allows) and scores one portfolio's open debtors; see the module."""
    started = time.perf_counter()
    now = now or timezone.now()
    then = now - WINDOW
    history = book_as_of(portfolio.pk, then)
    paid, recovered = payers_between(portfolio.pk, then, now, history.debtor_ids)
    method, model = _method_from_history(portfolio, history, paid, trained_at=now, history_as_of=then)
    _calibration_write(portfolio=portfolio, history=history, paid=paid, recovered=recovered, now=now)
    examples, payers = len(history), int(paid.sum())
    del history  # a million debtors' features (136 MB): gone before today's are read
    book = book_as_of(portfolio.pk, now)
    scored = len(book)
    scores_write(portfolio=portfolio, book=book, scored=method.apply(book), version=method.version, at=now)
    return ScoringResult(
        portfolio_id=portfolio.pk,
        scored=scored,
        method=method.version,
        trained=model is not None,
        examples=examples,
        payers=payers,
        held_out_auc=None if model is None else model.held_out_auc,
        seconds=time.perf_counter() - started,
    )


def all_portfolios_score(*, now: datetime | None = None) -> list[ScoringResult]:
    now = now or timezone.now()
    return [portfolio_score(portfolio=portfolio, now=now) for portfolio in Portfolio.objects.order_by("pk")]


def _method_from_history(
    portfolio, history: Book, paid: np.ndarray, *, trained_at, history_as_of, keep=True, consume=False
):
    """A model trained on the history when it is long enough (kept as the next ScoreModel
    unless `keep` is off), else the scorecard; (method, model or None). With `consume`, the
    history's values are overwritten on the way (the caller needs them no more)."""
    payers = int(paid.sum())
    if len(history) < MIN_EXAMPLES or payers < MIN_EACH_OUTCOME or len(history) - payers < MIN_EACH_OUTCOME:
        return scorecard_method(portfolio), None
    parameters = maths.logistic_fit(maths.transform(history.values, LOGGED, in_place=consume), paid)
    parameters["features"] = FEATURE_NAMES
    model = ScoreModel(
        portfolio=portfolio,
        trained_at=trained_at,
        history_as_of=history_as_of,
        examples=len(history),
        payers=payers,
        held_out_auc=parameters["held_out_auc"],
        parameters=parameters,
    )
    if keep:
        with transaction.atomic():
            last = ScoreModel.objects.select_for_update().filter(portfolio=portfolio).order_by("-version").first()
            model.version = (last.version if last else 0) + 1
            model.save()
    else:
        model.version = 0
    return Method(version=model.label if keep else "model-backtest", parameters=parameters), model


def scorecard_method(portfolio: Portfolio) -> Method:
    """The portfolio's own scorecard, else the default one (made again if it was deleted)."""
    card = (
        Scorecard.objects.filter(portfolio=portfolio).first()
        or Scorecard.objects.filter(portfolio__isnull=True).first()
        or default_scorecard_create()
    )
    rules = [
        (COLUMN[rule.feature], rule.from_value, rule.below_value, rule.points)
        for rule in card.rules.all()
        if rule.feature in COLUMN
    ]
    return Method(version=card.version, scorecard=card, rules=rules)


def default_scorecard_create() -> Scorecard:
    with transaction.atomic():
        card, created = Scorecard.objects.get_or_create(portfolio=None, defaults=DEFAULT_SCORECARD)
        if created:
            ScorecardRule.objects.bulk_create(
                ScorecardRule(scorecard=card, feature=feature, from_value=low, below_value=high, points=points)
                for feature, low, high, points in DEFAULT_RULES
            )
    return card


def scores_write(*, portfolio: Portfolio, book: Book, scored: maths.Scored, version: str, at: datetime) -> None:
    """Replaces the portfolio's scores with these, each with its segment, strategy and test
    arm, in one transaction (readers see the old ones until it commits), written WRITE_PIECE
    rows at a time so that memory stays flat."""
    stamp = connection.ops.adapt_datetimefield_value(at)
    table = DEBTOR_SCORE_TABLE
    columns = (
        "debtor_id, portfolio_id, probability, model_version, reasons, scored_at, "
        "segment_id, segment_name, strategy_id, strategy_name, test_id, test_arm"
    )
    treatments = book_treatments(portfolio.pk, book, scored.probability)
    # A debtor's six treatment fields follow from their segment and arm: one tuple (and one
    # piece of COPY text) per combination, not per debtor.
    codes = (treatments.segment_index + 1) * 2 + treatments.challenger
    present, first_at = np.unique(codes, return_index=True)
    treatment_values = {int(code): treatments.row(int(i)) for code, i in zip(present, first_at, strict=True)}
    pieces = (
        _score_rows(book, scored, slice(start, start + WRITE_PIECE), portfolio.pk, version, stamp, codes)
        for start in range(0, len(book), WRITE_PIECE)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Two runs for one portfolio (the nightly job and "Score now") write one after the other.
        Portfolio.objects.select_for_update().filter(pk=portfolio.pk).exists()
        cursor.execute(f"DELETE FROM {table} WHERE portfolio_id = %s", [portfolio.pk])
        assignments_record(book, treatments, at)
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * 12)
            for rows in pieces:
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                    [row[:6] + treatment_values[row[6]] for row in rows],
                )
            return
        treatment_text = {code: "\t" + "\t".join(map(_copy_field, row)) for code, row in treatment_values.items()}
        # PostgreSQL: each piece is COPYed in a thread while this one writes the next (the
        # server's work and ours, ≈ 19 s and 8 s a million rows, overlap).
        sql = f"COPY {table} ({columns}) FROM STDIN"
        in_flight = OneInFlight(name="score-copy", connection=connection)
        try:
            for rows in pieces:
                # COPY's text format, one line a row: the first six fields hold no tab, newline
                # or backslash (ids, numbers, a version word, JSON of plain words and numbers);
                # the names a person typed are escaped once, in treatment_text.
                data = "".join("\t".join(map(str, row[:6])) + treatment_text[row[6]] + "\n" for row in rows).encode()
                in_flight.submit(partial(cursor.cursor.copy_expert, sql, io.BytesIO(data)))
            in_flight.wait()
        finally:
            try:
                in_flight.wait()  # never leave the transaction with the thread still on the connection
            except BaseException:
                pass


def _copy_field(value) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


WRITE_PIECE = 50_000


def _score_rows(book: Book, scored: maths.Scored, piece: slice, portfolio_id, version, stamp, codes) -> list[tuple]:
    """The rows of one piece of the book, each ending with its treatment code. The reasons'
    JSON is written by hand: feature names are plain words and the numbers finite, and
    json.dumps a million times costs seconds."""
    ids = book.debtor_ids[piece].tolist()
    probability = scored.probability[piece].tolist()
    code = codes[piece].tolist()
    chosen = maths.top_reasons(scored.effects[piece])
    values = np.take_along_axis(book.values[piece], chosen, axis=1).tolist()
    effects = np.round(np.take_along_axis(scored.effects[piece], chosen, axis=1), 3).tolist()
    names = [[FEATURE_NAMES[column] for column in row] for row in chosen.tolist()]
    return [
        (
            debtor_id,
            portfolio_id,
            probability[i],
            version,
            "["
            + ", ".join(
                f'{{"feature": "{name}", "value": {value!r}, "effect": {effect!r}}}'
                for name, value, effect in zip(names[i], values[i], effects[i], strict=True)
                if effect != 0
            )
            + "]",
            stamp,
            code[i],
        )
        for i, debtor_id in enumerate(ids)
    ]


@dataclass
class Backtest:
    portfolio_id: int
    as_of: datetime
    method: str
    trained_on: int  # debtors of the history the method learnt from (0: the scorecard)
    scored: int
    payers: int
    auc: float | None
    scorecard_auc: float | None
    deciles: list[maths.Decile]


def score_backtest(*, portfolio: Portfolio, as_of: datetime) -> Backtest:
    """The score as it would have been made at `as_of` (trained on what was known then),
    measured on the 30 days after it: AUC, and per decile predicted against actual."""
    method, trained_on = _method_as_of(portfolio, as_of)
    book = book_as_of(portfolio.pk, as_of)
    paid, recovered = payers_between(portfolio.pk, as_of, as_of + WINDOW, book.debtor_ids)
    probability = method.apply(book).probability
    scorecard = scorecard_method(portfolio)
    return Backtest(
        portfolio_id=portfolio.pk,
        as_of=as_of,
        method=method.version,
        trained_on=trained_on,
        scored=len(book),
        payers=int(paid.sum()),
        auc=maths.auc(paid, probability),
        scorecard_auc=maths.auc(paid, scorecard.apply(book).probability) if trained_on else None,
        deciles=maths.deciles(probability, paid, recovered),
    )


def _method_as_of(portfolio, as_of: datetime) -> tuple[Method, int]:
    """The method as the nightly job would have made it at `as_of` (trained on the 30 days
    before, nothing kept), and how many debtors it learnt from (0: the scorecard)."""
    history = book_as_of(portfolio.pk, as_of - WINDOW)
    paid, _amount = payers_between(portfolio.pk, as_of - WINDOW, as_of, history.debtor_ids)
    method, model = _method_from_history(
        portfolio, history, paid, trained_at=as_of, history_as_of=as_of - WINDOW, keep=False, consume=True
    )
    return method, len(history) if model is not None else 0


def _calibration_write(*, portfolio, history: Book, paid, recovered, now) -> None:
    """The last completed window's calibration: the method as it stood 30 days before `now`
    (trained on the 30 days before that), on the debtors then, against what they paid since."""
    then = now - WINDOW
    method, _trained_on = _method_as_of(portfolio, then)
    probability = method.apply(history).probability if len(history) else np.zeros(0)
    rows = [
        ScoreCalibration(
            portfolio=portfolio,
            window_start=then,
            window_end=now,
            model_version=method.version,
            decile=decile.decile,
            debtors=decile.debtors,
            predicted=decile.predicted,
            actual=decile.actual,
            recovered=Decimal(f"{decile.recovered:.2f}"),
        )
        for decile in maths.deciles(probability, paid, recovered)
    ]
    with transaction.atomic():
        ScoreCalibration.objects.filter(portfolio=portfolio).delete()
        ScoreCalibration.objects.bulk_create(rows)


def strategy_test_problems(*, segment: Segment, challenger: Strategy, challenger_percent: int) -> dict[str, str]:
    """Why a test of `challenger` on `segment` cannot start, by field ("__all__": the segment's
    state); empty when it can. The admin's form shows the same messages."""
    if challenger.portfolio_id != segment.portfolio_id:
        return {"challenger": _("Choose a strategy of the segment's portfolio.")}
    if challenger.pk == segment.strategy_id:
        return {"challenger": _("The challenger must differ from the segment's strategy.")}
    if not 1 <= challenger_percent <= 99:
        return {"challenger_percent": _("Give the challenger between 1 % and 99 % of the segment.")}
    if StrategyTest.objects.filter(segment=segment, status=StrategyTest.Status.RUNNING).exists():
        return {"segment": _("This segment already has a test running: promote or stop it first.")}
    return {}


def strategy_test_start(
    *, segment: Segment, challenger: Strategy, name: str, challenger_percent: int = 50, at: datetime | None = None
) -> StrategyTest:
    """A test of `challenger` against the segment's strategy on a stable share of its debtors;
    the arms are assigned at the next scoring (nightly, or "Score now")."""
    with transaction.atomic():
        # Locked first, so that two starts on one segment are checked one after the other.
        Segment.objects.select_for_update().filter(pk=segment.pk).exists()
        problems = strategy_test_problems(segment=segment, challenger=challenger, challenger_percent=challenger_percent)
        if problems:
            raise ValidationError(problems)
        return StrategyTest.objects.create(
            segment=segment,
            name=name,
            champion_id=segment.strategy_id,
            challenger=challenger,
            challenger_percent=challenger_percent,
            started_at=at or timezone.now(),
        )


def strategy_test_end(*, test: StrategyTest, promote: bool, by) -> StrategyTest:
    """Ends a running test: with `promote`, the challenger becomes the segment's strategy;
    otherwise the champion stays. Its debtors are treated by the winner at once."""
    with transaction.atomic():
        test = StrategyTest.objects.select_for_update().select_related("segment", "challenger").get(pk=test.pk)
        if test.status != StrategyTest.Status.RUNNING:
            raise ValidationError(_("This test has already ended."))
        winner = test.challenger if promote else test.champion
        test.status = StrategyTest.Status.PROMOTED if promote else StrategyTest.Status.STOPPED
        test.ended_at = timezone.now()
        test.ended_by = by
        test.save(update_fields=["status", "ended_at", "ended_by"])
        if promote:
            Segment.objects.filter(pk=test.segment_id).update(strategy=winner)
        DebtorScore.objects.filter(portfolio_id=test.segment.portfolio_id, test_id=test.pk).update(
            strategy_id=winner.pk, strategy_name=winner.name, test_id=None, test_arm=""
        )
    return test
