"""The patterns that state the API's rules in its schema match exactly what the fields accept."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from collections_crm.api import patterns
from collections_crm.api.fields import AwareDateTimeField, within_years
from collections_crm.api.schema import BLANK_TEXT, NON_BLANK_TEXT

days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31))


@settings(max_examples=60, deadline=None)
@given(earliest=days, length=st.integers(0, 8000), probe=st.integers(-800, 8800))
def test_a_date_window_pattern_matches_exactly_the_days_of_the_window(earliest, length, probe):
    latest = earliest + dt.timedelta(days=length)
    day = earliest + dt.timedelta(days=probe)
    assert bool(re.fullmatch(patterns.dates_between(earliest, latest), day.isoformat())) == (earliest <= day <= latest)
    moment = f"{day.isoformat()}T23:59:59.5-05:00"
    assert bool(re.fullmatch(patterns.moments_between(earliest, latest), moment)) == (earliest <= day <= latest)


def test_a_date_window_pattern_has_no_day_that_does_not_exist():
    pattern = patterns.dates_between(dt.date(2027, 1, 1), dt.date(2028, 12, 31))
    assert re.fullmatch(pattern, "2028-02-29") and not re.fullmatch(pattern, "2027-02-29")
    assert not any(re.fullmatch(pattern, day) for day in ("2027-04-31", "2027-13-01", "2027-00-10", "2027-1-05"))


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("999999999999.99"), places=2))
def test_amount_patterns_agree_with_the_numbers(amount):
    text = f"{amount:f}"
    assert re.fullmatch(patterns.AMOUNT, text)
    assert bool(re.fullmatch(patterns.POSITIVE_AMOUNT, text)) == (amount > 0)
    assert bool(re.fullmatch(patterns.AMOUNT_FOR_ANY_PLAN, text)) == (amount >= Decimal("1.20"))


def test_amounts_are_written_plainly():
    for text in ("1e3", "-5", "01", "1.", ".5", "1.234", " 1", "1,50", "1000000000000"):
        assert not re.fullmatch(patterns.AMOUNT, text), text


@given(st.text())
def test_blank_means_what_python_trims(text):
    text = text.replace("\x00", "")
    assert bool(re.fullmatch(BLANK_TEXT, text)) == (text.strip() == "")
    assert bool(re.fullmatch(NON_BLANK_TEXT, text)) == (text.strip() != "")


def test_a_moments_window_reads_its_date_as_written_whatever_the_users_zone():
    """The schema states a moment's window by the date as written: 22:31+20:32 on the window's
    first day is in it, although in Lima it is still the evening before (found by schemathesis)."""
    field = AwareDateTimeField(validators=[within_years(2)])
    moment = dt.datetime(2026, 11, 18, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False), timezone.override(ZoneInfo("America/Lima")):
        first_day = field.run_validation("2024-11-16T22:31:25+20:32")
        with pytest.raises(serializers.ValidationError):
            field.run_validation("2024-11-15T23:00:00-05:00")  # the 16th in UTC, the 15th as written
    assert first_day == dt.datetime(2024, 11, 16, 1, 59, 25, tzinfo=dt.UTC)
