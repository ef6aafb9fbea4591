import zoneinfo
from datetime import datetime

import pytest

from calls.policy import Attempt, DebtorSnapshot, PhoneSnapshot, compile_preset_data, evaluate, policy_cache_clear

ALL_CHANNELS = frozenset({"voice", "sms", "whatsapp", "email", "visit"})
OWN_CONSENTED = PhoneSnapshot(id=1, relationship="own", status="valid", sms_consent=True, whatsapp_consent=True)


@pytest.fixture(autouse=True)
def fresh_policy_cache():
    policy_cache_clear()
    yield
    policy_cache_clear()


@pytest.fixture
def phone(diego):
    """Diego's one number (the call_log tests'; a module with its own `phone` uses that one)."""
    return diego.phones.get()


def local(moment: str, time_zone: str) -> datetime:
    """'2026-03-02 07:59' on the debtor's wall clock, as an aware datetime."""
    return datetime.fromisoformat(moment).replace(tzinfo=zoneinfo.ZoneInfo(time_zone))


def utc(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=zoneinfo.ZoneInfo("UTC"))


def attempt(moment: str, time_zone: str, channel="voice", outcome="no_answer", direction="outbound", debt_id=None):
    return Attempt(local(moment, time_zone), channel, outcome, direction, debt_id)


def judge(
    preset,
    at,
    *,
    time_zone,
    channel="voice",
    attempts=(),
    phone=OWN_CONSENTED,
    holds=(),
    overlays=(),
    authorised=ALL_CHANNELS,
    debt_id=None,
):
    """A verdict from the preset data alone (no database)."""
    policy = compile_preset_data(preset, tuple(overlays))
    debtor = DebtorSnapshot(
        id=1, time_zone=time_zone, holds=tuple(holds), phones=(OWN_CONSENTED,), authorised_channels=authorised
    )
    return evaluate(policy, debtor, channel, at, list(attempts), phone=phone, debt_id=debt_id)
