"""Issue 15, point 8: a collector's day on a 1366×768 laptop screen.

The debtor page fits without sideways scrolling and shows the history at once; the call guide
stays closed once closed; the queue comes a page at a time and says in the row why a debtor
may not be called; the assign page's checkboxes sit with their names.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from calls.models import Call, FollowUp
from promises.models import Promise
from tests import factories

LIMA = ZoneInfo("America/Lima")
WEDNESDAY_MORNING = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
WEDNESDAY_NIGHT = datetime(2026, 11, 18, 22, 30, tzinfo=LIMA)  # Peru allows calls until 20:00
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": LAPTOP}


@pytest.fixture
def morning():
    with time_machine.travel(WEDNESDAY_MORNING, tick=True):
        yield


@pytest.fixture
def busy_diego(diego, carla):
    """A debtor with the long texts real files bring, several numbers and a long history."""
    for n, product in enumerate(
        ("Préstamo personal de libre disponibilidad", "Tarjeta de crédito clásica internacional")
    ):
        factories.make_debt(
            debtor=diego,
            account_reference=f"PE-00012345678-{n}",
            product=product,
            original_amount=Decimal("125430.50"),
            balance=Decimal("98765.43"),
            due_date=date(2026, 3, 15),
        )
    for n in range(4):
        factories.make_phone(
            debtor=diego,
            number=f"+5198765{n:04d}",
            kind="work",
            relationship="reference",
            contact_name="Rosa Quispe Mamani de la Cruz",
        )
    for n in range(20):
        factories.make_call(
            debtor=diego,
            collector=carla,
            outcome=Call.Outcome.RIGHT_PARTY,
            stance="objection",
            stance_reason="forgot",
            commitment="promise",
            started_at=WEDNESDAY_MORNING - timedelta(days=n + 1),
            notes="Dice que pagará cuando cobre la gratificación; se le recordó el saldo y la fecha.",
        )
        factories.make_promise(debtor=diego, collector=carla, amount=Decimal("1500.00"), status=Promise.Status.BROKEN)
    return diego


def _overflows(page, selector: str) -> bool:
    return page.evaluate(
        f"() => {{ const e = document.querySelector('{selector}'); return e.scrollWidth > e.clientWidth; }}"
    )


def test_the_debtor_page_fits_a_laptop_screen_and_shows_the_history_at_once(
    sign_in, carla, busy_diego, live_server, morning
):
    page = sign_in(carla)
    page.goto(f"{live_server.url}{reverse('debtors:detail', args=[busy_diego.pk])}")
    page.locator("form.call-form[data-desk-ready]").wait_for()

    assert not _overflows(page, "html"), "the page scrolls sideways"
    for part in (".debtor-header", "#call-panel", "#timeline", "section[aria-labelledby=debts-title]"):
        box = page.locator(part).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"], f"{part} goes past the screen's edge"
    assert not _overflows(page, "section[aria-labelledby=debts-title] .table-wrap"), "the debts table is clipped"

    # The history's heading and first entries are on the first screen, with the guide open.
    page.evaluate("() => window.scrollTo(0, 0)")
    expect(page.locator("#call-guide-details")).to_have_attribute("open", "")
    heading = page.locator("#timeline-title").bounding_box()
    assert heading["y"] + heading["height"] <= LAPTOP["height"], f"the history starts at {heading['y']:.0f} px"
    first_entry = page.locator("#timeline li").first.bounding_box()
    assert first_entry["y"] + first_entry["height"] <= LAPTOP["height"]


def test_the_call_guide_stays_closed_once_closed_for_that_user_only(
    sign_in, carla, sofia, busy_diego, portfolio, live_server, morning
):
    other = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Olga Antigua")
    factories.make_debt(debtor=other)
    page = sign_in(carla)
    page.goto(f"{live_server.url}{reverse('debtors:detail', args=[busy_diego.pk])}")
    page.locator("form.call-form[data-desk-ready]").wait_for()
    guide = page.locator("#call-guide-details")
    expect(guide).to_have_attribute("open", "")  # open until its reader closes it
    page.get_by_role("heading", name="Guía de la llamada").click()
    expect(guide).not_to_have_attribute("open", "")

    page.reload()
    expect(page.locator("#call-guide-details")).not_to_have_attribute("open", "")
    expect(page.locator(".guide-steps")).to_be_hidden()
    page.goto(f"{live_server.url}{reverse('debtors:detail', args=[other.pk])}")  # on every debtor
    expect(page.locator("#call-guide-details")).not_to_have_attribute("open", "")

    # Another user of the same browser still finds it open.
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Cerrar sesión").click()
    page = sign_in(sofia)
    page.goto(f"{live_server.url}{reverse('debtors:detail', args=[busy_diego.pk])}")
    expect(page.locator("#call-guide-details")).to_have_attribute("open", "")


def test_the_queue_comes_a_page_at_a_time_and_says_why_a_debtor_may_not_be_called(
    sign_in, carla, portfolio, live_server
):
    for n in range(30):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=f"Deudora {n:03d}")
        factories.make_debt(debtor=debtor, due_date=date(2026, 3, 1) + timedelta(days=n))
        factories.make_follow_up(
            debtor=debtor,
            assigned_to=carla,
            reason=FollowUp.Reason.BROKEN_PROMISE,
            due_at=WEDNESDAY_NIGHT - timedelta(hours=3, minutes=n),
        )
    with time_machine.travel(WEDNESDAY_NIGHT, tick=True):
        page = sign_in(carla)
        rows = page.locator("#due-now ~ .table-wrap tbody tr")
        expect(rows).to_have_count(25)
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert height < 5 * LAPTOP["height"], f"the queue's page is {height} px long"
        # Why not now, as text in the row (not in a tooltip).
        reason = rows.first.locator(".why")
        expect(reason).to_be_visible()
        expect(reason).to_contain_text("fuera del horario permitido")
        expect(rows.first).to_contain_text("desde jue 07:00")

        page.locator(".queue-pager").first.get_by_role("link", name="Siguiente").click()
        expect(page).to_have_url(f"{live_server.url}/?page=2")
        expect(page.locator("#due-now ~ .table-wrap tbody tr")).to_have_count(5)
        expect(page.locator("#due-now ~ .table-wrap tbody tr").last).to_contain_text("Deudora 000")  # the latest due


def test_the_assign_pages_checkboxes_sit_with_their_names(sign_in, ana, carla, carlos, cris, unassigned, live_server):
    page = sign_in(ana)
    page.goto(f"{live_server.url}{reverse('debtors:portfolio_assign', args=[unassigned.portfolio_id])}")
    for name in ("Carla Cobos", "Carlos Cruz", "Cristina Campos"):
        label = page.locator("label", has_text=name)
        box = label.locator("input[type=checkbox]").bounding_box()
        text = label.evaluate(
            "label => { const range = document.createRange(); range.selectNodeContents(label);"
            " const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.left > label.querySelector('input').getBoundingClientRect().right);"
            " return {left: Math.min(...rects.map(r => r.left)), top: Math.min(...rects.map(r => r.top)), bottom: Math.max(...rects.map(r => r.bottom))}; }"
        )
        middle = box["y"] + box["height"] / 2
        assert text["top"] <= middle <= text["bottom"], f"{name}: the box is not on its name's line"
        gap = text["left"] - (box["x"] + box["width"])
        assert 0 <= gap <= 16, f"{name}: {gap:.0f} px between the box and its name"
    # The radio buttons of "how to spread them" too.
    radio = page.get_by_label("Por turnos", exact=False)
    label = page.locator("label", has=radio).bounding_box()
    assert radio.bounding_box()["x"] - label["x"] <= 4
