"""Every role's main pages under the Content-Security-Policy, in Chromium.

Each page must carry the policy (scripts, styles and the rest from this site only, nothing
inline) and the browser must report no violation of it: the `securitypolicyviolation` events
of each document and Chromium's console are both watched. The interactive parts must still
work under it: the call form's htmx swap, the dashboard's charts, the import progress poll,
the admin, and the API's Swagger UI and Redoc pages.
"""

import re
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

from calls.models import Call
from calls.review import call_recording_attach
from collections_crm.users.models import ApiToken
from supervision.services import promise_rollups_refresh
from tests import factories

WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/Lima"))
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.effectiveDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + (event.sourceFile || location.pathname) + ":" + event.lineNumber);
});
"""


@pytest.fixture
def frozen():
    with time_machine.travel(WEDNESDAY, tick=True):
        yield


@pytest.fixture
def office(frozen, settings, tmp_path, ana, sofia, carla, diego, mateo, cris):
    """A morning's data: promises in several states, a reviewed call with its recording."""
    settings.MEDIA_ROOT = tmp_path / "media"
    factories.make_promise(
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
    return SimpleNamespace(call=call, diego=diego)


@pytest.fixture
def under_policy(page, live_server):
    """visit(path) opens a page, checks its policy header and that nothing was blocked."""
    console = []
    page.on(
        "console", lambda message: console.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.add_init_script(WATCH_VIOLATIONS)

    def no_violations(where: str, tolerated: str = "\0"):
        reported = [text for text in page.evaluate("window.__cspViolations || []") if tolerated not in text]
        logged = [text for text in console if tolerated not in text]
        assert reported == [] and logged == [], f"{where}: {reported} {logged}"
        console.clear()

    def visit(path: str, ready: str | None = None, tolerated: str = "\0"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{path}: {response.status}"
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, f"{path}: {policy!r}"
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], path
        if ready:
            page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        no_violations(path, tolerated)
        return response

    return SimpleNamespace(visit=visit, check=no_violations, console=console)


def test_the_sign_in_page_is_served_under_the_policy(under_policy):
    under_policy.visit(reverse("login"), ready="input[name=username]")


def test_a_collectors_pages_and_the_call_form_work_under_the_policy(sign_in, under_policy, page, carla, office):
    sign_in(carla)
    under_policy.check("sign-in")
    under_policy.visit(reverse("home"))
    under_policy.visit(reverse("debtors:list"))
    under_policy.visit(reverse("review:mine"))
    under_policy.visit(reverse("preferences"))
    under_policy.visit(reverse("debtors:detail", args=[office.diego.pk]), ready="form.call-form[data-desk-ready]")

    # The call form is sent by htmx and its answer swapped in: no page load.
    calls_before = Call.objects.count()
    page.locator("input[name=outcome][value=no_answer]").check()
    with page.expect_response(re.compile(r"/calls/debtors/\d+/log/")) as answer:
        page.locator("form.call-form button[type=submit]").first.click()
    assert answer.value.status == 200
    page.wait_for_load_state("networkidle")
    assert Call.objects.count() == calls_before + 1
    expect(page.locator("#call-panel")).to_be_attached()
    under_policy.check("after the call form's swap")

    # A note pasted with a NUL in it: the server's sentence shows in the panel, nothing is lost.
    under_policy.visit(reverse("debtors:detail", args=[office.diego.pk]), ready="form.call-form[data-desk-ready]")
    page.locator("input[name=outcome][value=no_answer]").check()
    page.locator("textarea[name=notes]").evaluate("(area) => { area.value = 'Volver a llamar\u0000 el lunes'; }")
    with page.expect_response(re.compile(r"/calls/debtors/\d+/log/")) as refused:
        page.locator("form.call-form button[type=submit]").first.click()
    assert refused.value.status == 400
    expect(page.locator("#call-panel .network-error")).to_be_visible()
    expect(page.locator("#call-panel .network-error")).to_contain_text("no se puede guardar")
    assert page.locator("textarea[name=notes]").input_value().startswith("Volver a llamar")
    assert Call.objects.count() == calls_before + 1
    under_policy.check("refused note")


def test_a_supervisors_pages_charts_and_review_work_under_the_policy(sign_in, under_policy, page, sofia, office):
    sign_in(sofia)
    under_policy.visit(reverse("promises:dashboard"), ready="#trend-chart")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    under_policy.check("dashboard chart")
    under_policy.visit(reverse("promises:health"))
    under_policy.visit(f"{reverse('promises:promises_behind')}?period=week&kind=due&status=broken", ready="#drilldown")
    under_policy.visit(reverse("promises:approvals"))
    under_policy.visit(reverse("promises:reassign"))
    under_policy.visit(reverse("review:list"))
    # The player fetches the audio (media-src 'self').
    with page.expect_response(re.compile(r"/review/calls/\d+/audio/$")) as audio:
        under_policy.visit(reverse("review:call", args=[office.call.pk]), ready="[data-testid=recording]")
    assert audio.value.status in (200, 206)
    under_policy.visit(reverse("debtors:detail", args=[office.diego.pk]))


def test_an_admins_pages_the_django_admin_and_the_api_docs_work_under_the_policy(
    sign_in, under_policy, page, ana, carla, office
):
    sign_in(ana)
    under_policy.visit(reverse("debtors:portfolios"))
    under_policy.visit(reverse("debtors:imports"))
    under_policy.visit(reverse("debtors:import_new"))
    under_policy.visit(reverse("admin:index"))
    under_policy.visit(reverse("admin:users_user_changelist"))
    under_policy.visit(reverse("admin:users_user_change", args=[carla.pk]), ready="#user_form")
    under_policy.visit(reverse("admin:calls_call_changelist"))

    # Issuing a token: the admin's autocomplete and form work, the key shows once.
    under_policy.visit(reverse("admin:users_apitoken_add"), ready="#apitoken_form")
    page.locator("select[name=user]").evaluate(
        "(select, id) => { const o = new Option('carla', id, true, true); select.append(o); select.dispatchEvent(new Event('change')); }",
        str(carla.pk),
    )
    page.locator("input[name=name]").fill("Marcador Lima")
    page.locator("input[name=_save]").click()
    page.wait_for_load_state("networkidle")
    key = page.locator(".messagelist code").inner_text()
    assert ApiToken.objects.get(name="Marcador Lima").prefix == key[: len(ApiToken.objects.get().prefix)]
    under_policy.check("token issued")
    page.reload()
    expect(page.locator(".messagelist code")).to_have_count(0)

    under_policy.visit(reverse("api-docs"), ready=".swagger-ui .information-container")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    under_policy.check("Swagger UI")
    # Redoc's footer asks Redocly's CDN for a logo; the policy keeps that request from leaving.
    redocly_logo = "https://cdn.redoc.ly/"
    under_policy.visit(reverse("api-redoc"), ready="h1", tolerated=redocly_logo)
    expect(page.locator("h1").first).to_contain_text("Collections CRM API")
    # Its menu of operations is drawn, styled by the styles it writes at run time.
    expect(page.locator("li[data-item-id]").first).to_be_visible()
    assert page.locator("li[data-item-id]").count() > 10
    under_policy.check("Redoc", tolerated=redocly_logo)
