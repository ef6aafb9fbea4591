"""Charts write numbers as their page does (issue 15): a Spanish page in an English browser
wrote "40,000" in its charts beside "40 000" in its tables."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests import factories

WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US"}  # the browser's language is not the page's


@pytest.fixture
def big_balance(diego):
    factories.make_debt(debtor=diego, original_amount=Decimal("40000.00"), balance=Decimal("40000.00"))


@pytest.mark.parametrize(
    ("language", "thousands", "money"),
    [("es", "40\u00a0000", "41\u00a0000,00\u00a0PEN"), ("en", "40,000", "41,000.00\u00a0PEN")],
)
def test_the_aging_chart_writes_numbers_in_the_pages_language(
    sign_in, sofia, big_balance, live_server, language, thousands, money
):
    sofia.language = language
    sofia.save()
    with time_machine.travel(WEDNESDAY, tick=True):
        page = sign_in(sofia)
        page.goto(f"{live_server.url}{reverse('promises:health')}")
        page.wait_for_function(
            "() => window.Chart && Chart.getChart(document.querySelector('canvas[id^=aging-chart-]'))"
        )
        ticks = page.evaluate(
            "() => Chart.getChart(document.querySelector('canvas[id^=aging-chart-]')).scales.y.ticks.map(t => t.label)"
        )
        tooltip = page.evaluate(
            """() => {
                const chart = Chart.getChart(document.querySelector('canvas[id^=aging-chart-]'));
                return chart.options.plugins.tooltip.callbacks.label({parsed: {y: 41000}, dataset: chart.data.datasets[0]});
            }"""
        )
    assert thousands in ticks, ticks
    assert tooltip == money
    if language == "es":
        assert not any("," in tick for tick in ticks), ticks
