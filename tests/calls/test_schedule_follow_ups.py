"""Follow-ups land in the right collector's queue at a lawful moment, never twice."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from calls.models import Call, FollowUp
from calls.services import follow_ups_schedule
from promises import services as promise_services
from promises.models import Message, Promise, PromiseRules
from tests import factories

LIMA = ZoneInfo("America/Lima")


def _broken_promise(debtor, collector, *, broken_at):
    with time_machine.travel(broken_at - timedelta(days=5), tick=False):
        promise = promise_services.promise_create(
            debtor=debtor,
            collector=collector,
            amount=Decimal("200"),
            due_date=(broken_at - timedelta(days=4)).date(),
            grace_days=0,
        )
    promise_services.promises_flag_lapsed(now=broken_at)
    promise.refresh_from_db()
    assert promise.status == Promise.Status.BROKEN
    return promise


def test_a_broken_promise_gets_exactly_one_follow_up_at_a_lawful_moment(diego, carla):
    saturday = datetime(2026, 11, 21, 9, 0, tzinfo=LIMA)
    promise = _broken_promise(diego, carla, broken_at=saturday)
    result = follow_ups_schedule(now=saturday)
    follow_up = FollowUp.objects.get(debtor=diego)
    assert result.broken_promises == 1
    assert (follow_up.reason, follow_up.assigned_to, follow_up.promise) == ("broken_promise", carla, promise)
    # Peru: no collection calls at weekends; Monday opens at 07:00 in the debtor's zone.
    assert follow_up.due_at == datetime(2026, 11, 23, 7, 0, tzinfo=LIMA)
    assert follow_up.created_by_job == "schedule_follow_ups"

    again = follow_ups_schedule(now=saturday + timedelta(minutes=5))
    assert again.broken_promises == 0 and FollowUp.objects.count() == 1


def test_a_follow_up_already_worked_is_not_scheduled_again(diego, carla):
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
    _broken_promise(diego, carla, broken_at=wednesday)
    follow_ups_schedule(now=wednesday)
    FollowUp.objects.update(status="done", closed_at=wednesday)
    follow_ups_schedule(now=wednesday + timedelta(hours=1))
    assert FollowUp.objects.count() == 1


def test_a_debtor_on_hold_gets_no_follow_up(diego, carla):
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
    _broken_promise(diego, carla, broken_at=wednesday)
    diego.hold_dispute = True
    diego.save()
    result = follow_ups_schedule(now=wednesday)
    assert result.no_lawful_moment == 1 and not FollowUp.objects.exists()


def test_a_callback_lands_at_the_agreed_time_or_the_next_lawful_one(diego, carla, mateo, cris):
    tuesday = datetime(2026, 11, 17, 11, 0, tzinfo=LIMA)
    agreed = datetime(2026, 11, 18, 16, 30, tzinfo=LIMA)
    too_late = datetime(2026, 11, 18, 21, 30, tzinfo=LIMA)  # after Peru's 20:00 limit
    factories.make_call(
        debtor=diego,
        collector=carla,
        outcome="right_party",
        commitment="callback",
        callback_at=agreed,
        started_at=tuesday,
    )
    factories.make_call(
        debtor=mateo,
        collector=cris,
        outcome="right_party",
        commitment="callback",
        callback_at=too_late,
        started_at=tuesday,
    )
    result = follow_ups_schedule(now=tuesday + timedelta(minutes=1))
    assert result.callbacks == 2
    assert FollowUp.objects.get(debtor=diego, reason="callback").due_at == agreed
    assert FollowUp.objects.get(debtor=mateo, reason="callback").due_at == datetime(2026, 11, 19, 7, 0, tzinfo=LIMA)


def test_an_unanswered_call_is_retried_on_the_portfolios_cadence(diego, carla, portfolio):
    PromiseRules.objects.create(portfolio=portfolio, retry_after_minutes=90)
    called = datetime(2026, 11, 17, 10, 0, tzinfo=LIMA)
    factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.NO_ANSWER, started_at=called)
    follow_ups_schedule(now=called + timedelta(minutes=5))
    retry = FollowUp.objects.get(debtor=diego)
    assert (retry.reason, retry.due_at) == ("retry", called + timedelta(minutes=90))


def test_no_retry_once_someone_answered(diego, carla):
    called = datetime(2026, 11, 17, 10, 0, tzinfo=LIMA)
    factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.NO_ANSWER, started_at=called)
    factories.make_call(
        debtor=diego,
        collector=carla,
        outcome=Call.Outcome.RIGHT_PARTY,
        started_at=called + timedelta(minutes=30),
        commitment="none",
        no_commitment_reason="Refuses",
    )
    follow_ups_schedule(now=called + timedelta(hours=1))
    assert not FollowUp.objects.filter(reason="retry").exists()


def _pending(debtor, collector, due):
    with time_machine.travel(datetime(2026, 11, 16, 9, 0, tzinfo=LIMA), tick=False):
        return promise_services.promise_create(debtor=debtor, collector=collector, amount=Decimal("250"), due_date=due)


def test_a_reminder_goes_by_the_channel_the_debtor_consented_to(diego, carla):
    phone = diego.phones.get()
    phone.whatsapp_consent, phone.whatsapp_consent_source, phone.whatsapp_consent_at = (
        True,
        "Signed form",
        timezone.now(),
    )
    phone.save()
    promise = _pending(diego, carla, date(2026, 11, 20))
    too_early = datetime(2026, 11, 17, 10, 0, tzinfo=LIMA)  # three days before; the default is two
    assert follow_ups_schedule(now=too_early).reminder_messages == 0
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
    assert follow_ups_schedule(now=wednesday).reminder_messages == 1
    message = Message.objects.get()
    assert (message.channel, message.recipient, message.promise) == ("whatsapp", "+51987654321", promise)
    assert "250,00" in message.body and "20/11/2026" in message.body  # Spanish amounts and dates
    assert message.send_after == wednesday
    assert follow_ups_schedule(now=wednesday + timedelta(hours=1)).reminder_messages == 0
    assert Message.objects.count() == 1 and not FollowUp.objects.exists()


def test_a_reminder_in_english_for_an_english_speaking_debtor(diego, carla):
    diego.language, diego.email = "en", "diego@example.com"
    diego.save()
    _pending(diego, carla, date(2026, 11, 20))
    follow_ups_schedule(now=datetime(2026, 11, 19, 10, 0, tzinfo=LIMA))
    message = Message.objects.get()
    assert message.channel == "email" and message.subject.startswith("Banco Andino: your payment is due")
    assert "250.00 PEN" in message.body


def test_without_consent_the_reminder_is_a_call_for_the_collector(diego, carla):
    promise = _pending(diego, carla, date(2026, 11, 20))
    saturday_night = datetime(2026, 11, 19, 21, 0, tzinfo=LIMA)
    result = follow_ups_schedule(now=saturday_night)
    reminder = FollowUp.objects.get()
    assert result.reminder_calls == 1 and (reminder.reason, reminder.promise) == ("reminder", promise)
    assert reminder.due_at == datetime(2026, 11, 20, 7, 0, tzinfo=LIMA)  # after 20:00, so next morning
