"""Preventive reminders: before, on and after a debt's own due date, by message where the
debtor consented, at a lawful moment, once."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from calls.services import follow_ups_schedule
from debtors.models import DebtorScore
from promises.models import Message, PromiseRules, Strategy
from tests import factories

LIMA = ZoneInfo("America/Lima")
FRIDAY = date(2026, 11, 20)
TUESDAY_9 = datetime(2026, 11, 17, 9, 0, tzinfo=LIMA)  # three days before


@pytest.fixture
def rules(portfolio):
    return PromiseRules.objects.create(
        portfolio=portfolio, due_reminder_days_before=3, due_reminder_on_the_day=True, due_reminder_days_after=2
    )


@pytest.fixture
def debtor(portfolio, carla):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Diego Díaz Quispe")
    factories.make_debt(debtor=debtor, balance=Decimal("350.00"), due_date=FRIDAY)
    factories.make_phone(debtor=debtor, sms_consent=True, sms_consent_source="Contrato", sms_consent_at=TUESDAY_9)
    return debtor


def _due_messages():
    return list(Message.objects.filter(purpose="due_date").order_by("created_at", "pk"))


def test_three_days_before_on_the_day_and_two_after_each_once(rules, debtor):
    result = follow_ups_schedule(now=TUESDAY_9)
    [before] = _due_messages()
    assert result.due_date_messages == 1
    assert (before.channel, before.recipient, before.send_after) == ("sms", "+51987654321", TUESDAY_9)
    assert "350,00 PEN" in before.body and "20/11/2026" in before.body and "BAJA" in before.body
    assert follow_ups_schedule(now=TUESDAY_9 + timedelta(minutes=5)).due_date_messages == 0
    assert follow_ups_schedule(now=TUESDAY_9 + timedelta(days=1)).due_date_messages == 0  # Wednesday: nothing due

    follow_ups_schedule(now=datetime(2026, 11, 20, 8, 0, tzinfo=LIMA))
    assert "vence hoy" in _due_messages()[-1].body

    # Sunday, two days after: Peru allows no contact on Sundays, so it waits for Monday 07:00.
    follow_ups_schedule(now=datetime(2026, 11, 22, 10, 0, tzinfo=LIMA))
    after = _due_messages()[-1]
    assert "aún no recibe" in after.body
    assert after.send_after == datetime(2026, 11, 23, 7, 0, tzinfo=LIMA)
    assert len(_due_messages()) == 3


def test_nothing_is_sent_while_the_rules_say_nothing(portfolio, debtor):
    assert follow_ups_schedule(now=TUESDAY_9).due_date_messages == 0
    PromiseRules.objects.create(portfolio=portfolio)
    assert follow_ups_schedule(now=TUESDAY_9).due_date_messages == 0


def test_without_consent_nobody_is_messaged_and_no_call_is_made_for_it(rules, debtor):
    debtor.phones.update(sms_consent=False)
    result = follow_ups_schedule(now=TUESDAY_9)
    assert result.due_date_messages == 0 and not _due_messages()
    assert not debtor.follow_ups.exists()


def test_a_paid_debt_a_pending_promise_or_a_hold_is_not_reminded(rules, debtor, carla):
    debt = debtor.debts.get()
    debt.balance = Decimal("0")
    debt.save()
    assert follow_ups_schedule(now=TUESDAY_9).due_date_messages == 0
    debt.balance = Decimal("350.00")
    debt.save()
    promise = factories.make_promise(debtor=debtor, collector=carla)
    assert follow_ups_schedule(now=TUESDAY_9).due_date_messages == 0
    promise.delete()
    debtor.hold_cease = True
    debtor.save()
    result = follow_ups_schedule(now=TUESDAY_9)
    assert result.due_date_messages == 0 and result.no_lawful_moment == 1


def test_the_debtors_strategy_overrides_the_portfolio(rules, debtor, portfolio):
    quiet = Strategy.objects.create(portfolio=portfolio, name="Sin avisos", due_reminder_days_before=0)
    DebtorScore.objects.create(
        debtor=debtor,
        portfolio=portfolio,
        probability=0.5,
        model_version="scorecard 1",
        scored_at=TUESDAY_9,
        strategy_id=quiet.pk,
        strategy_name=quiet.name,
    )
    assert follow_ups_schedule(now=TUESDAY_9).due_date_messages == 0
    early = Strategy.objects.create(portfolio=portfolio, name="Aviso temprano", due_reminder_days_before=5)
    DebtorScore.objects.filter(debtor=debtor).update(strategy_id=early.pk)
    assert follow_ups_schedule(now=TUESDAY_9 - timedelta(days=2)).due_date_messages == 1


def test_two_debts_due_the_same_day_make_one_message_with_their_sum(rules, debtor):
    factories.make_debt(debtor=debtor, balance=Decimal("150.00"), due_date=FRIDAY, account_reference="B-2")
    follow_ups_schedule(now=TUESDAY_9)
    [message] = _due_messages()
    assert "500,00 PEN" in message.body


def test_an_english_speaking_debtor_reads_it_in_english(rules, debtor):
    debtor.language = "en"
    debtor.save()
    follow_ups_schedule(now=TUESDAY_9)
    [message] = _due_messages()
    assert message.body.startswith("Hello Diego") and "reply STOP" in message.body


def test_the_queries_do_not_grow_with_the_debtors_reminded(rules, portfolio, carla):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run_with(count: int) -> int:
        """Queries to queue the reminders of `count` more debtors (every one so far is reminded)."""
        for _n in range(count):
            debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
            factories.make_debt(debtor=debtor, balance=Decimal("100.00"), due_date=FRIDAY)
            factories.make_phone(
                debtor=debtor,
                number=f"+5198{debtor.pk:07d}",
                sms_consent=True,
                sms_consent_source="Contrato",
                sms_consent_at=TUESDAY_9,
            )
        Message.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            follow_ups_schedule(now=TUESDAY_9)
        return len(queries)

    run_with(1)  # caches warm (the contact policy)
    assert run_with(2) == run_with(6)
    assert Message.objects.filter(purpose="due_date").count() == 9
