"""Recording attempts: the verdict is evidence, and a blocked attempt needs a written override."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.models import Call, PolicyDecision
from calls.services import call_attempt_record
from tests.calls.conftest import local

LIMA = "America/Lima"
SATURDAY = local("2026-03-07 10:00", LIMA)
MONDAY = local("2026-03-02 10:00", LIMA)


def test_it_records_utc_local_time_policy_and_verdict(diego, carla):
    call = call_attempt_record(
        debtor=diego, collector=carla, channel="voice", outcome=Call.Outcome.NO_ANSWER, started_at=MONDAY
    )
    call.refresh_from_db()
    assert call.started_at == MONDAY
    assert call.local_time == "2026-03-02T10:00:00-05:00"
    assert call.local_time_zone == LIMA
    assert (call.policy_code, call.policy_version, call.policy_decision) == ("pe", 1, PolicyDecision.ALLOWED)
    assert call.policy_verdict["allowed"] is True
    assert call.override_by is None


def test_it_refuses_a_blocked_attempt_with_the_reasons(diego, carla):
    with pytest.raises(ValidationError) as error:
        call_attempt_record(
            debtor=diego, collector=carla, channel="voice", outcome=Call.Outcome.NO_ANSWER, started_at=SATURDAY
        )
    assert [item.code for item in error.value.error_list] == ["outside_hours"]
    assert not Call.objects.exists()


def test_a_collector_cannot_override(diego, carla):
    with pytest.raises(ValidationError) as error:
        call_attempt_record(
            debtor=diego,
            collector=carla,
            channel="voice",
            outcome=Call.Outcome.NO_ANSWER,
            started_at=SATURDAY,
            override_by=carla,
            override_reason="Debtor asked for a Saturday call",
        )
    assert error.value.error_list[0].code == "override_not_allowed"


def test_an_override_needs_a_written_reason(diego, carla, sofia):
    with pytest.raises(ValidationError):
        call_attempt_record(
            debtor=diego,
            collector=carla,
            channel="voice",
            outcome=Call.Outcome.NO_ANSWER,
            started_at=SATURDAY,
            override_by=sofia,
            override_reason="  ",
        )


def test_a_supervisor_override_is_recorded_with_who_and_why(diego, carla, sofia):
    call = call_attempt_record(
        debtor=diego,
        collector=carla,
        channel="voice",
        outcome=Call.Outcome.RIGHT_PARTY,
        started_at=SATURDAY,
        override_by=sofia,
        override_reason="Debtor asked in writing to be called on Saturday",
    )
    call.refresh_from_db()
    assert call.policy_decision == PolicyDecision.OVERRIDDEN
    assert call.override_by == sofia
    assert call.policy_verdict["reasons"][0]["code"] == "outside_hours"


def test_holds_refuse_the_attempt(diego, carla):
    diego.hold_cease = True
    diego.save()
    with pytest.raises(ValidationError) as error:
        call_attempt_record(
            debtor=diego, collector=carla, channel="email", outcome=Call.Outcome.NO_ANSWER, started_at=MONDAY
        )
    assert error.value.error_list[0].code == "hold_cease"


def test_inbound_calls_are_recorded_without_a_verdict(diego, carla):
    call = call_attempt_record(
        debtor=diego,
        collector=carla,
        channel="voice",
        outcome=Call.Outcome.RIGHT_PARTY,
        started_at=SATURDAY,
        direction=Call.Direction.INBOUND,
    )
    assert call.policy_decision == ""
    assert call.local_time.startswith("2026-03-07T10:00")


def test_a_phone_of_another_debtor_is_refused(diego, mateo, carla):
    from tests import factories

    phone = factories.make_phone(debtor=mateo, number="+51933333333")
    with pytest.raises(ValidationError):
        call_attempt_record(
            debtor=diego, collector=carla, channel="voice", outcome="no_answer", started_at=MONDAY, phone=phone
        )


def test_admin_lists_overrides_only(client, ana, diego, carla, sofia):
    call_attempt_record(debtor=diego, collector=carla, channel="voice", outcome="no_answer", started_at=MONDAY)
    call_attempt_record(
        debtor=diego,
        collector=carla,
        channel="voice",
        outcome="no_answer",
        started_at=SATURDAY,
        override_by=sofia,
        override_reason="Agreed Saturday callback",
    )
    client.force_login(ana)
    response = client.get(reverse("admin:calls_policyoverride_changelist"), {"policy_code": "pe"})
    assert response.status_code == 200
    assert "Agreed Saturday callback" in response.content.decode()
    assert response.context["cl"].result_count == 1
    for name in ("contactpolicy", "contactrule", "portfoliocontactsettings", "debtorchannelauthorisation"):
        assert client.get(reverse(f"admin:calls_{name}_changelist")).status_code == 200


def test_admin_preset_page_shows_rules_with_citations(client, ana, db):
    from calls.models import ContactPolicy

    client.force_login(ana)
    policy = ContactPolicy.objects.filter(code="cl").order_by("-version").first()  # v2 counts letters too
    response = client.get(reverse("admin:calls_contactpolicy_change", args=[policy.pk]))
    assert response.status_code == 200
    assert "21.320" in response.content.decode()


def test_a_row_the_database_refuses_is_a_message_and_the_transaction_goes_on(diego, carla):
    """The database's constraints are the last guard: a callback without its time is refused
    with the constraint's message, not an IntegrityError, and later writes still work."""
    with transaction.atomic():
        with pytest.raises(ValidationError) as error:
            call_attempt_record(
                debtor=diego,
                collector=carla,
                channel="voice",
                outcome=Call.Outcome.RIGHT_PARTY,
                started_at=MONDAY,
                commitment=Call.Commitment.CALLBACK,
            )
        assert "call_callback_has_a_time" in error.value.messages[0]
        call_attempt_record(
            debtor=diego, collector=carla, channel="voice", outcome=Call.Outcome.NO_ANSWER, started_at=MONDAY
        )
    assert list(Call.objects.values_list("outcome", flat=True)) == [Call.Outcome.NO_ANSWER]


def test_recording_an_attempt_does_not_re_check_the_databases_rules_with_queries(diego, carla):
    """full_clean() spent a SELECT per check constraint and per foreign key (31 statements for
    a plain call); the INSERT enforces them anyway."""
    with CaptureQueriesContext(connection) as queries:
        call_attempt_record(
            debtor=diego, collector=carla, channel="voice", outcome=Call.Outcome.NO_ANSWER, started_at=MONDAY
        )
    checks = [q["sql"] for q in queries.captured_queries if '"_check"' in q["sql"] or 'SELECT 1 AS "a"' in q["sql"]]
    assert checks == []
