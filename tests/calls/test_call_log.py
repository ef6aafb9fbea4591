"""Logging a call: who may log it on which number, and the attempt with the contact policy's
verdict in one transaction, however many people log at once and in few round trips.

The stance and commitment a call records are in test_call_log_commitments.py, the limits that
send an arrangement for approval in test_call_log_limits.py."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from calls.models import Call, PolicyDecision
from calls.services import ContactBlocked, call_log
from promises.models import Arrangement, Promise
from tests import factories
from tests.calls.call_log_helpers import LIMA, WEDNESDAY, errors_of, log
from tests.calls.conftest import local


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


# --- Rule 1: scope ---------------------------------------------------------------------------


def test_a_collector_cannot_log_a_call_on_another_collectors_debtor(mateo, carla, cris):
    phone = factories.make_phone(debtor=mateo, number="+51911111111")
    with pytest.raises(Http404):
        log(mateo, carla, phone, outcome="no_answer")
    assert not Call.objects.exists()


def test_a_supervisor_logs_calls_on_her_teams_debtors_but_not_on_others(diego, mateo, phone, sofia, pablo):
    assert log(diego, sofia, phone, outcome="no_answer").call.collector == sofia
    with pytest.raises(Http404):
        log(diego, pablo, phone, outcome="no_answer")


def test_a_phone_of_another_debtor_is_not_found(diego, mateo, carla):
    strangers_phone = factories.make_phone(debtor=mateo, number="+51922222222")
    with pytest.raises(Http404):
        log(diego, carla, strangers_phone, outcome="no_answer")
    assert not Call.objects.exists()


def test_a_call_needs_the_number_that_was_dialled(diego, carla):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, None, outcome="no_answer")
    assert "phone" in errors_of(raised)


# --- Rule 2: the attempt and the contact policy, in one transaction --------------------------


def test_the_call_keeps_the_contact_policys_verdict(diego, carla, phone):
    call = log(diego, carla, phone, outcome="no_answer").call
    call.refresh_from_db()
    assert (call.channel, call.policy_code, call.policy_decision) == ("voice", "pe", PolicyDecision.ALLOWED)
    assert call.local_time == "2026-11-18T10:00:00-05:00"


def test_a_blocked_call_is_refused_and_nothing_is_saved(diego, carla, phone, clock):
    clock.move_to(local("2026-11-21 10:00", LIMA))  # Saturday: no calls in Peru
    with pytest.raises(ContactBlocked):
        log(
            diego,
            carla,
            phone,
            outcome="right_party",
            commitment="promise",
            promise_amount="300",
            promise_date=date(2026, 11, 30),
        )
    assert not Call.objects.exists()
    assert not Promise.objects.exists()


def test_a_supervisor_override_logs_the_blocked_call_with_its_promise(diego, carla, sofia, phone, clock):
    clock.move_to(local("2026-11-21 10:00", LIMA))
    result = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="promise",
        promise_amount="300",
        promise_date=date(2026, 11, 30),
        override_by=sofia,
        override_reason="The debtor called us and asked for Saturday",
    )
    assert result.call.policy_decision == PolicyDecision.OVERRIDDEN
    assert result.promise.call == result.call


def test_an_override_by_a_supervisor_of_another_team_is_not_found(diego, carla, pablo, phone, clock):
    clock.move_to(local("2026-11-21 10:00", LIMA))
    with pytest.raises(Http404):
        log(diego, carla, phone, outcome="no_answer", override_by=pablo, override_reason="Asked for Saturday")


def test_a_failure_after_the_attempt_leaves_no_attempt_behind(diego, carla, phone):
    # Three decimals pass the plan's checks but not the promise's: the attempt is rolled back too.
    plan = {"count": 2, "first_date": date(2026, 11, 25), "frequency": "weekly", "amounts": ["100.005", "100"]}
    with pytest.raises(ValidationError):
        log(diego, carla, phone, outcome="right_party", commitment="instalments", instalments=plan)
    assert not Call.objects.exists()
    assert not Arrangement.objects.exists()


# --- Rule 5: nothing lost ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_logging_calls_on_the_same_debtor_at_once_both_land(diego, carla, sofia):
    phone = diego.phones.get()
    start = threading.Barrier(2)
    errors = []

    def run(user, amount):
        try:
            start.wait(timeout=10)
            call_log(
                debtor=diego,
                collector=user,
                phone=phone,
                outcome="right_party",
                commitment="promise",
                promise_amount=amount,
                promise_date=date(2026, 11, 30),
            )
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(user, amount)) for user, amount in ((carla, "100"), (sofia, "200"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Call.objects.filter(debtor=diego).count() == 2
    assert sorted(Promise.objects.filter(debtor=diego).values_list("amount", flat=True)) == [
        Decimal("100.00"),
        Decimal("200.00"),
    ]


# --- Round trips: the collector waits for each one ------------------------------------------------


def _statements_to_log(debtor, collector, phone, **fields) -> list[str]:
    from django.test.utils import CaptureQueriesContext

    from calls.policy import check_contact

    check_contact(debtor, "voice", WEDNESDAY, phone=phone)  # the compiled policy cached, as on a working desk
    with CaptureQueriesContext(connection) as queries:
        log(debtor, collector, phone, **fields)
    return [query["sql"] for query in queries.captured_queries]


def test_an_unanswered_call_is_logged_in_seven_statements(diego, carla, phone):
    # Lock the debtor, read the contact ledger, insert the call, lock the open follow-ups, read
    # the retry cadence; and the transaction's own two (a savepoint here, inside the test's).
    statements = _statements_to_log(diego, carla, phone, outcome="no_answer")
    assert len(statements) == 7, "\n".join(statements)
    assert sum("SAVEPOINT" in sql and "RELEASE" not in sql for sql in statements) == 1


def test_a_call_with_a_promise_has_no_savepoint_per_row(diego, carla, phone):
    statements = _statements_to_log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="promise",
        promise_amount=Decimal("150"),
        promise_date=date(2026, 11, 25),
    )
    # call_log's transaction only: the promise is made inside it, and the portfolio's rules,
    # limits and the debtor's balance come in one query.
    assert sum("SAVEPOINT" in sql and "RELEASE" not in sql for sql in statements) == 1, "\n".join(statements)
    assert len(statements) <= 11, "\n".join(statements)
