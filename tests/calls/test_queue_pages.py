"""Issue 15, point 8: the queue a page at a time, in "next debtor" order, saying in the row
why a debtor may not be called now."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from calls.models import FollowUp
from calls.policy import policy_cache_clear
from debtors.models import Creditor, Debt, Debtor, Portfolio
from debtors.services import debtor_queue_figures_refresh
from desk.views import QUEUE_PAGE_SIZE
from tests import factories

LIMA = ZoneInfo("America/Lima")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)  # every Lima debtor may be called
WEDNESDAY_NIGHT = datetime(2026, 11, 18, 22, 30, tzinfo=LIMA)  # Peru allows calls until 20:00
FIRST_ID = 2990  # ids above 1,000: they must reach links unlocalised ("2 990" would break them)


@pytest.fixture(autouse=True)
def fresh_policies():
    policy_cache_clear()


@pytest.fixture
def tarjetas(db):
    creditor, _ = Creditor.objects.get_or_create(name="Banco Andino")
    return Portfolio.objects.create(
        pk=2996,
        name="Tarjetas Lima 2026",
        creditor=creditor,
        country="PE",
        currency="PEN",
        default_time_zone="America/Lima",
        contact_policy_preset="pe",
    )


def _book(portfolio, collector, *, follow_ups: int, accounts: int) -> list[Debtor]:
    """Debtors with ids from FIRST_ID: the first `follow_ups` have a callback due, all are in arrears."""
    debtors = Debtor.objects.bulk_create(
        Debtor(
            pk=FIRST_ID + n,
            portfolio=portfolio,
            external_id=f"Q-{n:05d}",
            full_name=f"Deudora {n:03d}",
            time_zone="America/Lima",
            assigned_to=collector,
        )
        for n in range(follow_ups + accounts)
    )
    Debt.objects.bulk_create(
        Debt(
            debtor=debtor,
            account_reference=f"A-{debtor.pk}",
            original_amount=Decimal("1500.00"),
            balance=Decimal("1200.50") + n,
            currency="PEN",
            due_date=date(2026, 3, 1) + timedelta(days=n),
        )
        for n, debtor in enumerate(debtors)
    )
    debtor_queue_figures_refresh(debtor_ids=[debtor.pk for debtor in debtors])  # bulk_create skips save()
    for n, debtor in enumerate(debtors[:follow_ups]):
        factories.make_follow_up(
            debtor=debtor,
            assigned_to=collector,
            reason=FollowUp.Reason.BROKEN_PROMISE,
            due_at=WEDNESDAY - timedelta(hours=2, minutes=n),
        )
    return debtors


def _debtor_ids(page: str) -> list[int]:
    """The debtors of the queue's rows, in the order they are listed."""
    return [int(pk) for pk in re.findall(r'<td><a href="/debtors/(\d+)/">', page)]


def _walk_next_debtor(client) -> list[int]:
    """The debtors "next debtor" leads through, from the first until the end of the queue."""
    order, response = [], client.get(reverse("calls:queue_next"))
    while response.url != reverse("home"):
        order.append(int(re.search(r"/debtors/(\d+)/", response.url).group(1)))
        response = client.get(reverse("calls:queue_next"), {"after": order[-1]})
    return order


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_queue_is_shown_a_page_at_a_time_in_next_debtor_order(client, carla, tarjetas):
    _book(tarjetas, carla, follow_ups=30, accounts=30)
    client.force_login(carla)
    first = client.get(reverse("home")).content.decode()
    assert len(_debtor_ids(first)) == QUEUE_PAGE_SIZE
    assert "Filas 1–25 de 60" in first
    assert 'href="?page=2" rel="next"' in first and 'href="?page=3"' in first

    pages = [first] + [client.get(reverse("home"), {"page": number}).content.decode() for number in (2, 3)]
    listed = [pk for page in pages for pk in _debtor_ids(page)]
    assert len(listed) == 60 and len(set(listed)) == 60
    assert listed == _walk_next_debtor(client)
    # Page 2 ends the follow-ups and starts the accounts; each list keeps its full count.
    assert 'id="due-now">Para hoy <span class="count">30</span>' in pages[1]
    assert 'Mis cuentas, primero lo que más se espera recuperar <span class="count">30</span>' in pages[1]
    assert 'id="due-now"' not in pages[2]


@time_machine.travel(WEDNESDAY, tick=False)
def test_page_links_keep_the_filters_and_print_ids_unlocalised(client, carla, tarjetas):
    _book(tarjetas, carla, follow_ups=30, accounts=0)
    client.force_login(carla)
    page = client.get(reverse("home"), {"portfolio": tarjetas.pk, "reason": "broken_promise"}).content.decode()
    assert '<option value="2996" selected>Tarjetas Lima 2026</option>' in page
    assert 'href="?portfolio=2996&amp;reason=broken_promise&amp;page=2" rel="next"' in page
    assert "2 99" not in page and "2\u00a099" not in page and "2.99" not in page  # no id printed as a number
    second = client.get(
        reverse("home"), {"portfolio": tarjetas.pk, "reason": "broken_promise", "page": 2}
    ).content.decode()
    assert len(_debtor_ids(second)) == 5
    assert 'href="?portfolio=2996&amp;reason=broken_promise&amp;page=1" rel="prev"' in second


@time_machine.travel(WEDNESDAY, tick=False)
@pytest.mark.parametrize("asked", ["99", "0", "dos", ""])
def test_a_page_that_does_not_exist_shows_the_nearest_one(client, carla, tarjetas, asked):
    _book(tarjetas, carla, follow_ups=0, accounts=30)
    client.force_login(carla)
    response = client.get(reverse("home"), {"page": asked})
    assert response.status_code == 200
    assert len(_debtor_ids(response.content.decode())) == (5 if asked == "99" else QUEUE_PAGE_SIZE)


@time_machine.travel(WEDNESDAY_NIGHT, tick=False)
def test_the_row_says_why_a_debtor_may_not_be_called_now(client, carla, tarjetas):
    night, disputed = _book(tarjetas, carla, follow_ups=1, accounts=1)
    Debtor.objects.filter(pk=disputed.pk).update(hold_dispute=True)
    client.force_login(carla)
    page = client.get(reverse("home")).content.decode()
    # Written in the row, not only in a tooltip (title attributes are gone from the queue).
    assert '<p class="why">La hora del deudor es mié 22:30 (America/Lima): fuera del horario permitido.</p>' in page
    assert "desde jue 07:00" in page
    assert '<p class="why">El deudor disputa la deuda' in page
    assert "title=" not in page.split('id="due-now"')[1]
