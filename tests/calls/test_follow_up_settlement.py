"""The queue shrinks as work is done: a logged call settles the follow-ups it worked, and a
collector can mark one done or move it, saying why. Every change is a row: who, when, why.

Wednesday 18 November 2026, 10:00 in Lima: Peru's window (Mon–Fri 07:00–20:00) is open.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404

from calls.models import Call, FollowUp, FollowUpEvent
from calls.services import call_log, follow_up_complete, follow_up_move, follow_ups_schedule
from promises.models import PromiseRules
from tests import factories
from tests.calls.conftest import local

LIMA = "America/Lima"
WEDNESDAY = local("2026-11-18 10:00", LIMA)
EARLIER = local("2026-11-18 08:30", LIMA)
KINDS = [reason for reason in FollowUp.Reason.values]


pytestmark = pytest.mark.usefixtures("high_ids")  # ids above 1,000, as on a database in use


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone(diego):
    return diego.phones.get()


def due_follow_ups(debtor, collector, *, due_at=EARLIER) -> dict[str, FollowUp]:
    """One open follow-up of every kind, all due."""
    promise = factories.make_promise(debtor=debtor, collector=collector, amount=Decimal("300.00"))
    return {
        reason: factories.make_follow_up(
            debtor=debtor,
            assigned_to=collector,
            reason=reason,
            due_at=due_at,
            promise=promise if reason in ("broken_promise", "reminder") else None,
        )
        for reason in KINDS
    }


# (outcome, what the call ended with) for every way a call can end.
ENDINGS = {
    "promise": (
        "right_party",
        {"commitment": "promise", "promise_amount": Decimal("250.00"), "promise_date": date(2026, 11, 25)},
    ),
    "instalments": (
        "right_party",
        {
            "commitment": "instalments",
            "instalments": {"count": 3, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": "900"},
        },
    ),
    "callback": ("right_party", {"commitment": "callback", "callback_at": local("2026-11-19 16:00", LIMA)}),
    "send_documents": ("right_party", {"commitment": "send_documents", "follow_up_on": date(2026, 11, 23)}),
    "receive_documents": ("right_party", {"commitment": "receive_documents", "follow_up_on": date(2026, 11, 23)}),
    "consult": ("right_party", {"commitment": "consult", "follow_up_on": date(2026, 11, 20)}),
    "other": (
        "right_party",
        {"commitment": "other", "follow_up_on": date(2026, 11, 20), "notes": "Pasará por la agencia"},
    ),
    "lost call": ("right_party", {"no_commitment_reason": "Colgó al hablar de la deuda"}),
    "third party, callback": (
        "third_party",
        {"commitment": "callback", "callback_at": local("2026-11-18 18:00", LIMA)},
    ),
    "third party": ("third_party", {}),
    "no answer": ("no_answer", {}),
    "busy": ("busy", {}),
    "voicemail": ("voicemail", {}),
    "wrong number": ("wrong_number", {}),
    "disconnected": ("disconnected", {}),
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_every_way_a_call_ends_settles_every_kind_of_follow_up_that_was_due(diego, carla, phone, ending):
    outcome, details = ENDINGS[ending]
    due = due_follow_ups(diego, carla)
    result = call_log(debtor=diego, collector=carla, phone=phone, outcome=outcome, **details)

    assert sorted(f.pk for f in result.settled) == sorted(f.pk for f in due.values())
    for follow_up in due.values():
        follow_up.refresh_from_db()
        assert (follow_up.status, follow_up.closed_at) == ("done", WEDNESDAY)
    events = FollowUpEvent.objects.filter(follow_up__in=due.values())
    assert {(e.kind, e.call_id, e.by_id, e.from_status, e.to_status, e.debtor_id) for e in events} == {
        ("settled_by_call", result.call.pk, carla.pk, "open", "done", diego.pk)
    }
    assert events.count() == len(KINDS)
    # What the commitment asked for stays open: the next piece of work.
    still_open = FollowUp.objects.filter(debtor=diego, status="open")
    assert list(still_open) == ([result.follow_up] if result.follow_up else [])


def test_an_unanswered_call_leaves_work_that_is_not_due_yet(diego, carla, phone):
    later_today = factories.make_follow_up(
        debtor=diego, assigned_to=carla, reason="callback", due_at=local("2026-11-18 16:00", LIMA)
    )
    tomorrow = factories.make_follow_up(
        debtor=diego, assigned_to=carla, reason="manual", due_at=local("2026-11-19 09:00", LIMA)
    )
    result = call_log(debtor=diego, collector=carla, phone=phone, outcome="no_answer")
    assert result.settled == []
    assert FollowUp.objects.filter(pk__in=[later_today.pk, tomorrow.pk], status="open").count() == 2
    # The callback the debtor asked for is the next attempt: no retry is scheduled before it.
    assert result.retry_after_minutes is None
    follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5))
    assert not FollowUp.objects.filter(reason="retry").exists()


def test_a_conversation_settles_the_rest_of_the_debtors_day_but_not_tomorrow(diego, carla, phone):
    later_today = factories.make_follow_up(
        debtor=diego, assigned_to=carla, reason="callback", due_at=local("2026-11-18 16:00", LIMA)
    )
    tomorrow = factories.make_follow_up(
        debtor=diego, assigned_to=carla, reason="manual", due_at=local("2026-11-19 09:00", LIMA)
    )
    result = call_log(
        debtor=diego,
        collector=carla,
        phone=phone,
        outcome="right_party",
        commitment="promise",
        promise_amount=Decimal("400.00"),
        promise_date=date(2026, 11, 27),
    )
    assert [f.pk for f in result.settled] == [later_today.pk]
    tomorrow.refresh_from_db()
    assert tomorrow.status == "open"


def test_a_call_logged_later_for_an_earlier_moment_settles_what_was_due_then(diego, carla, phone):
    due_at_nine = factories.make_follow_up(
        debtor=diego, assigned_to=carla, reason="retry", due_at=local("2026-11-18 09:00", LIMA)
    )
    due_at_half_nine = factories.make_follow_up(
        debtor=diego, assigned_to=carla, reason="manual", due_at=local("2026-11-18 09:30", LIMA)
    )
    result = call_log(
        debtor=diego, collector=carla, phone=phone, outcome="busy", started_at=local("2026-11-18 09:15", LIMA)
    )
    assert [f.pk for f in result.settled] == [due_at_nine.pk]
    due_at_half_nine.refresh_from_db()
    assert due_at_half_nine.status == "open"


def test_another_debtors_follow_ups_are_not_touched(diego, carla, phone, portfolio):
    other = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    theirs = factories.make_follow_up(debtor=other, assigned_to=carla, due_at=EARLIER)
    call_log(debtor=diego, collector=carla, phone=phone, outcome="no_answer")
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_a_follow_up_done_by_hand_first_is_not_settled_again(diego, carla, phone):
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla, reason="broken_promise", due_at=EARLIER)
    assert follow_up_complete(follow_up=follow_up, by=carla, note="Pagó por ventanilla") is True
    result = call_log(debtor=diego, collector=carla, phone=phone, outcome="no_answer")
    assert result.settled == []
    assert FollowUpEvent.objects.filter(follow_up=follow_up).count() == 1


# --- What comes next: the retry cadence ----------------------------------------------------


@pytest.fixture
def cadence(portfolio):
    return PromiseRules.objects.create(portfolio=portfolio, retry_after_minutes=90)


@pytest.mark.parametrize("outcome", ["no_answer", "busy", "voicemail", "third_party"])
def test_an_attempt_that_misses_the_debtor_settles_the_follow_up_and_the_cadence_schedules_the_next(
    diego, carla, phone, cadence, outcome
):
    broken = factories.make_follow_up(debtor=diego, assigned_to=carla, reason="broken_promise", due_at=EARLIER)
    result = call_log(debtor=diego, collector=carla, phone=phone, outcome=outcome)
    assert result.settled == [broken] and result.retry_after_minutes == 90

    scheduled = follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5))
    assert scheduled.retries == 1
    retry = FollowUp.objects.get(status="open")
    assert (retry.reason, retry.call, retry.due_at) == ("retry", result.call, WEDNESDAY + timedelta(minutes=90))
    assert follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=10)).retries == 0


def test_a_wrong_number_is_retried_on_the_debtors_other_number(diego, carla, phone, cadence):
    factories.make_phone(debtor=diego, number="+51912345678")
    factories.make_follow_up(debtor=diego, assigned_to=carla, reason="retry", due_at=EARLIER)
    result = call_log(debtor=diego, collector=carla, phone=phone, outcome="wrong_number")
    assert result.retry_after_minutes == 90
    assert follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5)).retries == 1


@pytest.mark.parametrize("outcome", ["wrong_number", "disconnected"])
def test_with_no_usable_number_left_nothing_is_retried(diego, carla, phone, cadence, outcome):
    factories.make_follow_up(debtor=diego, assigned_to=carla, reason="retry", due_at=EARLIER)
    result = call_log(debtor=diego, collector=carla, phone=phone, outcome=outcome)
    assert len(result.settled) == 1 and result.retry_after_minutes is None
    assert follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5)).retries == 0
    assert not FollowUp.objects.filter(status="open").exists()


def test_a_lost_call_is_not_retried(diego, carla, phone, cadence):
    factories.make_follow_up(debtor=diego, assigned_to=carla, reason="broken_promise", due_at=EARLIER)
    result = call_log(
        debtor=diego, collector=carla, phone=phone, outcome="right_party", no_commitment_reason="No reconoce la deuda"
    )
    assert len(result.settled) == 1 and result.retry_after_minutes is None
    follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5))
    assert not FollowUp.objects.filter(status="open").exists()


def test_the_scheduler_does_not_bring_settled_work_back(diego, carla, phone, cadence):
    """A broken promise's follow-up worked today is not scheduled again by the next run."""
    from promises.models import Promise

    promise = factories.make_promise(
        debtor=diego, collector=carla, status=Promise.Status.BROKEN, due_date=date(2026, 11, 13), resolved_at=EARLIER
    )
    follow_ups_schedule(now=EARLIER)
    follow_up = FollowUp.objects.get(promise=promise)
    call_log(
        debtor=diego,
        collector=carla,
        phone=phone,
        outcome="right_party",
        commitment="promise",
        promise_amount=Decimal("300.00"),
        promise_date=date(2026, 11, 20),
    )
    follow_ups_schedule(now=WEDNESDAY + timedelta(minutes=5))
    follow_up.refresh_from_db()
    assert follow_up.status == "done"
    assert not FollowUp.objects.filter(status="open", due_at__lt=local("2026-11-19 00:00", LIMA)).exists()


