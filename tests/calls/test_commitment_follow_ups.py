"""Every commitment is followed up, and the read-back never promises a call nothing schedules.

"We send documents", "the debtor sends documents", "consults someone" and "other" take a day;
the follow-up falls at the first lawful moment on or after it, as callbacks do. Peru: calls
Monday to Friday 07:00–20:00 in the debtor's zone, none at weekends or on holidays.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from calls.models import Call, FollowUp
from calls.services import call_log, call_summary_send, follow_ups_schedule, render_call_summary
from promises.models import PromiseRules
from tests import factories
from tests.calls.conftest import local

LIMA = "America/Lima"
WEDNESDAY = local("2026-11-18 10:00", LIMA)
SATURDAY = date(2026, 11, 21)
MONDAY_OPENING = local("2026-11-23 07:00", LIMA)
HTMX = {"HTTP_HX_REQUEST": "true"}
DATED = ["send_documents", "receive_documents", "consult", "other"]


pytestmark = pytest.mark.usefixtures("high_ids")  # ids above 1,000, as on a database in use


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone(diego):
    phone = diego.phones.get()
    phone.sms_consent, phone.sms_consent_source, phone.sms_consent_at = True, "contrato", WEDNESDAY
    phone.save()
    return phone


def notes_for(commitment: str) -> dict:
    return {"notes": "Pasará por la agencia a firmar el convenio"} if commitment == "other" else {}


@pytest.mark.parametrize("commitment", DATED)
def test_a_commitment_on_a_day_is_followed_up_at_its_first_lawful_moment(diego, carla, phone, commitment):
    result = call_log(
        debtor=diego,
        collector=carla,
        phone=phone,
        outcome="right_party",
        commitment=commitment,
        follow_up_on=SATURDAY,
        **notes_for(commitment),
    )
    follow_up = FollowUp.objects.get(debtor=diego, status="open")
    assert result.follow_up == follow_up and result.call.follow_up_on == SATURDAY
    assert (follow_up.reason, follow_up.call, follow_up.assigned_to, follow_up.created_by) == (
        "commitment",
        result.call,
        carla,
        carla,
    )
    # No calls at weekends in Peru: Monday when the window opens, in the debtor's zone.
    assert follow_up.due_at == MONDAY_OPENING
    # The scheduler's safety net finds it already there.
    assert follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5)).commitments == 0


@pytest.mark.parametrize("commitment", DATED)
def test_a_commitment_without_its_day_or_with_a_past_one_is_refused(diego, carla, phone, commitment):
    for day, message in ((None, "Say on which day"), (date(2026, 11, 17), "in the past")):
        with translation.override("en"), pytest.raises(ValidationError) as raised:
            call_log(
                debtor=diego,
                collector=carla,
                phone=phone,
                outcome="right_party",
                commitment=commitment,
                follow_up_on=day,
                **notes_for(commitment),
            )
        assert message in " ".join(raised.value.message_dict["follow_up_on"])
    assert not Call.objects.exists() and not FollowUp.objects.exists()


@pytest.mark.parametrize("commitment", DATED)
def test_the_day_belongs_to_these_commitments_only(diego, carla, phone, commitment):
    with pytest.raises(ValidationError) as raised:
        call_log(
            debtor=diego,
            collector=carla,
            phone=phone,
            outcome="right_party",
            commitment="promise",
            promise_amount=Decimal("200"),
            promise_date=date(2026, 11, 25),
            follow_up_on=SATURDAY,
        )
    assert "follow_up_on" in raised.value.message_dict


def test_a_day_that_is_today_is_followed_up_from_now(diego, carla, phone):
    result = call_log(
        debtor=diego,
        collector=carla,
        phone=phone,
        outcome="right_party",
        commitment="consult",
        follow_up_on=date(2026, 11, 18),
    )
    assert result.follow_up.due_at == WEDNESDAY


@pytest.mark.parametrize("commitment", DATED)
def test_the_database_holds_every_dated_commitment_to_its_day(diego, carla, commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.create(
            debtor=diego, collector=carla, outcome="right_party", commitment=commitment, started_at=WEDNESDAY
        )


@pytest.mark.parametrize("commitment", DATED)
def test_a_call_logged_another_way_gets_its_follow_up_from_the_scheduler(diego, carla, commitment):
    call = factories.make_call(
        debtor=diego,
        collector=carla,
        outcome="right_party",
        commitment=commitment,
        follow_up_on=SATURDAY,
        started_at=WEDNESDAY,
    )
    result = follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5))
    assert result.commitments == 1
    follow_up = FollowUp.objects.get()
    assert (follow_up.reason, follow_up.call, follow_up.due_at, follow_up.created_by_job) == (
        "commitment",
        call,
        MONDAY_OPENING,
        "schedule_follow_ups",
    )
    assert follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=10)).commitments == 0


# --- The read-back and the summary sent to the debtor ----------------------------------------


def in_spanish(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    client.force_login(user)


READ_BACK = {
    "send_documents": "le volveremos a llamar el 23 de noviembre de 2026",
    "receive_documents": "le volveremos a llamar el 23 de noviembre de 2026",
    "consult": "le volveremos a llamar el 23 de noviembre de 2026 para conocer su decisión",
    "other": "Le volveremos a llamar el 23 de noviembre de 2026.",
}
MESSAGE = {
    "send_documents": "Le volveremos a llamar el 23/11/2026.",
    "receive_documents": "Le volveremos a llamar el 23/11/2026.",
    "consult": "Le volveremos a llamar el 23/11/2026 para conocer su decisión.",
    "other": "Le volveremos a llamar el 23/11/2026.",
}


@pytest.mark.parametrize("commitment", DATED)
def test_the_read_back_and_the_summary_name_the_day_of_the_next_call(client, carla, diego, phone, commitment):
    in_spanish(client, carla)
    data = {
        "phone": phone.pk,
        "outcome": "right_party",
        "commitment": commitment,
        "follow_up_on": "2026-11-21",
        **notes_for(commitment),
    }
    html = client.post(reverse("calls:log", args=[diego.pk]), data, **HTMX).content.decode()
    assert READ_BACK[commitment] in html
    call = Call.objects.get()
    sent = call_summary_send(call=call, channel="sms", by=carla)
    assert MESSAGE[commitment] in sent.message.body


def test_the_form_proposes_a_day_three_days_ahead(client, carla, diego):
    in_spanish(client, carla)
    html = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert 'name="follow_up_on" value="2026-11-21"' in html


def test_a_callback_at_an_unlawful_time_is_read_back_at_the_time_it_is_scheduled(client, carla, diego, phone):
    in_spanish(client, carla)
    data = {"phone": phone.pk, "outcome": "right_party", "commitment": "callback", "callback_at": "2026-11-18T21:30"}
    html = client.post(reverse("calls:log", args=[diego.pk]), data, **HTMX).content.decode()
    assert FollowUp.objects.get(status="open").due_at == local("2026-11-19 07:00", LIMA)
    read_back = html.split('class="read-back"')[1].split("</div>")[0]
    assert "19 de noviembre de 2026 a las 07:00" in read_back and "21:30" not in read_back
    assert "no está permitida" in html  # the collector is told, to tell the debtor
    body = render_call_summary(call=Call.objects.get(), channel="sms")[1]
    assert "19/11/2026 07:00" in body


def test_a_summary_sent_later_keeps_the_debtors_clock(carla, diego, phone, clock):
    """The debtor is in Mexico City; the collector's clock is Lima's."""
    diego.time_zone = "America/Mexico_City"
    diego.save()
    call_log(
        debtor=diego,
        collector=carla,
        phone=phone,
        outcome="right_party",
        commitment="callback",
        callback_at=local("2026-11-19 16:00", "America/Mexico_City"),
    )
    with translation.override("es"):
        body = render_call_summary(call=Call.objects.get(), channel="sms")[1]
    assert "19/11/2026 16:00" in body


def test_reminders_are_read_back_only_where_the_portfolio_sends_them(client, carla, diego, phone, portfolio):
    in_spanish(client, carla)
    data = {
        "phone": phone.pk,
        "outcome": "right_party",
        "commitment": "promise",
        "promise_amount": "300,00",
        "promise_date": "2026-11-27",
    }
    html = client.post(reverse("calls:log", args=[diego.pk]), data, **HTMX).content.decode()
    assert "Le recordaremos antes de cada fecha de pago." in html
    PromiseRules.objects.create(portfolio=portfolio, reminder_days_before=0)
    html = client.post(reverse("calls:log", args=[diego.pk]), data, **HTMX).content.decode()
    assert "Le recordaremos" not in html


def test_a_promise_made_today_is_not_reminded_by_a_call_minutes_later(carla, diego, phone):
    call_log(
        debtor=diego,
        collector=carla,
        phone=phone,
        outcome="right_party",
        commitment="promise",
        promise_amount=Decimal("300"),
        promise_date=date(2026, 11, 19),
    )
    phone.sms_consent = False
    phone.save()
    result = follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5))
    assert (result.reminder_calls, result.reminder_messages) == (0, 0)
    # The next day, still before the due date, the reminder comes.
    result = follow_ups_schedule(now=local("2026-11-19 08:00", LIMA))
    assert result.reminder_calls == 1
