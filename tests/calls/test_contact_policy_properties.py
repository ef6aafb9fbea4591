"""Property: no sequence of attempts the engine allows breaks a preset's hard limits.

Hypothesis drives random attempts (gaps, channels, outcomes) through the pure engine; the
allowed ones become the ledger. Independent checks below then recount the ledger the way
each law counts.
"""

import zoneinfo
from collections import Counter, defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.policy import Attempt, compile_preset_data, holiday_calendar, week_start
from tests.calls.conftest import judge, local

ZONES = {
    "us_regf": "America/New_York",
    "cl": "America/Santiago",
    "co": "America/Bogota",
    "ec": "America/Guayaquil",
    "pe": "America/Lima",
    "es": "Europe/Madrid",
}
CHANNELS = ["voice", "voice", "voice", "sms", "whatsapp", "email", "visit"]
OUTCOMES = ["right_party", "third_party", "no_answer", "busy", "voicemail", "disconnected"]

steps = st.lists(
    st.tuples(st.integers(min_value=0, max_value=36 * 60), st.sampled_from(CHANNELS), st.sampled_from(OUTCOMES)),
    min_size=1,
    max_size=60,
)


def run(preset, preset_steps, overlays=()):
    zone = ZONES[preset]
    # Start a week before Chile's September change, so runs cross DST.
    at = local("2026-08-31 06:00", zone)
    ledger = []
    for minutes, channel, outcome in preset_steps:
        at += timedelta(minutes=minutes)
        verdict = judge(preset, at, time_zone=zone, channel=channel, attempts=ledger, overlays=overlays)
        if verdict.allowed:
            ledger.append(Attempt(at, channel, outcome))
        elif verdict.next_allowed_at is not None:
            assert verdict.next_allowed_at > at
            again = judge(
                preset, verdict.next_allowed_at, time_zone=zone, channel=channel, attempts=ledger, overlays=overlays
            )
            assert again.allowed, (verdict.codes, again.codes)
    return zone, ledger


def assert_hours_and_holidays(preset, zone, ledger):
    policy = compile_preset_data(preset)
    windows = [rule.params for rule in policy.rules if rule.kind == "window"]
    holiday_rules = [rule.params for rule in policy.rules if rule.kind == "holidays"]
    for attempt in ledger:
        moment = attempt.started_at.astimezone(zoneinfo.ZoneInfo(zone))
        assert any(
            moment.weekday() in window["weekdays"] and window["start_time"] <= moment.time() < window["end_time"]
            for window in windows
        )
        for params in holiday_rules:
            assert moment.date() not in holiday_calendar(params["country"], "", moment.year)


def local_dates(ledger, zone, keep=lambda attempt: True):
    return [attempt.started_at.astimezone(zoneinfo.ZoneInfo(zone)).date() for attempt in ledger if keep(attempt)]


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(steps)
def test_us_never_more_than_seven_calls_in_seven_days_nor_calls_in_the_quiet_period(preset_steps):
    zone, ledger = run("us_regf", preset_steps)
    assert_hours_and_holidays("us_regf", zone, ledger)
    calls = [a for a in ledger if a.channel == "voice"]
    days = local_dates(calls, zone, lambda a: a.outcome not in ("busy", "disconnected"))
    for day in set(days):
        assert sum(1 for d in days if day - timedelta(days=6) <= d <= day) <= 7
    for index, call in enumerate(calls):
        day = local_dates([call], zone)[0]
        for earlier in calls[:index]:
            if earlier.outcome == "right_party":
                conversation = local_dates([earlier], zone)[0]
                assert not (conversation <= day < conversation + timedelta(days=7))


@SETTINGS
@given(steps)
def test_chile_one_phone_contact_and_two_spaced_messages_a_week(preset_steps):
    zone, ledger = run("cl", preset_steps)
    assert_hours_and_holidays("cl", zone, ledger)
    contacts = Counter(
        week_start(d)
        for d in local_dates(
            ledger, zone, lambda a: a.channel in ("voice", "visit") and a.outcome in ("right_party", "third_party")
        )
    )
    assert all(count <= 1 for count in contacts.values())
    messages = sorted(local_dates(ledger, zone, lambda a: a.channel in ("sms", "whatsapp", "email")))
    assert all(count <= 2 for count in Counter(week_start(d) for d in messages).values())
    assert all((later - earlier).days >= 2 for earlier, later in zip(messages, messages[1:]))


@SETTINGS
@given(steps)
def test_colombia_one_contact_a_day_and_one_channel_a_week_after_direct_contact(preset_steps):
    zone, ledger = run("co", preset_steps)
    assert_hours_and_holidays("co", zone, ledger)
    days = local_dates(ledger, zone)
    assert all(count <= 1 for count in Counter(days).values())
    weeks = defaultdict(list)
    for attempt, day in zip(ledger, days):
        weeks[week_start(day)].append(attempt)
    for attempts in weeks.values():
        first = next((i for i, a in enumerate(attempts) if a.outcome == "right_party"), None)
        if first is not None:
            assert len({a.channel for a in attempts[first:]}) == 1


@SETTINGS
@given(steps)
def test_ecuador_one_contact_a_day(preset_steps):
    zone, ledger = run("ec", preset_steps)
    assert_hours_and_holidays("ec", zone, ledger)
    assert all(count <= 1 for count in Counter(local_dates(ledger, zone)).values())


@SETTINGS
@given(steps)
def test_peru_and_spain_only_within_their_hours(preset_steps):
    for preset in ("pe", "es"):
        zone, ledger = run(preset, preset_steps)
        assert_hours_and_holidays(preset, zone, ledger)
