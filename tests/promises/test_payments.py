"""Payments reconcile the promises they pay, once per reference."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from debtors.models import Debt
from promises import services
from promises.models import Arrangement, Payment, PaymentAllocation, Promise, PromiseEvent
from tests import factories
from tests.promises.conftest import LIMA


def _promise(diego, carla, amount="300.00", due=date(2026, 11, 20)):
    return services.promise_create(
        debtor=diego, collector=carla, amount=Decimal(amount), due_date=due, debt=diego.debts.first()
    )


def _pay(diego, amount, reference="BCP-1", paid_at=None, **extra):
    return services.payment_record(
        debtor=diego,
        amount=Decimal(amount),
        paid_at=paid_at or timezone.now(),
        reference=reference,
        source="manual",
        **extra,
    )


def test_paying_a_promise_in_full_keeps_it_at_once(clock, diego, carla):
    promise = _promise(diego, carla)
    result = _pay(diego, "300.00")
    promise.refresh_from_db()
    assert promise.status == Promise.Status.KEPT and result.kept_promise_ids == [promise.pk]
    event = promise.events.get(to_status="kept")
    assert event.cause == PromiseEvent.Cause.PAYMENT and event.note == "BCP-1"


def test_the_same_reference_recorded_twice_changes_nothing(clock, diego, carla):
    promise = _promise(diego, carla)
    balance_before = Debt.objects.get(debtor=diego).balance
    first = _pay(diego, "100.00")
    second = _pay(diego, "100.00")
    assert first.created and not second.created and second.payment.pk == first.payment.pk
    assert Payment.objects.count() == 1
    assert PaymentAllocation.objects.filter(promise=promise).count() == 1
    assert Debt.objects.get(debtor=diego).balance == balance_before - Decimal("100.00")


def test_a_partial_payment_leaves_the_promise_pending_until_its_date(clock, diego, carla):
    promise = _promise(diego, carla)
    _pay(diego, "120.00")
    promise.refresh_from_db()
    assert promise.status == Promise.Status.PENDING
    assert promise.allocations.get().amount == Decimal("120.00")


def test_a_payment_covers_instalments_earliest_first(clock, diego, carla):
    arrangement = services.arrangement_create(
        debtor=diego,
        collector=carla,
        schedule=[
            (date(2026, 11, 20), Decimal("100")),
            (date(2026, 12, 20), Decimal("100")),
            (date(2027, 1, 20), Decimal("100")),
        ],
    )
    _pay(diego, "150.00")
    first, second, third = arrangement.promises.order_by("instalment_number")
    first.refresh_from_db()
    assert first.status == Promise.Status.KEPT
    assert second.allocations.get().amount == Decimal("50.00")
    assert not third.allocations.exists()
    assert Arrangement.objects.get(pk=arrangement.pk).status == Arrangement.Status.ACTIVE


def test_an_arrangement_paid_in_full_is_completed(clock, diego, carla):
    arrangement = services.arrangement_create(
        debtor=diego,
        collector=carla,
        schedule=[(date(2026, 11, 20), Decimal("100")), (date(2026, 12, 20), Decimal("50"))],
    )
    _pay(diego, "150.00")
    arrangement.refresh_from_db()
    assert arrangement.status == Arrangement.Status.COMPLETED


def test_a_settlement_records_its_discount(clock, diego, carla):
    arrangement = services.arrangement_create(
        debtor=diego,
        collector=carla,
        kind=Arrangement.Kind.SETTLEMENT,
        schedule=[(date(2026, 11, 25), Decimal("700"))],
        discount_amount=Decimal("300"),
    )
    assert (arrangement.total_amount, arrangement.discount_amount) == (Decimal("700"), Decimal("300"))


def test_a_payment_made_before_the_promise_does_not_count_towards_it(clock, diego, carla):
    earlier = timezone.now() - timedelta(days=3)
    promise = _promise(diego, carla)
    _pay(diego, "300.00", paid_at=earlier)
    assert not promise.allocations.exists()
    promise.refresh_from_db()
    assert promise.status == Promise.Status.PENDING


def test_a_payment_after_the_grace_period_does_not_count(clock, diego, carla):
    promise = _promise(diego, carla, due=date(2026, 11, 17))  # default grace: 2 days → lapses 20 Nov 00:00
    clock.move_to(datetime(2026, 11, 20, 9, 0, tzinfo=LIMA))
    _pay(diego, "300.00", paid_at=datetime(2026, 11, 20, 0, 0, tzinfo=LIMA))
    assert not promise.allocations.exists()


def test_the_balance_goes_down_but_never_below_zero(clock, diego):
    debt = diego.debts.get()
    _pay(diego, "5000.00", debt=debt)
    debt.refresh_from_db()
    assert debt.balance == Decimal("0.00")


def test_a_promise_dated_in_the_past_is_refused(clock, diego, carla):
    with pytest.raises(ValidationError) as refused:
        _promise(diego, carla, due=date(2026, 11, 15))
    assert "due_date" in refused.value.message_dict


def test_a_promise_keeps_the_terms_it_was_made_with(clock, diego, carla):
    from promises.models import PromiseRules

    PromiseRules.objects.create(portfolio=diego.portfolio, grace_days=5, tolerance_percent=Decimal("10"))
    promise = _promise(diego, carla, amount="200.00")
    assert promise.grace_days == 5 and promise.kept_threshold == Decimal("180.00")
    PromiseRules.objects.filter(portfolio=diego.portfolio).update(tolerance_percent=Decimal("0"))
    promise.refresh_from_db()
    assert promise.kept_threshold == Decimal("180.00")


def test_per_promise_overrides_win_over_the_portfolio(clock, diego, carla):
    promise = services.promise_create(
        debtor=diego,
        collector=carla,
        amount=Decimal("100"),
        due_date=date(2026, 11, 30),
        grace_days=0,
        tolerance_amount=Decimal("3"),
    )
    assert promise.grace_days == 0 and promise.kept_threshold == Decimal("97.00")


def test_renegotiating_cancels_and_replaces_keeping_history(clock, diego, carla, sofia):
    old = _promise(diego, carla)
    new = services.promise_renegotiate(promise=old, by=sofia, amount=Decimal("150"), due_date=date(2026, 12, 5))
    old.refresh_from_db()
    assert old.status == Promise.Status.CANCELLED and new.replaces == old
    assert list(old.events.values_list("to_status", flat=True)) == ["pending", "cancelled"]


def test_a_supervisor_records_a_payment_from_the_debtor_page(client, clock, diego, carla, sofia):
    promise = _promise(diego, carla, amount="300.00")
    client.force_login(sofia)
    response = client.post(
        f"/promises/debtors/{diego.pk}/payments/",
        {"amount": "300,00", "paid_at": "2026-11-16T10:00", "reference": "BCP-555"},
        follow=True,
    )
    promise.refresh_from_db()
    assert promise.status == Promise.Status.KEPT
    assert "BCP-555" in response.content.decode()
    payment = Payment.objects.get()
    assert payment.recorded_by == sofia and payment.paid_at == datetime(2026, 11, 16, 10, 0, tzinfo=LIMA)


def test_a_reference_held_only_outside_the_supervisors_teams_is_recorded_from_the_page(
    high_ids, client, clock, diego, mateo, sofia
):
    _pay(mateo, "40.00", reference="BCP-900")  # pablo's team's debtor
    client.force_login(sofia)
    response = client.post(
        f"/promises/debtors/{diego.pk}/payments/",
        {"amount": "25,00", "paid_at": "2026-11-16T09:30", "reference": "BCP-900"},
        follow=True,
    )
    page = response.content.decode()
    assert "Pago registrado" in page and "ya estaba registrada" not in page and "otro deudor" not in page
    assert Payment.objects.get(debtor=diego).reference == "BCP-900"


def test_a_reference_of_another_debtor_of_her_teams_is_refused_from_the_page(
    high_ids, client, clock, diego, carla, sofia
):
    rosa = factories.make_debtor(portfolio=diego.portfolio, assigned_to=carla)
    _pay(rosa, "40.00", reference="BCP-901")
    client.force_login(sofia)
    response = client.post(
        f"/promises/debtors/{diego.pk}/payments/",
        {"amount": "25,00", "paid_at": "2026-11-16T09:30", "reference": "BCP-901"},
        follow=True,
    )
    assert "Esta referencia ya está registrada para otro deudor." in response.content.decode()
    assert not Payment.objects.filter(debtor=diego).exists()


def test_the_database_holds_one_payment_per_debtor_source_and_reference(clock, diego, mateo):
    fields = {
        "amount": Decimal("10.00"),
        "currency": "PEN",
        "paid_at": timezone.now(),
        "reference": "BCP-7",
        "source": "manual",
    }
    Payment.objects.create(debtor=diego, **fields)
    Payment.objects.create(debtor=mateo, **fields)  # another debtor: its own payment
    Payment.objects.create(debtor=diego, **{**fields, "source": "api"})  # another source
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(debtor=diego, **fields)


def test_collectors_cannot_record_payments(client, clock, diego, carla):
    client.force_login(carla)
    response = client.post(
        f"/promises/debtors/{diego.pk}/payments/", {"amount": "10", "paid_at": "2026-11-16T09:30", "reference": "X"}
    )
    assert response.status_code == 404 and not Payment.objects.exists()


def test_a_supervisor_cannot_record_payments_for_another_teams_debtor(client, clock, mateo, sofia):
    client.force_login(sofia)
    response = client.post(
        f"/promises/debtors/{mateo.pk}/payments/", {"amount": "10", "paid_at": "2026-11-16T09:30", "reference": "X"}
    )
    assert response.status_code == 404 and not Payment.objects.exists()


def test_a_bad_amount_is_refused_with_a_message_and_nothing_recorded(client, clock, diego, sofia):
    client.force_login(sofia)
    response = client.post(
        f"/promises/debtors/{diego.pk}/payments/",
        {"amount": "-5", "paid_at": "2026-11-16T09:30", "reference": "X"},
        follow=True,
    )
    assert not Payment.objects.exists()
    page = response.content.decode()
    assert "Importe" in page and "mayor o igual a 0.01" in page


def test_a_payment_dated_in_the_future_is_refused(clock, diego):
    with pytest.raises(ValidationError) as refused:
        _pay(diego, "10.00", paid_at=timezone.now() + timedelta(days=1))
    assert "paid_at" in refused.value.message_dict


def test_a_payment_on_one_debt_does_not_pay_a_promise_on_another(clock, diego, carla):
    from tests import factories

    card, loan = diego.debts.get(), factories.make_debt(debtor=diego, product="Préstamo personal")
    loan_promise = _promise(diego, carla, amount="100.00")
    Promise.objects.filter(pk=loan_promise.pk).update(debt=loan)
    _pay(diego, "100.00", debt=card)
    loan_promise.refresh_from_db()
    assert loan_promise.status == Promise.Status.PENDING and not loan_promise.allocations.exists()
