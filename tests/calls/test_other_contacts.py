"""Calls from the debtor, field visits and letters land on the same ledger as our calls, so the
contact policy's counters see them and the history tells them apart."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from calls.models import Call
from calls.policy import check_contact
from calls.services import ContactBlocked, call_log, letter_record
from promises.models import Promise
from tests.calls.call_log_helpers import WEDNESDAY, errors_of
from tests.calls.conftest import local


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def _chile(diego):
    portfolio = diego.portfolio
    portfolio.country, portfolio.contact_policy_preset = "CL", "cl"
    portfolio.save()
    diego.time_zone = "America/Santiago"
    diego.save()


def test_a_call_from_the_debtor_at_night_is_logged_with_its_promise_and_no_verdict(diego, carla, clock):
    clock.move_to(local("2026-11-18 22:30", "America/Lima"))  # no call of ours is lawful now in Peru
    result = call_log(
        debtor=diego,
        collector=carla,
        phone=None,
        kind="inbound_call",
        outcome="right_party",
        commitment="promise",
        promise_amount="200.00",
        promise_date=date(2026, 11, 25),
    )
    call = result.call
    assert (call.direction, call.channel, call.policy_decision, call.policy_verdict) == ("inbound", "voice", "", None)
    assert Promise.objects.get(call=call).amount == 200


def test_a_call_from_the_debtor_was_answered_by_someone(diego, carla):
    with pytest.raises(ValidationError) as refusal:
        call_log(debtor=diego, collector=carla, phone=None, kind="inbound_call", outcome="no_answer")
    assert "outcome" in errors_of(refusal)


def test_an_outbound_call_still_needs_its_number(diego, carla):
    with pytest.raises(ValidationError) as refusal:
        call_log(debtor=diego, collector=carla, phone=None, outcome="no_answer")
    assert "phone" in errors_of(refusal)


def test_a_visit_counts_toward_chiles_one_phone_contact_or_visit_a_week(diego, carla, phone):
    _chile(diego)
    call_log(
        debtor=diego,
        collector=carla,
        phone=None,
        kind="visit",
        outcome="right_party",
        no_commitment_reason="Says he will call the bank",
    )
    visit = Call.objects.get()
    assert (visit.channel, visit.direction, visit.policy_decision) == ("visit", "outbound", "allowed")
    later = WEDNESDAY + timedelta(days=1)
    verdict = check_contact(diego, "voice", later, phone=phone)
    assert not verdict.allowed  # the week's one effective contact was the visit
    phone.refresh_from_db()
    assert phone.status == "unknown"  # a visit says nothing about the number


def test_a_visit_outside_the_legal_hours_is_refused(diego, carla, clock):
    clock.move_to(local("2026-11-18 21:00", "America/Lima"))
    with pytest.raises(ContactBlocked):
        call_log(debtor=diego, collector=carla, phone=None, kind="visit", outcome="no_answer")


def test_the_desk_form_logs_a_call_from_the_debtor(client, diego, carla, phone):
    client.force_login(carla)
    response = client.post(
        reverse("calls:log", args=[diego.pk]),
        {
            "kind": "inbound_call",
            "phone": phone.pk,
            "outcome": "right_party",
            "no_commitment_reason": "Solo consultaba",
        },
    )
    assert response.status_code == 302
    assert Call.objects.get().direction == "inbound"
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "Una llamada del deudor" in page


def test_the_api_logs_a_visit_without_a_phone(client, diego, carla):
    client.force_login(carla)
    response = client.post(
        "/api/v1/calls/",
        {"debtor": diego.pk, "kind": "visit", "outcome": "no_answer"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Call.objects.get().channel == "visit"


def test_a_letter_is_on_the_ledger_and_the_timeline(client, diego, carla):
    client.force_login(carla)
    response = client.post(
        reverse("calls:letter", args=[diego.pk]),
        {"letter-sent_on": "2026-11-16", "letter-notes": "Carta de cobranza 1"},
    )
    assert response.status_code == 302
    letter = Call.objects.get()
    assert (letter.channel, letter.outcome, letter.collector) == ("letter", "message_sent", carla)
    assert letter.started_at == local("2026-11-16 12:00", "America/Lima")
    history = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode().split('id="timeline"')[1]
    assert "Carta de cobranza 1" in history and "Carta" in history


def test_a_letter_dated_tomorrow_is_refused_in_the_users_language(client, diego, carla):
    client.force_login(carla)
    response = client.post(reverse("calls:letter", args=[diego.pk]), {"letter-sent_on": "2026-11-19"})
    assert response.status_code == 400
    assert "día que aún no llega" in response.content.decode()
    assert not Call.objects.exists()


def test_a_collector_of_another_team_cannot_record_a_letter(diego, cris):
    from django.http import Http404

    with pytest.raises(Http404):
        letter_record(debtor=diego, by=cris, sent_on=date(2026, 11, 18))


def test_a_conversation_the_debtor_started_opens_the_us_quiet_week(diego, carla, phone):
    """Reg F 1006.14: no call within seven days after a telephone conversation, whoever called."""
    portfolio = diego.portfolio
    portfolio.country, portfolio.currency, portfolio.contact_policy_preset = "US", "USD", "us_regf"
    portfolio.save()
    diego.time_zone = "America/New_York"
    diego.save()
    call_log(
        debtor=diego,
        collector=carla,
        phone=phone,
        kind="inbound_call",
        outcome="right_party",
        no_commitment_reason="Asked for the balance only",
    )
    three_days_later = local("2026-11-21 11:00", "America/New_York")
    assert not check_contact(diego, "voice", three_days_later, phone=phone).allowed


def test_in_chile_letters_count_among_the_two_other_actions_a_week(diego, carla, phone):
    """Ley 21.320 names mail beside SMS and e-mail: two letters on Monday and Wednesday leave no
    room for an SMS that week (cl v2)."""
    _chile(diego)
    phone.sms_consent, phone.sms_consent_source, phone.sms_consent_at = True, "Contrato", WEDNESDAY
    phone.save()
    letter_record(debtor=diego, by=carla, sent_on=date(2026, 11, 16))
    assert check_contact(diego, "sms", WEDNESDAY, phone=phone).allowed  # one action so far, two days ago
    letter_record(debtor=diego, by=carla, sent_on=date(2026, 11, 18))
    verdict = check_contact(diego, "sms", local("2026-11-20 10:00", "America/Santiago"), phone=phone)
    assert not verdict.allowed and (verdict.policy_code, verdict.policy_version) == ("cl", 2)
