"""A database filled by an earlier main upgrades to today's schema and keeps every row.

The schema is taken back to how it stood before the search indexes, the stored portfolio and
balance figures, the import hashes and the list indexes (debtors 0013, calls 0010, promises
0008), filled through the models of that time, and migrated forward: every debtor, debt, phone,
call and promise is found again through today's models, with its values. Models that move
between apps must keep passing this (their tables kept, their rows found).
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

EARLIER_MAIN = [
    ("debtors", "0013_list_order_indexes"),
    ("calls", "0010_call_started_index"),
    ("promises", "0008_lapsing_touches_fewer_indexes"),
]
CALLED_AT = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _fill(apps) -> dict:
    User = apps.get_model("users", "User")
    Creditor = apps.get_model("debtors", "Creditor")
    Portfolio = apps.get_model("debtors", "Portfolio")
    Debtor = apps.get_model("debtors", "Debtor")
    Debt = apps.get_model("debtors", "Debt")
    Phone = apps.get_model("debtors", "Phone")
    Call = apps.get_model("calls", "Call")
    Promise = apps.get_model("promises", "Promise")

    carla = User.objects.create(username="carla", password="!", role="collector")
    portfolio = Portfolio.objects.create(
        creditor=Creditor.objects.create(name="Banco Andino"),
        name="Tarjetas",
        country="PE",
        currency="PEN",
        default_time_zone="America/Lima",
        contact_policy_preset="pe",
    )
    debtors = [
        Debtor.objects.create(
            portfolio=portfolio,
            external_id=f"C-{n:03d}",
            full_name=name,
            time_zone="America/Lima",
            assigned_to=carla if n < 3 else None,
        )
        for n, name in enumerate(["Rosa Quispe", "José Muñoz Pérez", "Ana Ríos", "Nadia Nadie"], 1)
    ]
    for n, debtor in enumerate(debtors, 1):
        Debt.objects.create(
            debtor=debtor,
            account_reference=f"OP-{n}",
            original_amount=Decimal("1500.00"),
            balance=Decimal(f"{n}00.50"),
            currency="PEN",
            due_date=date(2026, 8, n),
        )
        Phone.objects.create(debtor=debtor, number=f"+5198765432{n}")
    Call.objects.create(debtor=debtors[0], collector=carla, outcome="no_answer", started_at=CALLED_AT)
    Promise.objects.create(
        debtor=debtors[1],
        collector=carla,
        amount=Decimal("250.00"),
        currency="PEN",
        kept_threshold=Decimal("250.00"),
        partial_threshold=Decimal("125.00"),
        due_date=date(2026, 11, 25),
        lapses_at=datetime(2026, 11, 27, 5, 0, tzinfo=UTC),
        status="pending",
    )
    return _rows(Debtor, Debt, Phone, Call, Promise)


def _rows(Debtor, Debt, Phone, Call, Promise) -> dict:
    """Every row's values, read the same way through the models of either time."""
    return {
        "debtors": sorted(Debtor.objects.values_list("external_id", "full_name", "assigned_to__username")),
        "debts": sorted(Debt.objects.values_list("account_reference", "balance", "due_date", "debtor__external_id")),
        "phones": sorted(Phone.objects.values_list("number", "debtor__external_id")),
        "calls": list(Call.objects.values_list("debtor__external_id", "collector__username", "outcome", "started_at")),
        "promises": list(
            Promise.objects.values_list("debtor__external_id", "amount", "due_date", "lapses_at", "status")
        ),
    }


def _read_today() -> dict:
    from calls.models import Call
    from debtors.models import Debt, Debtor, Phone
    from promises.models import Promise

    return _rows(Debtor, Debt, Phone, Call, Promise)


@pytest.mark.django_db(transaction=True)
def test_a_database_filled_by_an_earlier_main_upgrades_with_every_row():
    latest = _latest()
    try:
        before = _fill(_migrate(EARLIER_MAIN))
        _migrate(latest)
        after = _read_today()
    finally:
        _migrate(latest)  # the rest of the suite needs today's schema whatever happened here
    assert len(before["debtors"]) == 4 and len(before["debts"]) == 4
    assert after == before
