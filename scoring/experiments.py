"""Reading a champion/challenger test: what each arm did since the test began, and the
difference between the arms with its 95 % confidence interval.

Every debtor ever assigned to an arm counts (ArmAssignment), even one who has left the
segment since: comparing the arms as they were randomised keeps the comparison fair.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from calls.models import Call, CallOutcome
from promises.models import Payment, Promise
from scoring.models import ArmAssignment, StrategyTest

# Two-sided 95 %: the normal quantile. The arms hold hundreds of debtors or more, where the
# normal approximation to the difference of two means (Welch's) is the textbook choice.
Z_95 = 1.959964


@dataclass(frozen=True)
class Difference:
    """Challenger minus champion, with the 95 % interval around it."""

    estimate: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        """The interval leaves zero out: the arms differ beyond chance."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class ArmResult:
    arm: str
    label: str
    strategy: object  # promises.Strategy
    debtors: int
    contacts: int
    promises: int
    promises_resolved: int
    promises_kept: int
    collected: Decimal
    # Sum over the arm's debtors of the square of what each paid: the spread of the mean.
    collected_squares: float

    @property
    def kept_rate(self) -> float | None:
        return self.promises_kept / self.promises_resolved if self.promises_resolved else None

    @property
    def per_debtor(self) -> Decimal | None:
        return self.collected / self.debtors if self.debtors else None

    @property
    def per_contact(self) -> Decimal | None:
        return self.collected / self.contacts if self.contacts else None

    def variance_per_debtor(self) -> float | None:
        if self.debtors < 2:
            return None
        total = float(self.collected)
        return max(self.collected_squares - total * total / self.debtors, 0.0) / (self.debtors - 1)


@dataclass(frozen=True)
class TestResults:
    test: StrategyTest
    champion: ArmResult
    challenger: ArmResult
    per_debtor_difference: Difference | None
    kept_rate_difference: Difference | None


def tests_for_supervisors() -> QuerySet[StrategyTest]:
    return StrategyTest.objects.select_related("segment__portfolio", "champion", "challenger", "ended_by").annotate(
        debtors=Count("assignments")
    )


def _arm_result(test: StrategyTest, arm: str, strategy, until) -> ArmResult:
    members = ArmAssignment.objects.filter(test=test, arm=arm).values("debtor_id")
    since = Q(started_at__gte=test.started_at, started_at__lte=until)
    contacts = Call.objects.filter(since, debtor_id__in=members, outcome=CallOutcome.RIGHT_PARTY).count()
    promises = Promise.objects.filter(
        debtor_id__in=members, created_at__gte=test.started_at, created_at__lte=until
    ).aggregate(
        made=Count("pk"),
        kept=Count("pk", filter=Q(status=Promise.Status.KEPT)),
        resolved=Count(
            "pk", filter=Q(status__in=[Promise.Status.KEPT, Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN])
        ),
    )
    # Only debtors who paid have a row; the others add nothing to either sum.
    paid = (
        Payment.objects.filter(debtor_id__in=members, paid_at__gte=test.started_at, paid_at__lte=until)
        .order_by()
        .values("debtor_id")
        .annotate(total=Sum("amount"))
        .values_list("total", flat=True)
    )
    collected, squares = Decimal(0), 0.0
    for total in paid.iterator(chunk_size=5000):
        collected += total
        squares += float(total) ** 2
    return ArmResult(
        arm=arm,
        label=ArmAssignment.Arm(arm).label,
        strategy=strategy,
        debtors=ArmAssignment.objects.filter(test=test, arm=arm).count(),
        contacts=contacts,
        promises=promises["made"],
        promises_resolved=promises["resolved"],
        promises_kept=promises["kept"],
        collected=collected,
        collected_squares=squares,
    )


def _mean_difference(champion: ArmResult, challenger: ArmResult) -> Difference | None:
    variances = champion.variance_per_debtor(), challenger.variance_per_debtor()
    if None in variances:
        return None
    spread = math.sqrt(variances[0] / champion.debtors + variances[1] / challenger.debtors)
    if spread == 0:  # nobody paid anything different from anyone else: nothing to measure yet
        return None
    estimate = float(challenger.per_debtor - champion.per_debtor)
    return Difference(estimate, estimate - Z_95 * spread, estimate + Z_95 * spread)


def _rate_difference(champion: ArmResult, challenger: ArmResult) -> Difference | None:
    if not champion.promises_resolved or not challenger.promises_resolved:
        return None
    p1, p2 = champion.kept_rate, challenger.kept_rate
    spread = math.sqrt(p1 * (1 - p1) / champion.promises_resolved + p2 * (1 - p2) / challenger.promises_resolved)
    if spread == 0:  # every promise kept, or none, in both arms: too few to say anything yet
        return None
    return Difference(p2 - p1, p2 - p1 - Z_95 * spread, p2 - p1 + Z_95 * spread)


def strategy_test_results(test: StrategyTest, *, now=None) -> TestResults:
    """Per arm since the test began (until it ended): debtors, conversations, promises, kept
    rate, amount collected per debtor and per conversation; the differences with their 95 %
    intervals (None while an arm has fewer than two debtors, no amounts differ, or an arm has
    no resolved promise)."""
    until = test.ended_at or now or timezone.now()
    champion = _arm_result(test, ArmAssignment.Arm.CHAMPION, test.champion, until)
    challenger = _arm_result(test, ArmAssignment.Arm.CHALLENGER, test.challenger, until)
    return TestResults(
        test=test,
        champion=champion,
        challenger=challenger,
        per_debtor_difference=_mean_difference(champion, challenger),
        kept_rate_difference=_rate_difference(champion, challenger),
    )
