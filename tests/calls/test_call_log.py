"""Logging a call: the outcome, the debtor's stance and the commitment, in one transaction."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from calls.models import Call, FollowUp, PolicyDecision
from calls.services import ContactBlocked, call_log
from debtors.models import Phone
from promises.models import ApprovalStatus, Arrangement, ArrangementLimits, Promise, PromiseEvent
from tests import factories
from tests.calls.conftest import local

LIMA = "America/Lima"
# Wednesday 18 November 2026, 10:00 in Lima: Peru's contact window is open.
WEDNESDAY = local("2026-11-18 10:00", LIMA)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone(diego):
    return diego.phones.get()


def log(debtor, collector, phone, **fields):
    return call_log(debtor=debtor, collector=collector, phone=phone, **fields)


def errors_of(raised) -> dict:
    return raised.value.message_dict


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


# --- Rule 4: limits by role per portfolio -----------------------------------------------------


def test_beyond_the_collectors_limits_the_arrangement_waits_for_approval(diego, carla, phone):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_instalments=3)
    plan = {"count": 6, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": "1000"}
    result = log(diego, carla, phone, outcome="right_party", commitment="instalments", instalments=plan)
    arrangement = Arrangement.objects.get()
    assert result.awaiting_approval is True
    assert arrangement.approval_status == ApprovalStatus.PENDING
    assert arrangement.approval_reasons == [{"code": "max_instalments", "value": "6", "limit": "3"}]
    # Simple on purpose: the promises exist and are pending while the supervisor decides.
    assert arrangement.promises.filter(status=Promise.Status.PENDING).count() == 6


def test_a_supervisor_has_no_limits(diego, sofia, phone):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_instalments=3)
    plan = {"count": 6, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": "1000"}
    result = log(diego, sofia, phone, outcome="right_party", commitment="instalments", instalments=plan)
    assert result.awaiting_approval is False
    assert result.arrangement.approval_status == ApprovalStatus.NOT_NEEDED


def test_a_promise_too_far_off_waits_for_approval_as_an_arrangement_of_one(diego, carla, phone):
    # No limits saved: the defaults allow 30 days to the first payment.
    result = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="promise",
        promise_amount="300",
        promise_date=date(2027, 1, 15),
    )
    assert result.awaiting_approval is True
    assert result.arrangement == result.promise.arrangement
    assert (result.arrangement.kind, result.promise.instalment_number) == (Arrangement.Kind.INSTALMENTS, 1)
    assert result.arrangement.approval_reasons[0]["code"] == "max_days_to_first_payment"


def test_a_promise_below_the_minimum_share_waits_for_approval(diego, carla, phone):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, min_share_of_balance_percent=Decimal("20"))
    small = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="promise",
        promise_amount="150",
        promise_date=date(2026, 11, 30),
    )
    enough = log(
        diego,
        carla,
        phone,
        outcome="right_party",
        commitment="promise",
        promise_amount="200",
        promise_date=date(2026, 11, 30),
    )
    assert small.awaiting_approval and small.arrangement.approval_reasons[0] == {
        "code": "min_share_of_balance",
        "value": "15.00",
        "limit": "20.00",
    }
    assert not enough.awaiting_approval and enough.promise.arrangement is None


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
    # call_log's transaction and promise_propose's (a savepoint inside another service's caller).
    assert sum("SAVEPOINT" in sql and "RELEASE" not in sql for sql in statements) == 2, "\n".join(statements)
    assert len(statements) <= 15, "\n".join(statements)
