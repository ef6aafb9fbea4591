"""Logging a call: the outcome, the debtor's stance and the commitment they made, each with
what it needs (a promise's amount and date, a plan's instalments, a callback's moment…), and
what the outcome says of the number dialled."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from calls.models import Call, FollowUp
from debtors.models import Phone
from promises.models import Promise, PromiseEvent
from tests.calls.call_log_helpers import LIMA, WEDNESDAY, errors_of, log
from tests.calls.conftest import local


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


# --- Rule 3: stance and commitment ------------------------------------------------------------


def test_a_right_party_call_without_a_commitment_is_refused(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, phone, outcome="right_party")
    assert "commitment" in errors_of(raised)
    assert not Call.objects.exists()


def test_a_call_that_ends_without_a_commitment_says_why(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, phone, outcome="right_party", commitment="none")
    assert "no_commitment_reason" in errors_of(raised)
    call = log(diego, carla, phone, outcome="right_party", no_commitment_reason="Hung up when the debt came up").call
    assert (call.commitment, call.no_commitment_reason) == ("none", "Hung up when the debt came up")


def test_a_stance_is_recorded_with_a_reason_of_its_kind(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(
            diego,
            carla,
            phone,
            outcome="right_party",
            stance="objection",
            commitment="consult",
            follow_up_on=date(2026, 11, 20),
        )
    assert "stance_reason" in errors_of(raised)
    with pytest.raises(ValidationError) as raised:
        log(
            diego,
            carla,
            phone,
            outcome="right_party",
            stance="objection",
            stance_reason="job_loss",
            commitment="consult",
            follow_up_on=date(2026, 11, 20),
        )
    assert "stance_reason" in errors_of(raised)
    call = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        stance="situation",
        stance_reason="job_loss",
        commitment="consult",
        follow_up_on=date(2026, 11, 20),
    ).call
    assert (call.stance, call.stance_reason) == ("situation", "job_loss")


def test_the_reason_groups_cover_every_reason():
    every = set(Call.StanceReason.values) - {""}
    assert Call.OBJECTION_REASONS | Call.SITUATION_REASONS == every
    assert Call.OBJECTION_REASONS & Call.SITUATION_REASONS == {Call.StanceReason.OTHER}


def test_a_promise_is_made_on_the_call(diego, carla, phone):
    result = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        stance="objection",
        stance_reason="forgot",
        commitment="promise",
        promise_amount=Decimal("300"),
        promise_date=date(2026, 11, 30),
    )
    promise = result.promise
    assert (promise.amount, promise.due_date, promise.status) == (
        Decimal("300.00"),
        date(2026, 11, 30),
        Promise.Status.PENDING,
    )
    assert (promise.call, promise.collector, promise.arrangement) == (result.call, carla, None)
    assert promise.events.get().cause == PromiseEvent.Cause.CREATED
    assert result.awaiting_approval is False


@pytest.mark.parametrize(
    ("amount", "due", "field"),
    [
        ("0", date(2026, 11, 30), "promise_amount"),
        ("300", None, "promise_date"),
        ("300", date(2026, 11, 17), "promise_date"),
    ],
)
def test_a_promise_needs_an_amount_above_zero_and_a_date_to_come(diego, carla, phone, amount, due, field):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, phone, outcome="right_party", commitment="promise", promise_amount=amount, promise_date=due)
    assert field in errors_of(raised)


def test_a_three_instalment_plan_creates_three_promises(diego, carla, phone):
    plan = {"count": 3, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": Decimal("1000")}
    result = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        stance="situation",
        stance_reason="reduced_income",
        commitment="instalments",
        instalments=plan,
    )
    promises = list(result.arrangement.promises.order_by("instalment_number"))
    assert [(p.due_date, p.amount) for p in promises] == [
        (date(2026, 11, 30), Decimal("333.33")),
        (date(2026, 12, 30), Decimal("333.33")),
        (date(2027, 1, 30), Decimal("333.34")),
    ]
    assert {p.call_id for p in promises} == {result.call.pk}
    assert result.arrangement.total_amount == Decimal("1000.00")
    assert result.awaiting_approval is False


def test_instalment_amounts_can_be_given_one_by_one(diego, carla, phone):
    plan = {"count": 3, "first_date": date(2026, 11, 25), "frequency": "fortnightly", "amounts": ["100", "200", "300"]}
    result = log(diego, carla, phone, outcome="right_party", commitment="instalments", instalments=plan)
    rows = result.arrangement.promises.order_by("instalment_number").values_list("due_date", "amount")
    assert list(rows) == [
        (date(2026, 11, 25), Decimal("100.00")),
        (date(2026, 12, 9), Decimal("200.00")),
        (date(2026, 12, 23), Decimal("300.00")),
    ]


@pytest.mark.parametrize(
    "plan",
    [
        {"count": 3, "first_date": date(2026, 11, 25), "frequency": "daily", "total": "900"},
        {"count": 1, "first_date": date(2026, 11, 25), "frequency": "weekly", "total": "900"},
        {"count": 3, "first_date": date(2026, 11, 25), "frequency": "weekly"},
        {"count": 3, "first_date": date(2026, 11, 25), "frequency": "weekly", "amounts": ["1", "2"]},
        {"count": 3, "first_date": date(2026, 11, 1), "frequency": "weekly", "total": "900"},
        {"count": 3, "frequency": "weekly", "total": "900"},
    ],
)
def test_an_incomplete_instalment_plan_is_refused(diego, carla, phone, plan):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, phone, outcome="right_party", commitment="instalments", instalments=plan)
    assert "instalments" in errors_of(raised)
    assert not Call.objects.exists()


def test_a_callback_schedules_its_follow_up_at_once(diego, carla, phone):
    thursday = local("2026-11-19 15:00", LIMA)
    result = log(diego, carla, phone, outcome="right_party", commitment="callback", callback_at=thursday)
    follow_up = result.follow_up
    assert result.call.callback_at == thursday
    assert (follow_up.reason, follow_up.subject_key, follow_up.call) == (
        FollowUp.Reason.CALLBACK,
        f"call:{result.call.pk}",
        result.call,
    )
    assert (follow_up.due_at, follow_up.assigned_to, follow_up.status) == (thursday, carla, FollowUp.Status.OPEN)


def test_a_callback_at_an_unlawful_hour_is_due_at_the_next_lawful_moment(diego, carla, phone):
    saturday = local("2026-11-21 10:00", LIMA)
    result = log(diego, carla, phone, outcome="right_party", commitment="callback", callback_at=saturday)
    assert result.call.callback_at == saturday  # what the debtor asked for stays on record
    assert result.follow_up.due_at == local("2026-11-23 07:00", LIMA)


def test_a_supervisors_callback_goes_to_the_debtors_collector(diego, carla, sofia, phone):
    result = log(
        diego, sofia, phone, outcome="right_party", commitment="callback", callback_at=local("2026-11-19 15:00", LIMA)
    )
    assert result.follow_up.assigned_to == carla


def test_a_callback_needs_a_moment_to_come(diego, carla, phone):
    for moment in (None, local("2026-11-18 09:00", LIMA)):
        with pytest.raises(ValidationError) as raised:
            log(diego, carla, phone, outcome="right_party", commitment="callback", callback_at=moment)
        assert "callback_at" in errors_of(raised)


def test_another_commitment_is_described_in_the_notes(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, phone, outcome="right_party", commitment="other")
    assert "notes" in errors_of(raised)
    call = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="other",
        notes="Will visit the branch on Friday",
        follow_up_on=date(2026, 11, 20),
    ).call
    assert call.notes == "Will visit the branch on Friday"


@pytest.mark.parametrize("commitment", ["send_documents", "receive_documents", "consult"])
def test_information_and_consulting_are_commitments_of_their_own(diego, carla, phone, commitment):
    result = log(diego, carla, phone, outcome="right_party", commitment=commitment, follow_up_on=date(2026, 11, 20))
    assert result.call.commitment == commitment
    assert (result.promise, result.arrangement) == (None, None)
    assert result.follow_up.reason == FollowUp.Reason.COMMITMENT


def test_a_detail_of_another_commitment_is_refused_not_dropped(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, phone, outcome="right_party", commitment="consult", promise_amount="300")
    assert "promise_amount" in errors_of(raised)


def test_a_third_party_cannot_promise_for_the_debtor(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(
            diego,
            carla,
            phone,
            outcome="third_party",
            commitment="promise",
            promise_amount="300",
            promise_date=date(2026, 11, 30),
        )
    assert "commitment" in errors_of(raised)
    assert not Promise.objects.exists()


def test_a_third_party_may_pass_on_a_callback(diego, carla, phone):
    result = log(
        diego, carla, phone, outcome="third_party", commitment="callback", callback_at=local("2026-11-19 18:00", LIMA)
    )
    assert result.follow_up.due_at == local("2026-11-19 18:00", LIMA)
    assert log(diego, carla, phone, outcome="third_party").call.commitment == ""


def test_only_a_conversation_with_the_debtor_records_a_stance(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, phone, outcome="third_party", stance="objection", stance_reason="forgot")
    assert "stance" in errors_of(raised)


def test_an_unanswered_call_records_no_commitment(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(
            diego, carla, phone, outcome="no_answer", commitment="callback", callback_at=local("2026-11-19 15:00", LIMA)
        )
    assert "commitment" in errors_of(raised)
    assert log(diego, carla, phone, outcome="voicemail").call.outcome == "voicemail"


def test_a_sent_message_is_not_logged_by_hand(diego, carla, phone):
    with pytest.raises(ValidationError) as raised:
        log(diego, carla, phone, outcome="message_sent")
    assert "outcome" in errors_of(raised)


@pytest.mark.parametrize("outcome", ["wrong_number", "disconnected"])
def test_a_wrong_number_marks_the_phone(diego, carla, phone, outcome):
    log(diego, carla, phone, outcome=outcome)
    phone.refresh_from_db()
    assert phone.status == outcome


def test_speaking_with_the_debtor_marks_the_phone_valid(diego, carla, phone):
    Phone.objects.filter(pk=phone.pk).update(status=Phone.Status.WRONG_NUMBER)
    log(diego, carla, phone, outcome="right_party", commitment="consult", follow_up_on=date(2026, 11, 20))
    phone.refresh_from_db()
    assert phone.status == Phone.Status.VALID