# --- By hand: done or moved, with the reason -------------------------------------------------


def test_marking_done_by_hand_needs_a_reason_and_is_recorded(diego, carla):
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla, reason="reminder", due_at=EARLIER)
    with pytest.raises(ValidationError) as raised:
        follow_up_complete(follow_up=follow_up, by=carla, note="   ")
    assert "note" in raised.value.message_dict
    assert FollowUp.objects.get(pk=follow_up.pk).status == "open"

    assert follow_up_complete(follow_up=follow_up, by=carla, note="Ya pagó por transferencia") is True
    event = FollowUpEvent.objects.get()
    assert (event.kind, event.by, event.at, event.note, event.from_due_at) == (
        "done",
        carla,
        WEDNESDAY,
        "Ya pagó por transferencia",
        EARLIER,
    )
    assert follow_up_complete(follow_up=follow_up, by=carla, note="Otra vez") is False
    assert FollowUpEvent.objects.count() == 1


def test_only_who_may_work_the_debtor_changes_its_follow_ups(diego, carla, carlos, sofia, pablo):
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla, due_at=EARLIER)
    tomorrow = local("2026-11-19 10:00", LIMA)
    for outsider in (carlos, pablo):  # carla's teammate and another team's supervisor
        with pytest.raises(Http404):
            follow_up_complete(follow_up=follow_up, by=outsider, note="No es mío")
        with pytest.raises(Http404):
            follow_up_move(follow_up=follow_up, by=outsider, due_at=tomorrow, note="No es mío")
    assert not FollowUpEvent.objects.exists()
    assert follow_up_move(follow_up=follow_up, by=sofia, due_at=tomorrow, note="Carla está de licencia hoy") is True
    assert FollowUpEvent.objects.get().by == sofia


