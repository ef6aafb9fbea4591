"""What must always hold is held by the database, not only by forms."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from calls.models import Call, FollowUp
from debtors.models import AgingBucket, Debt, Phone, aging_bucket_for
from promises.models import Promise, PromiseEvent
from tests import factories


def _violates(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_external_id_is_unique_within_a_portfolio_only(portfolio, diego):
    _violates(lambda: factories.make_debtor(portfolio=portfolio, external_id=diego.external_id))
    other = factories.make_portfolio(name="Otra cartera")
    assert factories.make_debtor(portfolio=other, external_id=diego.external_id).pk


def test_amounts_must_be_positive(diego, carla):
    _violates(lambda: factories.make_debt(debtor=diego, balance=Decimal("-1")))
    _violates(lambda: factories.make_promise(debtor=diego, collector=carla, amount=Decimal("0")))
    _violates(lambda: factories.make_payment(debtor=diego, amount=Decimal("-5")))


def test_a_payment_reference_counts_once_per_source(diego):
    factories.make_payment(debtor=diego, reference="BCP-0001")
    _violates(lambda: factories.make_payment(debtor=diego, reference="BCP-0001"))
    assert factories.make_payment(debtor=diego, reference="BCP-0001", source="import").pk


def test_a_resolved_promise_has_a_resolution_time_and_a_pending_one_has_none(diego, carla):
    promise = factories.make_promise(debtor=diego, collector=carla)
    _violates(lambda: Promise.objects.filter(pk=promise.pk).update(status=Promise.Status.KEPT))
    _violates(lambda: Promise.objects.filter(pk=promise.pk).update(resolved_at=timezone.now()))
    _violates(lambda: Promise.objects.filter(pk=promise.pk).update(status="lost"))


def test_a_status_event_must_change_the_status(diego, carla):
    promise = factories.make_promise(debtor=diego, collector=carla)
    _violates(
        lambda: PromiseEvent.objects.create(
            promise=promise, from_status="pending", to_status="pending", at=timezone.now(), cause="job"
        )
    )


def test_the_same_follow_up_cannot_be_open_twice(diego, carla):
    first = factories.make_follow_up(debtor=diego, assigned_to=carla, reason="broken_promise", subject_key="promise:1")
    _violates(
        lambda: factories.make_follow_up(
            debtor=diego, assigned_to=carla, reason="broken_promise", subject_key="promise:1"
        )
    )
    FollowUp.objects.filter(pk=first.pk).update(status=FollowUp.Status.DONE, closed_at=timezone.now())
    again = factories.make_follow_up(debtor=diego, assigned_to=carla, reason="broken_promise", subject_key="promise:1")
    assert again.pk != first.pk


def test_a_lost_call_says_why_and_a_stance_has_its_reason(diego, carla):
    _violates(lambda: factories.make_call(debtor=diego, collector=carla, outcome="right_party", commitment="none"))
    _violates(lambda: factories.make_call(debtor=diego, collector=carla, outcome="right_party", stance="objection"))
    _violates(lambda: factories.make_call(debtor=diego, collector=carla, outcome="hung_up"))
    call = factories.make_call(
        debtor=diego,
        collector=carla,
        outcome=Call.Outcome.RIGHT_PARTY,
        stance=Call.Stance.SITUATION,
        stance_reason=Call.StanceReason.JOB_LOSS,
        commitment=Call.Commitment.NONE,
        no_commitment_reason="Needs a week to talk to his family",
    )
    assert call.is_right_party


def test_message_consent_is_recorded_with_its_source_and_date(diego):
    _violates(lambda: factories.make_phone(debtor=diego, number="+51912345678", sms_consent=True))
    phone = factories.make_phone(
        debtor=diego,
        number="+51912345678",
        whatsapp_consent=True,
        whatsapp_consent_source="Contract clause 12",
        whatsapp_consent_at=timezone.now(),
    )
    assert Phone.objects.get(pk=phone.pk).number.as_e164 == "+51912345678"


def test_a_number_is_stored_once_per_debtor_in_e164(diego):
    phone = factories.make_phone(debtor=diego, number="+51 912 345 678")
    assert str(Phone.objects.get(pk=phone.pk).number) == "+51912345678"
    _violates(lambda: factories.make_phone(debtor=diego, number="+51912345678"))


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, AgingBucket.CURRENT),
        (1, AgingBucket.D1_30),
        (30, AgingBucket.D1_30),
        (31, AgingBucket.D31_60),
        (60, AgingBucket.D31_60),
        (61, AgingBucket.D61_90),
        (90, AgingBucket.D61_90),
        (91, AgingBucket.D91_180),
        (180, AgingBucket.D91_180),
        (181, AgingBucket.D180_PLUS),
    ],
)
def test_aging_buckets_follow_the_trade(days, bucket):
    assert aging_bucket_for(days) == bucket


def test_days_past_due_counts_from_the_due_date_and_stops_when_paid(diego):
    debt = Debt(debtor=diego, balance=Decimal("10"), due_date=date(2026, 10, 1))
    assert debt.days_past_due(date(2026, 10, 1)) == 0
    assert debt.days_past_due(date(2026, 10, 31)) == 30
    assert debt.aging_bucket(date(2026, 10, 31)) == AgingBucket.D1_30
    debt.balance = Decimal("0")
    assert debt.days_past_due(date(2026, 10, 31)) == 0


def test_every_model_is_in_the_admin_with_search():
    from django.apps import apps
    from django.contrib import admin

    for app_label in ("users", "debtors", "calls", "promises", "scoring", "conversations"):
        for model in apps.get_app_config(app_label).get_models():
            assert model in admin.site._registry, f"{model.__name__} is missing from the admin"
            model_admin = admin.site._registry[model]
            assert model_admin.search_fields or model_admin.list_filter, model.__name__


def test_lapse_moment_is_the_end_of_the_last_grace_day_in_the_debtors_zone():
    moment = factories.lapse_moment(date(2026, 12, 1), 3, "America/Lima")
    assert moment.isoformat() == "2026-12-05T00:00:00-05:00"
    assert moment - factories.lapse_moment(date(2026, 12, 1), 2, "America/Lima") == timedelta(days=1)


def test_an_arrangement_numbers_each_instalment_once(diego, carla):
    from promises.models import Arrangement

    arrangement = Arrangement.objects.create(
        debtor=diego, kind="instalments", status="active", total_amount=Decimal("600"), currency="PEN", created_by=carla
    )
    factories.make_promise(debtor=diego, collector=carla, arrangement=arrangement, instalment_number=1)
    _violates(
        lambda: factories.make_promise(debtor=diego, collector=carla, arrangement=arrangement, instalment_number=1)
    )
    assert factories.make_promise(debtor=diego, collector=carla, arrangement=arrangement, instalment_number=2).pk
    # Promises outside any arrangement are not numbered, and there may be any number of them.
    assert factories.make_promise(debtor=diego, collector=carla).pk
    assert factories.make_promise(debtor=diego, collector=carla).pk
