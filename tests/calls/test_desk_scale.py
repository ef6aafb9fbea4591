"""The desk at a day's size: a 200-row queue and a 200-entry history cost the same queries as
a small one; two collectors saving on the same debtor at once both land."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from calls.models import Call, FollowUp
from calls.policy import policy_cache_clear
from calls.services import call_log
from conversations.models import InboundMessage
from debtors.models import Debt, Debtor
from debtors.services import debtor_queue_figures_refresh
from desk.views import QUEUE_PAGE_SIZE
from promises.models import Message, Promise
from tests import factories
from tests.calls.conftest import local

WEDNESDAY = local("2026-11-18 10:00", "America/Lima")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


def _book(portfolio, collector, size: int) -> None:
    """`size` follow-ups due now on as many debtors, and `size` more accounts in arrears."""
    debtors = Debtor.objects.bulk_create(
        Debtor(
            portfolio=portfolio,
            external_id=f"Q-{n:05d}",
            full_name=f"Deudor {n:05d}",
            time_zone="America/Lima",
            assigned_to=collector,
        )
        for n in range(2 * size)
    )
    Debt.objects.bulk_create(
        Debt(
            debtor=debtor,
            account_reference=f"A-{debtor.pk}",
            original_amount=Decimal("900"),
            balance=Decimal("900"),
            currency="PEN",
            due_date=date(2026, 6, 1) + timedelta(days=n % 90),
        )
        for n, debtor in enumerate(debtors)
    )
    debtor_queue_figures_refresh(debtor_ids=[debtor.pk for debtor in debtors])  # bulk_create skips save()
    FollowUp.objects.bulk_create(
        FollowUp(
            debtor=debtor,
            assigned_to=collector,
            reason=FollowUp.Reason.BROKEN_PROMISE,
            due_at=WEDNESDAY - timedelta(hours=1),
            subject_key=f"scale:{debtor.pk}",
        )
        for debtor in debtors[:size]
    )


@pytest.mark.parametrize("size", [2, 100])
def test_a_200_row_queue_costs_the_same_queries_as_a_4_row_one(
    client, carla, portfolio, size, django_assert_num_queries
):
    _book(portfolio, carla, size)
    client.force_login(carla)
    policy_cache_clear()
    # session + user, filter's portfolios, follow-ups with figures, the portfolios'
    # strategies, accounts with figures, contact policy (3, cold), ledger
    with django_assert_num_queries(10):
        response = client.get(reverse("home"))
    assert response.content.decode().count("Deudor ") == min(2 * size, QUEUE_PAGE_SIZE)  # a page at a time
    last_page = -(-2 * size // QUEUE_PAGE_SIZE)
    policy_cache_clear()
    with django_assert_num_queries(10):  # any page costs the same: the queue is paged in Python
        response = client.get(reverse("home"), {"page": last_page})
    assert response.content.decode().count("Deudor ") == 2 * size - (last_page - 1) * QUEUE_PAGE_SIZE


@pytest.mark.parametrize("entries", [4, 200])
def test_a_200_entry_history_costs_the_same_queries_as_a_short_one(
    client, carla, diego, entries, django_assert_num_queries
):
    for n in range(entries // 4):
        factories.make_call(debtor=diego, collector=carla, started_at=WEDNESDAY - timedelta(days=n + 1))
        factories.make_promise(debtor=diego, collector=carla, status=Promise.Status.KEPT)
        factories.make_payment(debtor=diego)
        Message.objects.create(
            debtor=diego,
            channel="sms",
            purpose="reminder",
            recipient="+51987654321",
            language="es",
            body="Recordatorio",
            idempotency_key=f"scale:{n}",
            send_after=WEDNESDAY,
        )
        InboundMessage.objects.create(
            provider="twilio",
            provider_message_id=f"SM{n}",
            channel="sms",
            sender="+51987654321",
            body="Respuesta",
            received_at=WEDNESDAY - timedelta(days=n + 1),
            debtor=diego,
            attached_by=carla,  # who attached it is printed: read in the same query
        )
    client.force_login(carla)
    policy_cache_clear()
    # session + user, debtor, contact policy (3, cold), ledger, debts, promises, events, calls,
    # payments, messages sent, messages received, hold changes, consent changes, phones, their
    # best windows, open follow-ups, follow-up changes, documents, self-service links and events
    with django_assert_num_queries(23):
        response = client.get(reverse("debtors:detail", args=[diego.pk]))
    assert response.content.decode().count('<li class="timeline-') >= entries


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_collectors_saving_on_the_same_debtor_at_once_both_land(carla, sofia, diego):
    """Carla logs a promise while her supervisor logs a callback on the same debtor: the
    debtor row lock (PostgreSQL) or the IMMEDIATE transaction (SQLite) queues them."""
    phone = diego.phones.get()
    start = threading.Barrier(2)
    errors = []

    def save(user, **commitment):
        try:
            start.wait(timeout=10)
            call_log(debtor=diego, collector=user, phone=phone, outcome="right_party", **commitment)
        except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=save,
            args=(carla,),
            kwargs={"commitment": "promise", "promise_amount": Decimal("300"), "promise_date": date(2026, 11, 25)},
        ),
        threading.Thread(
            target=save, args=(sofia,), kwargs={"commitment": "callback", "callback_at": WEDNESDAY + timedelta(days=1)}
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(Call.objects.filter(debtor=diego).values_list("commitment", flat=True)) == ["callback", "promise"]
    assert Promise.objects.filter(debtor=diego).count() == 1
    assert FollowUp.objects.filter(debtor=diego, reason=FollowUp.Reason.CALLBACK).count() == 1
