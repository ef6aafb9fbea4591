"""Lapsed promises become kept, partially kept or broken, each exactly once."""

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from promises import services
from promises.models import Arrangement, Promise, PromiseEvent, PromiseRules
from tests.promises.conftest import LIMA


def _promise(debtor, collector, amount="300.00", due=date(2026, 11, 17), **extra):
    return services.promise_create(debtor=debtor, collector=collector, amount=Decimal(amount), due_date=due, **extra)


def _pay(debtor, amount, reference):
    services.payment_record(
        debtor=debtor, amount=Decimal(amount), paid_at=timezone.now(), reference=reference, source="manual"
    )


def test_an_unpaid_promise_breaks_only_when_its_grace_ends(clock, diego, carla):
    promise = _promise(diego, carla)  # due Tue 17, two grace days: lapses Fri 20 at 00:00 in Lima
    clock.move_to(datetime(2026, 11, 19, 23, 59, tzinfo=LIMA))
    assert services.promises_flag_lapsed().total == 0
    clock.move_to(datetime(2026, 11, 20, 0, 0, tzinfo=LIMA))
    result = services.promises_flag_lapsed()
    promise.refresh_from_db()
    assert result.broken == 1 and promise.status == Promise.Status.BROKEN
    assert promise.resolved_at == timezone.now()
    event = promise.events.get(to_status="broken")
    assert (event.from_status, event.cause) == ("pending", PromiseEvent.Cause.JOB)


def test_a_half_paid_promise_is_partially_kept_and_a_paid_one_kept(clock, diego, carla, mateo, cris, portfolio):
    half = _promise(diego, carla)
    _pay(diego, "150.00", "R-1")
    PromiseRules.objects.create(portfolio=portfolio, tolerance_percent=Decimal("5"))
    nearly = _promise(mateo, cris, amount="1000.00")
    _pay(mateo, "960.00", "R-2")
    clock.move_to(datetime(2026, 11, 21, 9, 0, tzinfo=LIMA))
    result = services.promises_flag_lapsed()
    half.refresh_from_db()
    nearly.refresh_from_db()
    assert half.status == Promise.Status.PARTIALLY_KEPT
    assert nearly.status == Promise.Status.KEPT  # 4 % short, within the 5 % tolerance
    assert (result.kept, result.partially_kept, result.broken) == (1, 1, 0)


def test_too_little_paid_is_a_broken_promise(clock, diego, carla):
    promise = _promise(diego, carla)
    _pay(diego, "100.00", "R-1")  # a third: under the 50 % minimum
    clock.move_to(datetime(2026, 11, 21, 9, 0, tzinfo=LIMA))
    services.promises_flag_lapsed()
    promise.refresh_from_db()
    assert promise.status == Promise.Status.BROKEN


def test_running_the_job_again_changes_nothing(clock, diego, carla):
    _promise(diego, carla)
    clock.move_to(datetime(2026, 11, 21, 9, 0, tzinfo=LIMA))
    assert services.promises_flag_lapsed().broken == 1
    assert services.promises_flag_lapsed().total == 0
    assert PromiseEvent.objects.filter(to_status="broken").count() == 1


def test_cancelled_and_already_kept_promises_are_left_alone(clock, diego, carla, sofia):
    cancelled = _promise(diego, carla)
    services.promise_cancel(promise=cancelled, by=sofia)
    _promise(diego, carla, amount="50.00")
    _pay(diego, "50.00", "R-9")
    clock.move_to(datetime(2026, 11, 25, 9, 0, tzinfo=LIMA))
    assert services.promises_flag_lapsed().total == 0
    assert set(Promise.objects.values_list("status", flat=True)) == {"cancelled", "kept"}


def test_a_missed_instalment_breaks_the_arrangement_by_default(clock, diego, carla):
    arrangement = services.arrangement_create(
        debtor=diego,
        collector=carla,
        schedule=[(date(2026, 11, 17), Decimal("100")), (date(2026, 12, 17), Decimal("100"))],
    )
    clock.move_to(datetime(2026, 11, 21, 9, 0, tzinfo=LIMA))
    result = services.promises_flag_lapsed()
    arrangement.refresh_from_db()
    statuses = list(arrangement.promises.order_by("instalment_number").values_list("status", flat=True))
    assert arrangement.status == Arrangement.Status.BROKEN and result.arrangements_broken == 1
    assert statuses == ["broken", "cancelled"]


def test_a_portfolio_may_carry_a_missed_instalment_to_the_end(clock, diego, carla, portfolio):
    PromiseRules.objects.create(portfolio=portfolio, missed_instalment="carry")
    arrangement = services.arrangement_create(
        debtor=diego,
        collector=carla,
        schedule=[
            (date(2026, 11, 17), Decimal("100")),
            (date(2026, 12, 17), Decimal("100")),
            (date(2027, 1, 17), Decimal("100")),
        ],
    )
    _pay(diego, "60.00", "R-1")
    clock.move_to(datetime(2026, 11, 21, 9, 0, tzinfo=LIMA))
    services.promises_flag_lapsed()
    arrangement.refresh_from_db()
    first, second, last = arrangement.promises.order_by("instalment_number")
    assert arrangement.status == Arrangement.Status.ACTIVE
    assert first.status == Promise.Status.PARTIALLY_KEPT
    assert (second.amount, last.amount) == (Decimal("100.00"), Decimal("140.00"))  # 40 unpaid moved to the end
    assert last.kept_threshold == Decimal("140.00")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_jobs_running_at_once_judge_each_promise_once(diego, carla, mateo, cris):
    with __import__("time_machine").travel(datetime(2026, 11, 16, 10, 0, tzinfo=LIMA), tick=False):
        for n in range(20):
            _promise(diego if n % 2 else mateo, carla if n % 2 else cris, amount=f"{100 + n}.00")
    results, errors = [], []

    def run():
        try:
            results.append(services.promises_flag_lapsed(now=datetime(2026, 11, 25, tzinfo=LIMA)))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(result.total for result in results) == 20
    assert PromiseEvent.objects.filter(from_status="pending", to_status="broken").count() == 20
    assert set(Promise.objects.values_list("status", flat=True)) == {"broken"}
