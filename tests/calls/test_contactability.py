"""How each number answers by weekday and hour of the debtor's day, counted set-based at night,
and the best window the desk shows for it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from calls.models import Call, PhoneContactability
from calls.services import best_windows, contactability_refresh
from tests import factories

LIMA = ZoneInfo("America/Lima")
NIGHT = datetime(2026, 11, 21, 0, 10, tzinfo=LIMA)


def _call(debtor, collector, local: str, outcome: str, **fields):
    """A call at the debtor's local moment `local` (ISO, as the policy stores it)."""
    started = datetime.fromisoformat(local)
    return factories.make_call(
        debtor=debtor,
        collector=collector,
        phone=debtor.phones.first(),
        outcome=outcome,
        started_at=started,
        local_time=local,
        local_time_zone="America/Lima",
        **fields,
    )


@pytest.fixture
def history(diego, carla):
    # Tuesday at six in the evening the debtor answers; Wednesday mornings nobody does.
    for minute, outcome in ((5, "right_party"), (20, "no_answer"), (40, "right_party")):
        _call(diego, carla, f"2026-11-17T18:{minute:02d}:00-05:00", outcome)
    for day in (11, 18, 4):
        _call(diego, carla, f"2026-11-{day:02d}T10:15:00-05:00", "no_answer")
    _call(diego, carla, "2026-11-19T12:30:00-05:00", "third_party")
    # Not counted: too old, the debtor calling us, a message.
    _call(diego, carla, "2026-03-03T18:00:00-05:00", "right_party")
    _call(diego, carla, "2026-11-17T18:30:00-05:00", "right_party", direction=Call.Direction.INBOUND)
    _call(diego, carla, "2026-11-17T18:31:00-05:00", "message_sent", channel="sms")
    return diego


def test_the_nightly_count_is_by_weekday_and_hour_of_the_debtors_day(history):
    written = contactability_refresh(now=NIGHT)

    slots = {
        (row.weekday, row.hour): (row.attempts, row.connects, row.right_party)
        for row in PhoneContactability.objects.all()
    }
    assert slots == {(1, 18): (3, 2, 2), (2, 10): (3, 0, 0), (3, 12): (1, 1, 0)}
    assert written == 3
    assert contactability_refresh(now=NIGHT) == 3 and PhoneContactability.objects.count() == 3  # a rerun replaces


def test_the_best_window_is_where_the_debtor_answers(history):
    contactability_refresh(now=NIGHT)
    window = best_windows([history.phones.get().pk])[history.phones.get().pk]
    assert (window.weekday, window.hour, window.attempts, window.right_party) == (1, 18, 3, 2)


def test_a_number_never_answered_has_no_best_window(diego, carla):
    _call(diego, carla, "2026-11-17T18:05:00-05:00", "no_answer")
    contactability_refresh(now=NIGHT)
    assert best_windows([diego.phones.get().pk]) == {}


def test_the_desk_shows_each_numbers_best_time(client, carla, history):
    contactability_refresh(now=NIGHT)
    client.force_login(carla)
    with time_machine.travel(NIGHT + timedelta(hours=9), tick=False):
        page = client.get(reverse("debtors:detail", args=[history.pk])).content.decode()
    assert "Mejor hora: martes 18:00–19:00 (contactado 2 de 3)" in page
