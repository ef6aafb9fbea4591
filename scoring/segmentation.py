"""Which segment, strategy and test arm each scored debtor falls in.

Applied to a whole book at once, as numpy masks: a million debtors and a dozen segments take
a fraction of a second (a segment's saved filter is one SQL query for the debtor ids it
keeps). A debtor belongs to the first segment (by position) whose conditions they meet; in a
segment under test, a stable share of the debtors (a hash of the debtor's id and the
test's, `arm_is_challenger`) is treated by the challenger.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import connection

from debtors.filters import debtors_matching
from debtors.models import Debtor, SavedFilter
from scoring.features import COLUMN, Book
from scoring.models import ArmAssignment, Segment, StrategyTest


def arms_are_challenger(test_id: int, debtor_ids: np.ndarray, challenger_percent: int) -> np.ndarray:
    """Which debtors a test gives its challenger: splitmix64's finaliser (every input bit moves
    about half the output bits) over the test's and the debtor's ids, in uint64 arithmetic that
    wraps; the same answer every night, on every machine."""
    value = (np.uint64(test_id) << np.uint64(32)) + debtor_ids.astype(np.uint64)
    value = value + np.uint64(0x9E3779B97F4A7C15)
    value = (value ^ (value >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    value = (value ^ (value >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    value = value ^ (value >> np.uint64(31))
    return value % np.uint64(100) < np.uint64(challenger_percent)


def arm_is_challenger(test_id: int, debtor_id: int, challenger_percent: int) -> bool:
    """The arm of one debtor in one test."""
    return bool(arms_are_challenger(test_id, np.array([debtor_id]), challenger_percent)[0])


@dataclass
class Treatments:
    """Per debtor of a book, in its order: indexes into `segments` (-1: none) and `strategies`."""

    segments: list[Segment]
    segment_index: np.ndarray
    strategies: list  # promises.Strategy, the segments' and the running tests' challengers
    strategy_index: np.ndarray
    tests: list[StrategyTest]
    test_index: np.ndarray  # -1: not under test
    challenger: np.ndarray  # bool

    def row(self, i: int) -> tuple:
        """(segment id, segment name, strategy id, strategy name, test id, arm) of debtor i."""
        segment_at, strategy_at, test_at = (
            int(self.segment_index[i]),
            int(self.strategy_index[i]),
            int(self.test_index[i]),
        )
        if segment_at < 0:
            return (None, "", None, "", None, "")
        segment, strategy = self.segments[segment_at], self.strategies[strategy_at]
        if test_at < 0:
            return (segment.pk, segment.name, strategy.pk, strategy.name, None, "")
        arm = ArmAssignment.Arm.CHALLENGER if self.challenger[i] else ArmAssignment.Arm.CHAMPION
        return (segment.pk, segment.name, strategy.pk, strategy.name, self.tests[test_at].pk, arm.value)


def _saved_filter_members(portfolio_id: int, book: Book, saved_filter: SavedFilter) -> np.ndarray:
    """Which debtors of the book the saved filter keeps: its conditions run in SQL once."""
    chosen = debtors_matching(Debtor.objects.filter(portfolio_id=portfolio_id), saved_filter.query)
    ids = np.fromiter(chosen.order_by().values_list("pk", flat=True).iterator(chunk_size=20_000), dtype=np.int64)
    return np.isin(book.debtor_ids, ids)


def _fits(
    segment: Segment, percent: np.ndarray, days_past_due: np.ndarray, balance: np.ndarray, members: dict
) -> np.ndarray:
    fits = members[segment.saved_filter_id].copy() if segment.saved_filter_id else np.ones(percent.size, dtype=bool)
    for values, low, high in (
        (percent, segment.score_from_percent, segment.score_below_percent),
        (days_past_due, segment.days_past_due_from, segment.days_past_due_below),
        (balance, segment.balance_from, segment.balance_below),
    ):
        if low is not None:
            fits &= values >= float(low)
        if high is not None:
            fits &= values < float(high)
    return fits


def book_treatments(portfolio_id: int, book: Book, probability: np.ndarray) -> Treatments:
    segments = list(
        Segment.objects.filter(portfolio_id=portfolio_id)
        .select_related("strategy", "saved_filter")
        .order_by("position", "pk")
    )
    members = {
        segment.saved_filter_id: _saved_filter_members(portfolio_id, book, segment.saved_filter)
        for segment in segments
        if segment.saved_filter_id
    }
    running = {
        test.segment_id: test
        for test in StrategyTest.objects.filter(
            segment__portfolio_id=portfolio_id, status=StrategyTest.Status.RUNNING
        ).select_related("challenger")
    }
    size = len(book)
    segment_index = np.full(size, -1, dtype=np.int32)
    percent = probability * 100
    days_past_due = book.values[:, COLUMN["days_past_due"]]
    balance = book.values[:, COLUMN["balance"]]
    # Last segment first, so that the first one a debtor fits is the one left standing.
    for at in range(len(segments) - 1, -1, -1):
        segment_index[_fits(segments[at], percent, days_past_due, balance, members)] = at
    strategies = [segment.strategy for segment in segments]
    strategy_index = segment_index.copy()
    tests: list[StrategyTest] = []
    test_index = np.full(size, -1, dtype=np.int32)
    challenger = np.zeros(size, dtype=bool)
    for at, segment in enumerate(segments):
        test = running.get(segment.pk)
        if test is None:
            continue
        members = segment_index == at
        test_index[members] = len(tests)
        tests.append(test)
        chosen = members & arms_are_challenger(test.pk, book.debtor_ids, test.challenger_percent)
        challenger |= chosen
        strategy_index[chosen] = len(strategies)
        strategies.append(test.challenger)
    return Treatments(segments, segment_index, strategies, strategy_index, tests, test_index, challenger)


def assignments_record(book: Book, treatments: Treatments, at: datetime) -> None:
    """Each debtor's arm, the first time they are seen in a tested segment (never changed)."""
    for position, test in enumerate(treatments.tests):
        members = treatments.test_index == position
        for arm, chosen in (
            (ArmAssignment.Arm.CHAMPION, members & ~treatments.challenger),
            (ArmAssignment.Arm.CHALLENGER, members & treatments.challenger),
        ):
            debtor_ids = book.debtor_ids[chosen].tolist()
            if not debtor_ids:
                continue
            if connection.vendor == "postgresql":
                # One statement per arm, the ids as one array (bulk_create builds SQL per row).
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {ArmAssignment._meta.db_table} (test_id, debtor_id, arm, assigned_at) "
                        "SELECT %s, debtor, %s, %s FROM unnest(%s::bigint[]) AS given(debtor) ON CONFLICT DO NOTHING",
                        [test.pk, arm.value, at, debtor_ids],
                    )
                continue
            ArmAssignment.objects.bulk_create(
                [ArmAssignment(test=test, debtor_id=debtor_id, arm=arm, assigned_at=at) for debtor_id in debtor_ids],
                batch_size=2000,
                ignore_conflicts=True,
            )
