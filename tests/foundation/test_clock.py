"""The clock that writes hundreds of rows' moments writes them as Django's formats do."""

from datetime import datetime

from django.utils import formats, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from collections_crm.lib.clock import Clock


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31)),
    language=st.sampled_from(["es", "en"]),
)
def test_a_short_date_and_time_reads_as_djangos_format(moment, language):
    with translation.override(language):
        assert Clock.current().short_datetime(moment) == formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def test_each_language_writes_its_own_day_order_and_clock():
    moment = datetime(2026, 11, 5, 15, 7)
    with translation.override("es"):
        assert Clock.current().short_datetime(moment) == "05/11/2026 15:07"
    with translation.override("en"):
        assert Clock.current().short_datetime(moment) == "11/05/2026 3:07 p.m."
