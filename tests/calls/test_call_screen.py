"""The call-logging panel of the debtor page: the form, htmx swaps and the closing summary."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from calls.models import Call, PolicyDecision
from calls.policy import check_contact
from promises.models import Promise
from tests import factories
from tests.calls.conftest import local

LIMA = "America/Lima"
# Wednesday 18 November 2026, 10:00 in Lima: Peru's contact window is open.
WEDNESDAY = local("2026-11-18 10:00", LIMA)
SATURDAY = local("2026-11-21 10:00", LIMA)  # no collection calls in Peru
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone(diego):
    return diego.phones.get()


def in_english(client):
    """The collector reads the screen in English (new texts have no Spanish yet)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def log_url(debtor) -> str:
    return reverse("calls:log", args=[debtor.pk])


def instalment_plan(phone, **extra) -> dict:
    return {
        "phone": phone.pk,
        "outcome": "right_party",
        "stance": "situation",
        "stance_reason": "reduced_income",
        "commitment": "instalments",
        "instalment_count": "3",
        "instalment_first_date": "2026-11-30",
        "instalment_frequency": "monthly",
        "instalment_total": "1000",
        "notes": "Le redujeron el sueldo; paga el día 30.",
        **extra,
    }


def test_the_debtor_page_offers_the_call_panel_and_the_guide(client, carla, diego, phone):
    factories.make_promise(debtor=diego, collector=carla, amount=Decimal("250.00"), status=Promise.Status.BROKEN)
    page = in_english(client)
    client.force_login(carla)
    html = page.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert 'id="call-panel"' in html
    assert f'hx-post="{log_url(diego)}"' in html
    assert 'accesskey="1"' in html and 'accesskey="7"' in html
    assert "autofocus" in html
    assert "message_sent" not in html  # the outbox logs messages, never a person
    guide = html[html.index('class="card call-guide"') :]
    assert "Diego Díaz Quispe owes 1,000.00" in guide
    assert "Banco Andino" in guide and "days past due" in guide
    assert "Last promise: 250.00" in guide and "Broken" in guide


