"""Features are read as they stood at a moment: nothing after it tells the model who paid."""

from datetime import timedelta
from decimal import Decimal

from calls.models import Call
from debtors.models import Debtor, Phone
from promises.models import Promise
from scoring.features import COLUMN, DAYS_CAP, book_as_of
from tests.factories import make_call, make_debt, make_debtor, make_payment, make_phone, make_promise


def features_of(book, debtor):
    row = list(book.debtor_ids).index(debtor.pk)
    return {name: book.values[row, column] for name, column in COLUMN.items()}


def test_what_happened_after_the_moment_does_not_count(now, portfolio, carla, diego):
    Debtor.objects.filter(pk=diego.pk).update(created_at=now - timedelta(days=100))
    make_debt(debtor=diego, balance=Decimal("800.00"))
    at = now - timedelta(days=30)
    make_payment(debtor=diego, amount=Decimal("100.00"), paid_at=at - timedelta(days=10))
    make_payment(debtor=diego, amount=Decimal("200.00"), paid_at=at + timedelta(days=5))
    make_call(debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY, started_at=at - timedelta(days=3))
    make_call(debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY, started_at=at + timedelta(days=1))
    make_call(
        debtor=diego,
        collector=carla,
        outcome=Call.Outcome.RIGHT_PARTY,
        started_at=at + timedelta(days=2),
        stance=Call.Stance.SITUATION,
        stance_reason=Call.StanceReason.JOB_LOSS,
    )
    promise = make_promise(
        debtor=diego, collector=carla, status=Promise.Status.KEPT, resolved_at=at + timedelta(days=4)
    )
    Promise.objects.filter(pk=promise.pk).update(created_at=at - timedelta(days=2))

    then = features_of(book_as_of(portfolio.pk, at), diego)

    assert then["payments_90d"] == 1
    assert then["days_since_payment"] == 10
    assert then["balance"] == 2000  # today's 1,000 + 800 plus the 200 paid since
    assert then["share_paid_90d"] == 100 / 2100
    assert then["right_party_90d"] == 1
    assert then["days_since_right_party"] == 3
    assert then["hardship_heard"] == 0  # heard after the moment
    assert then["promises_kept"] == 0  # kept after the moment: pending then
    assert then["open_promise"] == 1

    today = features_of(book_as_of(portfolio.pk, now), diego)
    assert today["payments_90d"] == 2
    assert today["right_party_90d"] == 3
    assert today["hardship_heard"] == 1
    assert today["promises_kept"] == 1
    assert today["open_promise"] == 0


def test_debtors_created_after_the_moment_or_owing_nothing_are_left_out(now, portfolio, diego, unassigned):
    paid_up = make_debtor(portfolio=portfolio)
    Debtor.objects.filter(pk__in=[diego.pk, paid_up.pk]).update(created_at=now - timedelta(days=100))
    make_debt(debtor=paid_up, balance=Decimal("0.00"), original_amount=Decimal("50.00"))
    make_debt(debtor=unassigned)  # created today

    assert list(book_as_of(portfolio.pk, now - timedelta(days=30)).debtor_ids) == [diego.pk]
    assert set(book_as_of(portfolio.pk, now).debtor_ids) == {diego.pk, unassigned.pk}


def test_phones_consents_and_holds_are_read(now, portfolio, diego):
    make_phone(debtor=diego, number="+51987000001", sms_consent=True, sms_consent_source="contrato", sms_consent_at=now)
    make_phone(debtor=diego, number="+51987000002", status=Phone.Status.WRONG_NUMBER)
    Debtor.objects.filter(pk=diego.pk).update(hold_dispute=True)

    found = features_of(book_as_of(portfolio.pk, now + timedelta(seconds=1)), diego)

    assert found["usable_phones"] == 2  # the fixture's and the consented one
    assert found["consented_numbers"] == 1
    assert found["on_hold"] == 1
    assert found["days_since_payment"] == DAYS_CAP
