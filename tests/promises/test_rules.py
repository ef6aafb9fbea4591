from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promises import rules


def _thresholds(amount, tolerance_percent="0", tolerance_amount="0", partial="50"):
    return rules.thresholds_for(
        Decimal(amount),
        tolerance_percent=Decimal(tolerance_percent),
        tolerance_amount=Decimal(tolerance_amount),
        partial_minimum_percent=Decimal(partial),
    )


@pytest.mark.parametrize(
    ("paid", "expected"),
    [("1000", "kept"), ("999.99", "partially_kept"), ("500", "partially_kept"), ("499.99", "broken"), ("0", "broken")],
)
def test_without_tolerance_only_the_full_amount_keeps_a_promise(paid, expected):
    assert rules.judge(Decimal(paid), _thresholds("1000")) == expected


def test_a_percentage_tolerance_forgives_a_small_shortfall():
    thresholds = _thresholds("1000", tolerance_percent="2")
    assert rules.judge(Decimal("980"), thresholds) == "kept"
    assert rules.judge(Decimal("979.99"), thresholds) == "partially_kept"


def test_an_amount_tolerance_forgives_bank_fees():
    thresholds = _thresholds("300", tolerance_amount="5")
    assert rules.judge(Decimal("295"), thresholds) == "kept"
    assert rules.judge(Decimal("294.99"), thresholds) == "partially_kept"


def test_the_larger_tolerance_applies_when_both_are_set():
    assert _thresholds("1000", tolerance_percent="1", tolerance_amount="25").kept == Decimal("975.00")


def test_the_lapse_moment_is_the_end_of_the_last_grace_day_in_the_debtors_zone():
    moment = rules.lapse_moment(date(2026, 3, 6), 2, "America/Santiago")
    assert moment.isoformat() == "2026-03-09T00:00:00-03:00"


def test_lapse_moments_follow_dst_changes():
    # Madrid moves to summer time on 29 March 2026: the end of that day is at +02:00.
    assert rules.lapse_moment(date(2026, 3, 28), 1, "Europe/Madrid").isoformat() == "2026-03-30T00:00:00+02:00"


def test_instalment_dates_keep_the_day_of_month_or_the_last_day():
    assert rules.instalment_dates(date(2026, 1, 31), 3, "monthly") == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]
    assert rules.instalment_dates(date(2026, 12, 15), 2, "monthly") == [date(2026, 12, 15), date(2027, 1, 15)]
    assert rules.instalment_dates(date(2026, 1, 1), 3, "fortnightly")[-1] == date(2026, 1, 29)


@given(
    total=st.decimals(min_value="0.03", max_value="10000000", places=2),
    count=st.integers(min_value=1, max_value=36),
)
def test_instalments_add_up_to_the_cent(total, count):
    parts = rules.split_evenly(total, count)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)


@given(
    amount=st.decimals(min_value="0.01", max_value="1000000", places=2),
    tolerance=st.decimals(min_value="0", max_value="100", places=2),
    partial=st.decimals(min_value="0.01", max_value="100", places=2),
)
def test_thresholds_are_always_ordered_and_positive(amount, tolerance, partial):
    thresholds = _thresholds(amount, tolerance_percent=tolerance, partial=partial)
    assert Decimal("0.01") <= thresholds.partial <= thresholds.kept <= max(amount, Decimal("0.01"))
