from datetime import date
from decimal import Decimal

from debtors.models import DebtSnapshot
from debtors.services import debt_snapshots_take
from tests import factories


def test_the_nightly_snapshot_records_each_open_debts_arrears_once(diego, mateo):
    late = diego.debts.get()
    late.due_date = date(2026, 8, 1)
    late.save()
    paid = factories.make_debt(
        debtor=mateo, balance=Decimal("0"), original_amount=Decimal("50"), due_date=date(2026, 1, 1)
    )
    recalled = factories.make_debt(debtor=mateo, due_date=date(2026, 1, 1), recalled_on=date(2026, 10, 1))

    assert debt_snapshots_take(on=date(2026, 11, 23)) == 3  # diego's, mateo's first debt, the paid one
    snapshot = DebtSnapshot.objects.get(debt=late)
    assert (snapshot.days_past_due, snapshot.aging_bucket, snapshot.balance) == (114, "91-180", Decimal("1000.00"))
    assert DebtSnapshot.objects.get(debt=paid).aging_bucket == "current"
    assert not DebtSnapshot.objects.filter(debt=recalled).exists()

    assert debt_snapshots_take(on=date(2026, 11, 23)) == 0
    assert debt_snapshots_take(on=date(2026, 11, 24)) == 3
    assert DebtSnapshot.objects.get(debt=late, taken_on=date(2026, 11, 24)).days_past_due == 115
