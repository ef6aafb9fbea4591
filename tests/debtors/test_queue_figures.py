"""The open balance and arrears date stored on each debtor, which the collector's queue ranks by.

Every writer of debts keeps them: a debt saved or deleted, a payment, a portfolio file (new
customers, changed balances, accounts added, the whole-portfolio recall), the demo seed; the
nightly repair puts right whatever was changed behind the application's back.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from debtors.importing.loading import portfolio_get_or_create, portfolio_import
from debtors.models import Debt, Debtor
from debtors.tasks import repair_queue_figures
from promises.services import payment_record
from tests import factories
from tests.utils import xlsx_workbook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

HEADER = ["Código de cliente", "Nombre", "Celular", "Nro. de crédito", "Saldo", "Fecha de vencimiento"]
NOON = datetime(2026, 11, 18, 12, 0, tzinfo=ZoneInfo("America/Lima"))


def figures(debtor) -> tuple[Decimal, date | None]:
    debtor = Debtor.objects.get(pk=debtor.pk)
    return debtor.open_balance, debtor.arrears_since


def xlsx(rows):
    return xlsx_workbook(HEADER, rows)


def _admin_save(client, debt, **changes):
    """Save a debt's change form in the admin as a person would: its values, some changed."""
    url = reverse("admin:debtors_debt_change", args=[debt.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else str(value) for name, value in data.items()}
    response = client.post(url, {**data, **changes, "_save": "1"})
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_debts_added_edited_moved_and_deleted_in_the_admin_move_the_debtors_figures(client, ana):
    debtor = factories.make_debtor()
    assert figures(debtor) == (Decimal("0"), None)
    old = factories.make_debt(debtor=debtor, balance=Decimal("300.00"), due_date=date(2026, 7, 1))
    newer = factories.make_debt(debtor=debtor, balance=Decimal("200.00"), due_date=date(2026, 9, 1))
    assert figures(debtor) == (Decimal("500.00"), date(2026, 7, 1))
    client.force_login(ana)

    _admin_save(client, old, balance="0")  # paid off: the arrears now date from the newer debt
    assert figures(debtor) == (Decimal("200.00"), date(2026, 9, 1))

    _admin_save(client, newer, recalled_on="2026-11-01")  # the creditor took it back
    assert figures(debtor) == (Decimal("0"), None)

    _admin_save(client, newer, recalled_on="")
    other = factories.make_debtor(portfolio=debtor.portfolio)
    _admin_save(client, newer, debtor=str(other.pk))  # moved: both debtors' figures follow
    assert figures(debtor) == (Decimal("0"), None)
    assert figures(other) == (Decimal("200.00"), date(2026, 9, 1))

    response = client.post(reverse("admin:debtors_debt_delete", args=[newer.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert figures(other) == (Decimal("0"), None)


def test_a_payment_lowers_the_stored_balance_and_a_full_one_clears_the_arrears():
    debtor = factories.make_debtor()
    factories.make_debt(debtor=debtor, balance=Decimal("500.00"), due_date=date(2026, 8, 15))
    payment_record(debtor=debtor, amount=Decimal("120.50"), paid_at=NOON, reference="OP-1", source="bank")
    assert figures(debtor) == (Decimal("379.50"), date(2026, 8, 15))
    payment_record(debtor=debtor, amount=Decimal("379.50"), paid_at=NOON, reference="OP-2", source="bank")
    assert figures(debtor) == (Decimal("0.00"), None)


def test_a_portfolio_file_stores_the_figures_of_new_and_changed_customers_only():
    lima = portfolio_get_or_create(portfolio="Tarjetas", creditor="Banco Andino", country="PE")
    portfolio_import(
        file=xlsx(
            [
                ["C-1", "Ana", 987654321, "CR-1", 100, datetime(2026, 8, 31)],
                ["C-1", "Ana", 987654321, "CR-2", 50, datetime(2026, 6, 30)],
                ["C-2", "Luis", 912345678, "CR-3", 30, datetime(2026, 5, 31)],
                ["C-3", "Rosa", 912345679, "CR-4", 75, datetime(2026, 9, 30)],
            ]
        ),
        portfolio=lima,
    )
    ana, luis, rosa = (Debtor.objects.get(external_id=code) for code in ("C-1", "C-2", "C-3"))
    assert figures(ana) == (Decimal("150.00"), date(2026, 6, 30))
    assert figures(luis) == (Decimal("30.00"), date(2026, 5, 31))
    assert figures(rosa) == (Decimal("75.00"), date(2026, 9, 30))

    # Next month: Ana paid part of CR-2, Luis has a new account beside CR-3, C-3 is not in the
    # file (whole portfolio: recalled), and a debt of Ana's that the file does not list counts.
    factories.make_debt(debtor=ana, account_reference="CR-OLD", balance=Decimal("10.00"), due_date=date(2026, 10, 1))
    portfolio_import(
        file=xlsx(
            [
                ["C-1", "Ana", 987654321, "CR-1", 100, datetime(2026, 8, 31)],
                ["C-1", "Ana", 987654321, "CR-2", 20, datetime(2026, 6, 30)],
                ["C-2", "Luis", 912345678, "CR-5", 40, datetime(2026, 10, 31)],
            ]
        ),
        portfolio=lima,
        whole_portfolio=True,
    )
    assert figures(ana) == (Decimal("130.00"), date(2026, 6, 30))
    assert figures(luis) == (Decimal("70.00"), date(2026, 5, 31))
    assert figures(rosa) == (Decimal("0"), None)


def test_the_nightly_repair_puts_right_figures_changed_behind_the_applications_back():
    debtor = factories.make_debtor()
    factories.make_debt(debtor=debtor, balance=Decimal("300.00"), due_date=date(2026, 7, 1))
    untouched = factories.make_debtor()
    factories.make_debt(debtor=untouched, balance=Decimal("80.00"), due_date=date(2026, 8, 1))
    Debt.objects.filter(debtor=debtor).update(balance=Decimal("90.00"))  # a hand edit in SQL: no service ran

    assert repair_queue_figures() == 1
    assert figures(debtor) == (Decimal("90.00"), date(2026, 7, 1))
    assert figures(untouched) == (Decimal("80.00"), date(2026, 8, 1))
    assert repair_queue_figures() == 0


def test_the_queue_ranks_accounts_by_the_stored_figures(client, django_user_model):
    from collections_crm.users.models import Role
    from collections_crm.users.services import user_create

    carla = user_create(username="carla.q", password="pw-carla-123456", role=Role.COLLECTOR)
    portfolio = factories.make_portfolio()
    people = {}
    for name, balance, due in (
        ("Newest arrears", "900.00", date(2026, 10, 1)),
        ("Oldest arrears", "100.00", date(2026, 3, 1)),
        ("Same day, larger", "700.00", date(2026, 6, 1)),
        ("Same day, smaller", "200.00", date(2026, 6, 1)),
        ("Paid off", "0.00", date(2026, 1, 1)),
    ):
        people[name] = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=name)
        factories.make_debt(debtor=people[name], balance=Decimal(balance), due_date=due)
    client.force_login(carla)
    with time_machine.travel(NOON, tick=False):
        page = client.get(reverse("home")).content.decode()
    order = [name for name in people if name in page]
    assert sorted(order, key=page.index) == [
        "Oldest arrears",
        "Same day, larger",
        "Same day, smaller",
        "Newest arrears",
    ]
    assert "Paid off" not in page