def test_a_collector_logs_a_three_instalment_plan_and_reads_back_the_summary(client, carla, diego, phone):
    client.force_login(carla)
    response = client.post(log_url(diego), instalment_plan(phone), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="call-panel"' in html
    # Diego speaks Spanish: dates and amounts read the Spanish way.
    for when, amount in (
        ("30 de noviembre de 2026", "333,33"),
        ("30 de diciembre de 2026", "333,33"),
        ("30 de enero de 2027", "333,34"),
    ):
        assert when in html and amount in html
    assert 'lang="es"' in html
    call = Call.objects.get()
    assert (call.outcome, call.stance_reason, call.commitment, call.collector) == (
        "right_party",
        "reduced_income",
        "instalments",
        carla,
    )
    promises = list(Promise.objects.filter(call=call).order_by("instalment_number"))
    assert [(p.due_date.isoformat(), p.amount) for p in promises] == [
        ("2026-11-30", Decimal("333.33")),
        ("2026-12-30", Decimal("333.33")),
        ("2027-01-30", Decimal("333.34")),
    ]
    assert f'hx-get="{log_url(diego)}"' in html  # log another call


def test_the_summary_is_read_in_the_debtors_language(client, carla, portfolio):
    jane = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Jane Doe", language="en")
    factories.make_debt(debtor=jane)
    phone = factories.make_phone(debtor=jane, number="+51911222333")
    client.force_login(carla)  # carla works in Spanish
    html = client.post(log_url(jane), instalment_plan(phone), **HTMX).content.decode()
    summary = html[html.index('class="read-back"') :]
    assert 'lang="en"' in html
    assert "You will pay 1,000.00\xa0PEN in 3 instalments" in summary
    for line in ("333.33\xa0PEN on Nov. 30, 2026", "333.33\xa0PEN on Dec. 30, 2026", "333.34\xa0PEN on Jan. 30, 2027"):
        assert line in summary
    assert "customer code" in summary and jane.external_id in summary


def test_a_conversation_without_a_commitment_shows_the_services_error_and_keeps_what_was_typed(
    client, carla, diego, phone
):
    in_english(client).force_login(carla)
    data = {
        "phone": phone.pk,
        "outcome": "right_party",
        "stance": "objection",
        "stance_reason": "forgot",
        "notes": "Says he will look into it",
    }
    html = client.post(log_url(diego), data, **HTMX).content.decode()
    error = (
        '<p class="error" role="alert">A conversation with the debtor ends with a commitment: '
        "record it, or say why there was none.</p>"
    )
    assert error in html
    # The error sits inside the commitment group, right under its legend.
    commitment_group = html[html.index('class="radio-group has-error commitments"') :]
    assert commitment_group.index(error) < commitment_group.index('name="commitment"')
    assert "Says he will look into it</textarea>" in html
    assert 'value="right_party" id="id_outcome_0" checked accesskey="1"' in html
    assert 'value="objection" id="id_stance_1" checked' in html
    assert 'value="forgot" id="id_stance_reason_0" checked' in html
    assert not Call.objects.exists()


def test_an_instalment_plan_with_a_past_first_date_keeps_the_plan_and_says_why(client, carla, diego, phone):
    in_english(client).force_login(carla)
    html = client.post(
        log_url(diego), instalment_plan(phone, instalment_first_date="2026-11-01"), **HTMX
    ).content.decode()
    assert "The first instalment is in the past for the debtor." in html
    assert 'value="2026-11-01"' in html and 'value="1000"' in html
    assert not Promise.objects.exists()


def test_a_call_outside_lawful_hours_is_refused_with_its_reason(client, carla, diego, phone, clock):
    clock.move_to(SATURDAY)
    in_english(client).force_login(carla)
    data = {"phone": phone.pk, "outcome": "no_answer"}
    html = client.post(log_url(diego), data, **HTMX).content.decode()
    with translation.override("en"):
        verdict = check_contact(diego, "voice", SATURDAY)
        reasons = [reason.message for reason in verdict.reasons]
    assert reasons
    assert "The contact policy does not allow this call now" in html
    for reason in reasons:
        assert reason in html
    assert "Next lawful moment:" in html and "Monday" in html
    assert "Override the contact policy" not in html  # a collector is not offered the override
    assert not Call.objects.exists()


def test_a_supervisor_overrides_the_policy_in_writing(client, sofia, diego, phone, clock):
    clock.move_to(SATURDAY)
    in_english(client).force_login(sofia)
    data = {"phone": phone.pk, "outcome": "no_answer", "override": "on", "override_reason": ""}
    html = client.post(log_url(diego), data, **HTMX).content.decode()
    assert "Say why the contact policy is overridden." in html
    assert not Call.objects.exists()

    data["override_reason"] = "The debtor called in and asked us to ring back this Saturday"
    response = client.post(log_url(diego), data, **HTMX)
    assert "Call logged: No answer." in response.content.decode()
    call = Call.objects.get()
    assert (call.policy_decision, call.override_by, call.collector) == (PolicyDecision.OVERRIDDEN, sofia, sofia)
    assert call.override_reason == data["override_reason"]


def test_a_callback_is_typed_on_the_debtors_clock(client, carla, portfolio):
    madrid = factories.make_debtor(portfolio=portfolio, assigned_to=carla, time_zone="Europe/Madrid")
    phone = factories.make_phone(debtor=madrid, number="+51911444555")
    in_english(client).force_login(carla)
    data = {"phone": phone.pk, "outcome": "third_party", "commitment": "callback", "callback_at": "2026-11-19T17:00"}
    html = client.post(log_url(madrid), data, **HTMX).content.decode()
    call = Call.objects.get()
    assert call.callback_at == datetime(2026, 11, 19, 17, 0, tzinfo=ZoneInfo("Europe/Madrid"))
    # English times always show their minutes (one clock style, issue 15): not Django's "5 p.m.".
    assert "Callback agreed for Nov. 19, 2026, 5:00 p.m., the debtor's local time." in html


def test_another_collectors_debtor_is_not_found(client, carla, mateo):
    phone = factories.make_phone(debtor=mateo, number="+51911666777")
    client.force_login(carla)
    assert client.post(log_url(mateo), {"phone": phone.pk, "outcome": "no_answer"}, **HTMX).status_code == 404
    assert client.get(log_url(mateo), **HTMX).status_code == 404
    assert not Call.objects.exists()


def test_without_htmx_a_logged_call_redirects_to_the_debtor_page_with_a_message(client, carla, diego, phone):
    in_english(client).force_login(carla)
    response = client.post(log_url(diego), {"phone": phone.pk, "outcome": "no_answer"})
    assert response.status_code == 302
    assert response["Location"] == reverse("debtors:detail", args=[diego.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Call logged." in page
    assert Call.objects.get().outcome == "no_answer"


def test_without_htmx_errors_show_on_the_whole_page(client, carla, diego, phone):
    in_english(client).force_login(carla)
    response = client.post(log_url(diego), {"phone": phone.pk, "outcome": "right_party", "notes": "Colgó"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and "A conversation with the debtor ends with a commitment" in html
    assert "Colgó</textarea>" in html


def test_log_another_call_gives_a_fresh_panel(client, carla, diego, phone):
    client.force_login(carla)
    html = client.get(log_url(diego), **HTMX).content.decode()
    assert "<html" not in html and 'name="outcome"' in html
    assert client.get(log_url(diego)).status_code == 302


def test_without_htmx_a_refused_call_shows_the_page_with_the_reason(client, carla, diego, phone, clock):
    clock.move_to(SATURDAY)
    in_english(client).force_login(carla)
    response = client.post(log_url(diego), {"phone": phone.pk, "outcome": "no_answer", "notes": "Sábado"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "The contact policy does not allow this call now" in html
    assert "Sábado</textarea>" in html
    assert not Call.objects.exists()
