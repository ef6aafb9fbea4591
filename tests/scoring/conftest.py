import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from debtors.models import Debtor, Phone
from promises.models import Payment

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def synthetic_book(portfolio, *, debtors: int, seed: int = 19) -> dict:
    """A portfolio with a steady, planted signal: three debtors in ten are good payers, who pay
    something in a 30-day window seven times in ten; the others one time in twelve. Eight
    windows of history up to NOW, so that at any moment a recent payment says who pays next.
    Returns {"debtors": [...], "good_payers": {ids}}.
    """
    rng = random.Random(seed)
    created = Debtor.objects.bulk_create(
        Debtor(
            portfolio=portfolio,
            external_id=f"S-{n:06d}",
            full_name=f"Deudor sintético {n}",
            time_zone=portfolio.default_time_zone,
            open_balance=Decimal(rng.randrange(200, 20_000)),
            arrears_since=date(2026, 1, 1) + timedelta(days=rng.randrange(0, 250)),
        )
        for n in range(debtors)
    )
    Debtor.objects.filter(pk__in=[d.pk for d in created]).update(created_at=NOW - timedelta(days=300))
    Phone.objects.bulk_create(Phone(debtor=d, number=f"+5198{n:07d}") for n, d in enumerate(created))
    payments, good_payers = [], set()
    for debtor in created:
        good = rng.random() < 0.3
        if good:
            good_payers.add(debtor.pk)
        for window in range(8):
            if rng.random() < (0.7 if good else 1 / 12):
                paid_at = NOW - timedelta(days=30 * window + rng.randrange(1, 29), hours=rng.randrange(0, 12))
                payments.append(_payment(debtor, paid_at, rng))
    Payment.objects.bulk_create(payments)
    return {"debtors": created, "good_payers": good_payers}


def _payment(debtor, paid_at, rng) -> Payment:
    return Payment(
        debtor=debtor,
        amount=Decimal(rng.randrange(50, 500)),
        currency=debtor.portfolio.currency,
        paid_at=paid_at,
        reference=f"P-{debtor.pk}-{paid_at:%j%H%M%S}",
        source=Payment.Source.MANUAL,
    )
