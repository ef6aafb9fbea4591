"""Ids above 1,000 in a real browser: "next debtor" moves on and ticked debtors move.

With the thousand separator on, an id printed as a number ("2 996") in a link or a checkbox
value sent the collector back to the same debtor and moved nobody.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from debtors.models import Debtor
from promises.models import Reassignment
from tests import factories

LIMA = ZoneInfo("America/Lima")
WEDNESDAY_MORNING = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)


@pytest.fixture
def morning():
    with time_machine.travel(WEDNESDAY_MORNING, tick=True):
        yield


@pytest.fixture
def twenty_debtors(high_ids, carla, portfolio):
    """Twenty of Carla's accounts with ids above 1,000, the oldest arrears first in her queue."""
    debtors = []
    for n in range(20):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name=f"Deudora {n + 1:02d} Quispe")
        factories.make_debt(debtor=debtor, due_date=date(2026, 1, 5) + timedelta(days=n))
        factories.make_phone(debtor=debtor, number=f"+5198765{n:04d}")
        debtors.append(debtor)
    assert min(debtor.pk for debtor in debtors) > 1000
    return debtors


def test_next_debtor_walks_twenty_accounts_with_four_digit_ids(sign_in, carla, twenty_debtors, morning):
    page = sign_in(carla)
    page.get_by_role("link", name="Empezar a llamar").click()
    for debtor in twenty_debtors:
        expect(page.get_by_role("heading", level=1)).to_have_text(debtor.full_name)
        page.get_by_role("link", name="Siguiente deudor").first.click()
    expect(page.get_by_text("Llegó al final de su cola.")).to_be_visible()


def test_a_supervisor_moves_only_the_debtors_she_ticks(
    sign_in, live_server, sofia, carla, carlos, twenty_debtors, morning
):
    page = sign_in(sofia)
    page.goto(f"{live_server.url}/promises/reassign/")
    page.get_by_label("Gestor de origen").select_option(value=str(carla.pk))
    page.get_by_label("Gestor de destino").select_option(value=str(carlos.pk))
    page.get_by_role("button", name="Vista previa").click()
    chosen = [twenty_debtors[3], twenty_debtors[11]]
    for debtor in chosen:
        page.get_by_label(debtor.full_name).check()
    page.get_by_role("button", name="Reasignarlos").click()
    expect(page.get_by_text("2 deudores y 0 seguimientos abiertos reasignados a")).to_be_visible()
    assert set(Debtor.objects.filter(assigned_to=carlos).values_list("pk", flat=True)) == {d.pk for d in chosen}
    assert sorted(Reassignment.objects.get().debtor_ids) == sorted(d.pk for d in chosen)
