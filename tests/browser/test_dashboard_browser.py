"""A supervisor's morning in a real browser: the dashboard, this week's broken promises, their
CSV, and a call scored from its recording."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

from calls.models import Call, CallReview
from calls.review import call_recording_attach
from supervision.services import promise_rollups_refresh
from tests import factories

# Wednesday 18 November 2026, 10:00 in Lima; the clock ticks from there.
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/Lima"))
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64


@pytest.fixture
def frozen():
    with time_machine.travel(WEDNESDAY, tick=True) as traveller:
        yield traveller


@pytest.fixture
def morning(frozen, settings, tmp_path, sofia, carla, diego, mateo, cris):
    settings.MEDIA_ROOT = tmp_path / "media"
    broken = factories.make_promise(
        debtor=diego, collector=carla, amount=Decimal("200"), due_date=date(2026, 11, 17), status="broken"
    )
    factories.make_promise(
        debtor=diego, collector=carla, amount=Decimal("100"), due_date=date(2026, 11, 16), status="kept"
    )
    factories.make_promise(
        debtor=mateo, collector=cris, amount=Decimal("888"), due_date=date(2026, 11, 17), status="broken"
    )
    call = factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY)
    call_recording_attach(call=call, upload=SimpleUploadedFile("llamada.mp3", MP3, "audio/mpeg"), by=sofia)
    promise_rollups_refresh()
    return {"broken": broken, "call": call}


def test_a_supervisor_reads_the_dashboard_drills_down_exports_and_scores_a_call(sign_in, sofia, morning, live_server):
    page = sign_in(sofia)
    expect(page).to_have_url(f"{live_server.url}{reverse('promises:dashboard')}")

    # The figures, the chart drawn by Chart.js, and its numbers in a table.
    broken_link = page.locator("a[data-figure=broken]")
    expect(broken_link).to_have_text("1")  # pablo's team's broken promise is not hers
    expect(page.locator("#trend-table")).to_be_attached()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    expect(page.get_by_test_id("as-of")).not_to_be_empty()

    # This week's broken promises.
    broken_link.click()
    expect(page).to_have_url(re.compile(r"period=week.*kind=due.*status=broken"))
    rows = page.locator("#drilldown tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Diego Díaz Quispe")

    # … as CSV.
    with page.expect_download() as download_info:
        page.locator("a[href*='format=csv']").click()
    download = download_info.value
    content = open(download.path(), encoding="utf-8-sig").read()
    lines = content.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(f"{morning['broken'].pk},Diego Díaz Quispe,")
    assert ",Incumplida," in lines[1]  # the status in her language, not its code

    # A call to review: listen, then fill the scorecard.
    page.goto(f"{live_server.url}{reverse('review:list')}?reviewed=0")
    page.locator(f"a[href='{reverse('review:call', args=[morning['call'].pk])}']").first.click()
    expect(page.get_by_test_id("recording")).to_be_attached()
    for name in (
        "identified",
        "kept_control",
        "told_objection_from_situation",
        "offered_options",
        "obtained_commitment",
        "respectful",
    ):
        page.locator(f"input[name={name}]").check()
    page.locator("textarea[name=comments]").fill("Faltó repetir el acuerdo al cerrar.")
    page.locator(".scorecard button[type=submit]").click()
    expect(page.get_by_test_id("score")).to_have_text("86")
    review = CallReview.objects.get(call=morning["call"])
    assert review.reviewer == sofia and not review.read_back
