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


# --- Demotion after N failed attempts, restoring with a reason -----------------------------------


@pytest.fixture
def forgiving(portfolio):
    from calls.models import PortfolioContactSettings

    return PortfolioContactSettings.objects.create(portfolio=portfolio, demote_number_after=2)


def _log(debtor, collector, outcome, at):
    from calls.services import call_log

    with time_machine.travel(at, tick=False):
        return call_log(debtor=debtor, collector=collector, phone=debtor.phones.get(), outcome=outcome)


WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)


def test_a_number_is_demoted_after_the_portfolios_number_of_failures(diego, carla, forgiving):
    from calls.models import PhoneStatusChange

    _log(diego, carla, "wrong_number", WEDNESDAY)
    assert diego.phones.get().status == "unknown"  # one slip of the hand is forgiven
    _log(diego, carla, "no_answer", WEDNESDAY + timedelta(hours=1))
    second = _log(diego, carla, "wrong_number", WEDNESDAY + timedelta(hours=2))

    assert diego.phones.get().status == "wrong_number"
    change = PhoneStatusChange.objects.get()
    assert (change.from_status, change.to_status, change.source, change.call, change.by) == (
        "unknown",
        "wrong_number",
        "calls",
        second.call,
        carla,
    )


def test_reaching_someone_starts_the_count_again(diego, carla, forgiving):
    _log(diego, carla, "disconnected", WEDNESDAY)
    factories.make_call(
        debtor=diego,
        collector=carla,
        phone=diego.phones.get(),
        outcome="third_party",
        started_at=WEDNESDAY + timedelta(hours=1),
    )
    _log(diego, carla, "disconnected", WEDNESDAY + timedelta(hours=2))
    assert diego.phones.get().status == "unknown"


def test_by_default_one_failure_demotes_as_before(diego, carla):
    _log(diego, carla, "disconnected", WEDNESDAY)
    assert diego.phones.get().status == "disconnected"


def test_a_demoted_number_is_restored_with_a_reason(client, diego, carla, carlos):
    from calls.models import PhoneStatusChange

    _log(diego, carla, "wrong_number", WEDNESDAY)
    phone = diego.phones.get()
    url = reverse("calls:phone_restore", args=[diego.pk, phone.pk])
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert f'action="{url}"' in page

    refused = client.post(url, {"reason": "  "}, follow=True)
    assert "Diga por qué se restablece el número." in refused.content.decode()
    assert diego.phones.get().status == "wrong_number"
    restored = client.post(url, {"reason": "El deudor confirmó que es su número"}, follow=True)
    assert "+51 987 654 321 vuelve a estar en uso." in restored.content.decode()
    assert diego.phones.get().status == "valid"
    change = PhoneStatusChange.objects.get(source="restored")
    assert (change.from_status, change.to_status, change.by, change.reason) == (
        "wrong_number",
        "valid",
        carla,
        "El deudor confirmó que es su número",
    )
    client.force_login(carlos)  # not his debtor
    assert client.post(url, {"reason": "x"}).status_code == 404


# --- Retries aim at the number's best hour ---------------------------------------------------------


def _best_at(phone, weekday, hour):
    PhoneContactability.objects.create(
        phone=phone, weekday=weekday, hour=hour, attempts=4, connects=3, right_party=3, counted_at=NIGHT
    )


@pytest.mark.parametrize(
    "weekday,hour,expected",
    [
        (2, 18, datetime(2026, 11, 18, 18, 0, tzinfo=LIMA)),  # Wednesday 18:00, the same day
        (3, 9, datetime(2026, 11, 19, 9, 0, tzinfo=LIMA)),  # Thursday 09:00, within a day
        (4, 18, datetime(2026, 11, 18, 11, 0, tzinfo=LIMA)),  # Friday is too far: the cadence stands
    ],
)
def test_a_retry_waits_for_the_numbers_best_hour_if_it_comes_within_a_day(diego, carla, weekday, hour, expected):
    from calls.models import FollowUp
    from calls.services import follow_ups_schedule
    from promises.models import PromiseRules

    PromiseRules.objects.create(portfolio=diego.portfolio, retry_after_minutes=60)
    _best_at(diego.phones.get(), weekday, hour)
    called = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)  # a Wednesday morning: no answer
    factories.make_call(debtor=diego, collector=carla, phone=diego.phones.get(), outcome="no_answer", started_at=called)

    follow_ups_schedule(now=called + timedelta(minutes=5))

    assert FollowUp.objects.get(reason="retry").due_at == expected


def test_the_call_after_a_broken_promise_aims_at_the_debtors_best_hour(diego, carla):
    from calls.models import FollowUp
    from calls.services import follow_ups_schedule
    from promises.models import Promise

    _best_at(diego.phones.get(), 2, 18)  # Wednesdays at six
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
    factories.make_promise(
        debtor=diego,
        collector=carla,
        due_date=datetime(2026, 11, 16).date(),
        status=Promise.Status.BROKEN,
        resolved_at=wednesday - timedelta(hours=1),
    )

    follow_ups_schedule(now=wednesday)

    assert FollowUp.objects.get(reason="broken_promise").due_at == datetime(2026, 11, 18, 18, 0, tzinfo=LIMA)