def test_a_follow_up_moves_only_to_a_lawful_moment_in_the_future(diego, carla):
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla, reason="callback", due_at=EARLIER)
    with pytest.raises(ValidationError) as raised:
        follow_up_move(follow_up=follow_up, by=carla, due_at=local("2026-11-18 09:00", LIMA), note="Más tarde")
    assert "due_at" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        follow_up_move(follow_up=follow_up, by=carla, due_at=local("2026-11-18 21:30", LIMA), note="Después de cenar")
    message = " ".join(raised.value.message_dict["due_at"])
    assert "Thursday" in message or "jueves" in message  # the first lawful moment after: Thursday 07:00
    with pytest.raises(ValidationError) as raised:
        follow_up_move(follow_up=follow_up, by=carla, due_at=local("2026-11-19 10:00", LIMA), note="")
    assert "note" in raised.value.message_dict
    assert FollowUp.objects.get(pk=follow_up.pk).due_at == EARLIER and not FollowUpEvent.objects.exists()

    assert (
        follow_up_move(
            follow_up=follow_up, by=carla, due_at=local("2026-11-19 10:00", LIMA), note="Está en una reunión"
        )
        is True
    )
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.due_at) == ("open", local("2026-11-19 10:00", LIMA))
    event = FollowUpEvent.objects.get()
    assert (event.kind, event.from_due_at, event.to_due_at, event.note, event.by) == (
        "moved",
        EARLIER,
        local("2026-11-19 10:00", LIMA),
        "Está en una reunión",
        carla,
    )


def test_a_closed_follow_up_is_not_moved(diego, carla):
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla, status="done", closed_at=EARLIER)
    assert follow_up_move(follow_up=follow_up, by=carla, due_at=local("2026-11-19 10:00", LIMA), note="Mañana") is False
    assert not FollowUpEvent.objects.exists()


def test_the_database_refuses_a_change_by_hand_without_a_reason(diego, carla):
    from django.db import IntegrityError, transaction

    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpEvent.objects.create(
            follow_up=follow_up,
            debtor=diego,
            kind="done",
            from_status="open",
            to_status="done",
            from_due_at=EARLIER,
            at=WEDNESDAY,
            by=carla,
            note="",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpEvent.objects.create(
            follow_up=follow_up,
            debtor=diego,
            kind="settled_by_call",
            from_status="open",
            to_status="done",
            from_due_at=EARLIER,
            at=WEDNESDAY,
            by=carla,
        )
    call = factories.make_call(debtor=diego, collector=carla)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpEvent.objects.create(
            follow_up=follow_up,
            debtor=diego,
            kind="moved",
            from_status="open",
            to_status="open",
            from_due_at=EARLIER,
            at=WEDNESDAY,
            by=carla,
            call=call,
            note="sin hora nueva",
        )
    assert Call.objects.count() == 1
