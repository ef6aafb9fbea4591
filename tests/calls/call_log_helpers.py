"""What the call_log test modules share (test_call_log*.py): the moment they run at and the
call they log. The `phone` fixture, Diego's one number, is in tests/calls/conftest.py."""

from calls.services import call_log
from tests.calls.conftest import local

LIMA = "America/Lima"
# Wednesday 18 November 2026, 10:00 in Lima: Peru's contact window is open.
WEDNESDAY = local("2026-11-18 10:00", LIMA)


def log(debtor, collector, phone, **fields):
    return call_log(debtor=debtor, collector=collector, phone=phone, **fields)


def errors_of(raised) -> dict:
    return raised.value.message_dict
