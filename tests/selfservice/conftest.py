"""A debtor ready for the self-service page: a national id to confirm, a number that consented
to SMS, an e-mail, and a link Carla sent on a Wednesday morning in Lima."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import caches

from selfservice.services import link_send

# Wednesday 18 November 2026, 10:00 in Lima: Peru's contact window is open.
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/Lima"))
NATIONAL_ID = "45871236"


@pytest.fixture(autouse=True)
def fresh_counters():
    """The rate limits count per client address across tests (one frozen clock, one window)."""
    caches["api_throttle"].clear()
    yield
    caches["api_throttle"].clear()


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ready_debtor(diego):
    diego.national_id = NATIONAL_ID
    diego.email = "diego@example.pe"
    diego.save(update_fields=["national_id", "email"])
    diego.phones.update(sms_consent=True, sms_consent_source="Contrato, cláusula 12", sms_consent_at=WEDNESDAY)
    return diego


@pytest.fixture
def sent_link(clock, ready_debtor, carla):
    link, message = link_send(debtor=ready_debtor, channel="sms", by=carla, base_url="http://testserver/")
    return link, message


def path_of(message) -> str:
    """The page's path in the SMS the debtor received."""
    return re.search(r"http://testserver(/s/[^ ]+/)", message.body).group(1)
