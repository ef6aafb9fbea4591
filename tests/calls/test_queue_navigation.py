"""The collector narrows the queue and walks through it debtor by debtor."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from calls.models import FollowUp
from tests import factories

LIMA = ZoneInfo("America/Lima")
# Wednesday 18 November 2026, 10:00 in Lima: every Lima debtor may be called.
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def _in_english(client, user):
    user.language = "en"
    user.save()
    client.cookies["django_language"] = "en"
    client.force_login(user)


def _debtor(portfolio, collector, name, due):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=collector, full_name=name)
    factories.make_debt(debtor=debtor, due_date=due)
    return debtor


@pytest.fixture
def queue(carla, portfolio):
    """Beto has a callback due; Olga's arrears are older than Raúl's."""
    called_back = _debtor(portfolio, carla, "Beto Rellamada", date(2026, 10, 20))
    factories.make_follow_up(debtor=called_back, assigned_to=carla)
    old = _debtor(portfolio, carla, "Olga Antigua", date(2026, 1, 5))
    recent = _debtor(portfolio, carla, "Raúl Reciente", date(2026, 10, 5))
    return called_back, old, recent


def _next(client, after):
    return client.get(reverse("calls:queue_next"), {"after": after})


def test_next_debtor_follows_the_queue_order_and_ends_back_at_the_queue(client, carla, queue):
    called_back, old, recent = queue
    _in_english(client, carla)
    assert _next(client, called_back.pk).url == reverse("debtors:detail", args=[old.pk])
    assert _next(client, old.pk).url == reverse("debtors:detail", args=[recent.pk])
    response = _next(client, recent.pk)
    assert response.url == reverse("home")
    assert "You have reached the end of your queue." in client.get(response.url).content.decode()


def test_a_debtor_outside_the_queue_leads_to_the_first_one(client, carla, queue, unassigned):
    called_back, _old, _recent = queue
    client.force_login(carla)
    assert _next(client, unassigned.pk).url == reverse("debtors:detail", args=[called_back.pk])
    assert _next(client, "nonsense").url == reverse("debtors:detail", args=[called_back.pk])


def test_next_debtor_never_leads_to_another_collectors_debtor(client, carla, queue, mateo):
    _called_back, _old, recent = queue
    client.force_login(carla)
    assert _next(client, recent.pk).url == reverse("home")


def test_the_debtor_page_has_a_keyboard_reachable_next_debtor_link(client, carla, queue):
    called_back, _old, _recent = queue
    _in_english(client, carla)
    page = client.get(reverse("debtors:detail", args=[called_back.pk])).content.decode()
    link = f'href="{reverse("calls:queue_next")}?after={called_back.pk}" accesskey="n"'
    assert link in page
    assert "Next debtor" in page


def test_the_queue_filters_by_portfolio(client, carla, queue, portfolio):
    other = factories.make_portfolio(name="Préstamos Arequipa")
    _debtor(other, carla, "Ana Arequipeña", date(2026, 2, 1))
    _in_english(client, carla)
    page = client.get(reverse("home")).content.decode()
    assert "Ana Arequipeña" in page and "Olga Antigua" in page
    assert f'<option value="{other.pk}">Préstamos Arequipa</option>' in page

    page = client.get(reverse("home"), {"portfolio": other.pk}).content.decode()
    assert "Ana Arequipeña" in page
    assert "Olga Antigua" not in page and "Beto Rellamada" not in page
    assert f'<option value="{other.pk}" selected>' in page


def test_the_portfolio_choices_are_those_of_the_collectors_debtors(client, carla, cris, queue):
    elsewhere = factories.make_portfolio(name="Cartera de Cris")
    _debtor(elsewhere, cris, "Mónica Ajena", date(2026, 2, 1))
    client.force_login(carla)
    page = client.get(reverse("home")).content.decode()
    assert "Cartera de Cris" not in page
    # Asking for it anyway shows the whole queue rather than someone else's portfolio.
    page = client.get(reverse("home"), {"portfolio": elsewhere.pk}).content.decode()
    assert "Mónica Ajena" not in page and "Olga Antigua" in page


def test_the_queue_filters_follow_ups_by_reason(client, carla, queue, portfolio):
    called_back, _old, _recent = queue
    broken = _debtor(portfolio, carla, "Bruno Rompió", date(2026, 9, 1))
    factories.make_follow_up(debtor=broken, assigned_to=carla, reason=FollowUp.Reason.BROKEN_PROMISE)
    _in_english(client, carla)
    page = client.get(reverse("home"), {"reason": FollowUp.Reason.BROKEN_PROMISE}).content.decode()
    assert "Bruno Rompió" in page
    assert "Beto Rellamada" not in page
    assert "Olga Antigua" not in page  # accounts have no follow-up reason
    assert "Show everything" in page

    page = client.get(reverse("home"), {"reason": "not-a-reason"}).content.decode()
    assert "Bruno Rompió" in page and "Beto Rellamada" in page and "Olga Antigua" in page


@pytest.mark.parametrize("count", [3, 12])
def test_a_filtered_queue_costs_the_same_queries_whatever_its_length(
    client, carla, portfolio, count, django_assert_num_queries
):
    from calls.policy import policy_cache_clear

    for n in range(count):
        debtor = _debtor(portfolio, carla, f"Deudor {n:03d}", date(2026, 8, 1))
        factories.make_follow_up(debtor=debtor, assigned_to=carla)
    client.force_login(carla)
    policy_cache_clear()
    # session + user, portfolios, follow-ups, strategies, debtors, contact policy (3, cold), ledger
    with django_assert_num_queries(10):
        response = client.get(reverse("home"), {"portfolio": portfolio.pk})
    assert response.content.decode().count("Deudor ") >= count
