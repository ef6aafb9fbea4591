"""The collector's desk in a real browser: queue → debtor → a call logged by keyboard → summary sent.

The clock is frozen on a Wednesday morning in Lima (the live server runs in a thread of this
process, so time-machine moves it too); `tick=True` lets seconds pass so that the browser's
own timers behave.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from calls.models import Call
from promises.models import Message, Promise

LIMA = ZoneInfo("America/Lima")
WEDNESDAY_MORNING = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
WEDNESDAY_NIGHT = datetime(2026, 11, 18, 22, 30, tzinfo=LIMA)  # Peru allows calls until 20:00


@pytest.fixture
def morning():
    with time_machine.travel(WEDNESDAY_MORNING, tick=True):
        yield


@pytest.fixture
def consenting_diego(diego):
    diego.phones.update(
        sms_consent=True, sms_consent_source="contrato", sms_consent_at=WEDNESDAY_MORNING, status="valid"
    )
    return diego


class Steps:
    """Counts what the collector does: a typical call must stay a handful of actions."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def press(self, keys: str):
        self.count += 1
        self.page.keyboard.press(keys)

    def click(self, locator):
        self.count += 1
        locator.click()


def test_a_collector_logs_a_three_instalment_plan_by_keyboard_and_sends_the_summary(
    sign_in, carla, consenting_diego, live_server, morning
):
    page = sign_in(carla)
    page.get_by_role("link", name="Diego Díaz Quispe").first.click()
    expect(page.get_by_role("heading", name="Diego Díaz Quispe")).to_be_visible()

    page.locator("form.call-form[data-desk-ready]").wait_for()  # the desk's keyboard script is in
    steps = Steps(page)
    steps.press("Alt+1")  # Spoke with the debtor
    steps.click(page.get_by_label("Situación de dificultad"))
    steps.click(page.get_by_label("Reducción de ingresos"))
    steps.click(page.get_by_label("Plan de cuotas", exact=True))
    # Defaults a new collector only has to confirm: 3 monthly instalments of the whole balance, in a week.
    expect(page.locator("[name=instalment_count]")).to_have_value("3")
    expect(page.locator("[name=instalment_first_date]")).to_have_value("2026-11-25")
    expect(page.locator("[name=instalment_frequency]")).to_have_value("monthly")
    steps.press("Control+Enter")  # saves from wherever the focus is in the form

    summary = page.locator(".closing-summary")
    expect(summary).to_be_visible()
    expect(summary.locator(".instalments li")).to_have_count(3)
    assert steps.count <= 5, f"a typical call took {steps.count} actions"
    history = page.locator("#timeline")
    expect(history).to_contain_text("Plan de cuotas")
    assert Promise.objects.filter(debtor=consenting_diego).count() == 3

    # Only SMS has consent: WhatsApp and e-mail say why not.
    send = page.locator("#summary-send")
    expect(send.get_by_role("button")).to_have_count(1)
    expect(send).to_contain_text("WhatsApp")
    page.get_by_role("button", name=re.compile("SMS")).click()
    expect(send).to_contain_text("+51987654321")
    expect(history.locator(".timeline-message")).to_have_count(1)
    assert Message.objects.get().purpose == Message.Purpose.SUMMARY


def test_a_call_outside_lawful_hours_is_refused_with_its_reason(sign_in, carla, diego, live_server):
    with time_machine.travel(WEDNESDAY_NIGHT, tick=True):
        page = sign_in(carla)
        page.goto(f"{live_server.url}/debtors/{diego.pk}/")
        expect(page.locator(".debtor-header .verdict")).to_contain_text("No llame ahora.")
        page.get_by_label("No contesta").check()
        page.get_by_role("button", name=re.compile("Registrar la gestión")).click()
        expect(page.locator(".call-form .blocked")).to_contain_text("fuera del horario permitido")
        expect(page.get_by_label("No contesta")).to_be_checked()
    assert not Call.objects.exists()


def test_the_desk_works_in_spanish_and_in_english(sign_in, carla, diego, live_server, morning):
    page = sign_in(carla)
    page.goto(f"{live_server.url}/debtors/{diego.pk}/")
    expect(page.get_by_role("heading", name="Registrar una gestión")).to_be_visible()
    expect(page.get_by_role("group", name="Cómo terminó la gestión")).to_be_visible()
    expect(page.get_by_role("heading", name="Historial")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    expect(page.get_by_role("group", name="How the call ended")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Log the call"))).to_be_visible()
    expect(page.get_by_role("heading", name="History")).to_be_visible()


def test_a_network_failure_on_save_says_so_and_keeps_the_form(sign_in, carla, diego, live_server, morning):
    page = sign_in(carla)
    page.goto(f"{live_server.url}/debtors/{diego.pk}/")
    page.locator("form.call-form[data-desk-ready]").wait_for()
    page.get_by_label("Buzón de voz").check()
    page.locator("[name=notes]").fill("Dejé mensaje con mi nombre.")

    page.route("**/log/", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name=re.compile("Registrar la gestión")).click()
    expect(page.locator(".call-form .network-error")).to_be_visible()
    expect(page.locator("[name=notes]")).to_have_value("Dejé mensaje con mi nombre.")
    assert not Call.objects.exists()

    # The draft survives a reload too, then the retry lands and clears it.
    page.unroute("**/log/")
    page.reload()
    expect(page.locator(".draft-restored")).to_be_visible()
    expect(page.locator("[name=notes]")).to_have_value("Dejé mensaje con mi nombre.")
    expect(page.get_by_label("Buzón de voz")).to_be_checked()
    page.get_by_role("button", name=re.compile("Registrar la gestión")).click()
    expect(page.locator(".closing-summary")).to_be_visible()
    assert Call.objects.get().notes == "Dejé mensaje con mi nombre."
    page.reload()
    expect(page.locator(".draft-restored")).to_be_hidden()
    expect(page.locator("[name=notes]")).to_have_value("")
