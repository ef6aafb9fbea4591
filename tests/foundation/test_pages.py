"""Role home pages: what each shows, in both languages, in a fixed number of queries."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from calls.policy import policy_cache_clear
from debtors.models import ConsentChange, HoldChange
from promises.models import Promise
from supervision.selectors import Period, collector_table, promise_figures
from tests import factories

LIMA = ZoneInfo("America/Lima")
# Wednesday 18 November 2026, 10:00 in Lima: the week runs Mon 16 – Sun 22.
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)


def _many_debtors(portfolio, collector, count):
    for n in range(count):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=collector, full_name=f"Deudor {n:03d}")
        factories.make_debt(debtor=debtor, due_date=date(2026, 8, 1) + timedelta(days=n))
        factories.make_phone(debtor=debtor, number=f"+5198765{n:04d}")
        factories.make_promise(debtor=debtor, collector=collector, status=Promise.Status.KEPT)
        factories.make_call(debtor=debtor, collector=collector)


@pytest.mark.parametrize("count", [3, 12])
def test_the_queue_costs_the_same_queries_whatever_its_length(
    client, carla, portfolio, count, django_assert_num_queries
):
    _many_debtors(portfolio, carla, count)
    factories.make_follow_up(debtor=portfolio.debtors.first(), assigned_to=carla)
    client.force_login(carla)
    policy_cache_clear()
    # session + user, filter's portfolios, follow-ups, strategies, debtors with their figures, contact policy (3, cold), ledger
    with django_assert_num_queries(10):
        response = client.get(reverse("home"))
    assert response.content.decode().count("Deudor ") >= count


@time_machine.travel(WEDNESDAY, tick=False)  # all three callable: none sinks for the hour or a holiday
def test_the_queue_lists_follow_ups_due_first_then_oldest_arrears(client, carla, portfolio):
    old = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Olga Antigua")
    factories.make_debt(debtor=old, due_date=date(2026, 1, 5))
    recent = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Raúl Reciente")
    factories.make_debt(debtor=recent, due_date=date(2026, 10, 5))
    called_back = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Beto Rellamada")
    factories.make_debt(debtor=called_back, due_date=date(2026, 10, 20))
    factories.make_follow_up(debtor=called_back, assigned_to=carla)
    client.force_login(carla)
    page = client.get(reverse("home")).content.decode()
    assert page.index("Beto Rellamada") < page.index("Olga Antigua") < page.index("Raúl Reciente")


@pytest.mark.parametrize("count", [3, 12])
def test_the_debtor_list_costs_the_same_queries_whatever_its_length(
    client, carla, portfolio, count, django_assert_num_queries
):
    _many_debtors(portfolio, carla, count)
    client.force_login(carla)
    with django_assert_num_queries(5):  # session + user, saved filters, count, page
        client.get(reverse("debtors:list"))


@pytest.mark.parametrize("entries", [2, 10])
def test_the_debtor_page_costs_the_same_queries_whatever_its_history(
    client, carla, diego, entries, django_assert_num_queries
):
    for _ in range(entries):
        factories.make_call(debtor=diego, collector=carla)
        factories.make_promise(debtor=diego, collector=carla, status=Promise.Status.BROKEN)
        factories.make_payment(debtor=diego)
        HoldChange.objects.create(
            debtor=diego, hold="hold_dispute", is_set=True, at=timezone.now(), by=carla, source="api"
        )
        ConsentChange.objects.create(
            debtor=diego, number="+51987654321", channel="sms", granted=True, at=timezone.now(), by=carla, source="api"
        )
    client.force_login(carla)
    policy_cache_clear()
    # session + user, debtor, contact policy (3, cold), ledger, debts, promises, events, calls,
    # payments, messages sent, messages received, hold changes, consent changes, phones, their
    # best windows, open follow-ups, follow-up changes, documents, self-service links and events
    with django_assert_num_queries(23):
        response = client.get(reverse("debtors:detail", args=[diego.pk]))
    assert response.status_code == 200


def test_the_debtor_page_shows_the_whole_story(client, carla, diego):
    factories.make_call(
        debtor=diego,
        collector=carla,
        outcome="right_party",
        stance="objection",
        stance_reason="forgot",
        commitment="promise",
    )
    factories.make_promise(debtor=diego, collector=carla, amount=Decimal("250.00"), status=Promise.Status.BROKEN)
    factories.make_payment(debtor=diego, amount=Decimal("80.00"), reference="BCP-778")
    diego.hold_dispute = True
    diego.save()
    with translation.override("es"):
        client.force_login(carla)
        page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "Diego Díaz Quispe" in page
    assert "tel:+51987654321" in page
    assert "BCP-778" in page
    assert "America/Lima" in page
    assert "disputa" in page.lower()


def test_a_debtors_times_are_shown_in_their_own_zone_as_well(client, carla, portfolio):
    madrid = factories.make_debtor(portfolio=portfolio, assigned_to=carla, time_zone="Europe/Madrid")
    factories.make_call(debtor=madrid, collector=carla, started_at=datetime(2026, 11, 18, 15, 0, tzinfo=LIMA))
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[madrid.pk])).content.decode()
    assert "21:00" in page  # 15:00 in Lima is 21:00 in Madrid


@time_machine.travel(WEDNESDAY, tick=False)
def test_dashboard_figures_match_a_hand_count(sofia, carla, carlos, cris, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    other = factories.make_debtor(portfolio=portfolio, assigned_to=cris)
    this_week = date(2026, 11, 17)
    # Due this week, in sofia's team:
    factories.make_promise(debtor=debtor, collector=carla, amount=Decimal("100"), due_date=this_week, status="kept")
    factories.make_promise(debtor=debtor, collector=carla, amount=Decimal("200"), due_date=this_week, status="broken")
    factories.make_promise(
        debtor=debtor, collector=carlos, amount=Decimal("300"), due_date=this_week, status="partially_kept"
    )
    factories.make_promise(debtor=debtor, collector=carlos, amount=Decimal("50"), due_date=date(2026, 11, 20))
    factories.make_promise(
        debtor=debtor, collector=carlos, amount=Decimal("75"), due_date=this_week, status="cancelled"
    )
    # Outside: next week, and another team's collector.
    factories.make_promise(debtor=debtor, collector=carla, amount=Decimal("999"), due_date=date(2026, 11, 24))
    factories.make_promise(debtor=other, collector=cris, amount=Decimal("888"), due_date=this_week, status="kept")
    factories.make_payment(debtor=debtor, amount=Decimal("100"), credited_to=carla)
    factories.make_payment(debtor=other, amount=Decimal("500"), credited_to=cris)

    with translation.override("es"):
        from django.utils import timezone

        timezone.activate(LIMA)
        try:
            week = Period(date(2026, 11, 16), date(2026, 11, 22))
            [pen] = promise_figures(sofia, week)
        finally:
            timezone.deactivate()  # the zone must not leak into later tests
    assert pen["currency"] == "PEN"
    assert pen["made"] == {"count": 6, "amount": Decimal("1724")}  # all created "now", cris's excluded
    assert pen["due"] == {"count": 4, "amount": Decimal("650")}  # cancelled and next week excluded
    assert pen["kept"] == {"count": 1, "amount": Decimal("100")}
    assert pen["broken"]["count"] == 1 and pen["partially_kept"]["count"] == 1 and pen["pending"]["count"] == 1
    assert pen["kept_rate_count"] == pytest.approx(1 / 3)
    assert float(pen["kept_rate_amount"]) == pytest.approx(100 / 600)
    assert pen["collected"] == Decimal("100")

    rows = {row["collector"].username: row for row in collector_table(sofia, week)}
    assert set(rows) == {"carla", "carlos"}
    assert rows["carla"]["promises"] == 3 and rows["carla"]["kept"] == 1 and rows["carla"]["broken"] == 1


@time_machine.travel(WEDNESDAY, tick=False)  # "today" cannot turn into tomorrow half-way
def test_amounts_in_different_currencies_are_never_added(sofia, carla, portfolio):
    spain = factories.make_portfolio(
        name="Consumo España", country="ES", currency="EUR", time_zone="Europe/Madrid", preset="es"
    )
    lima_debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    madrid_debtor = factories.make_debtor(portfolio=spain, assigned_to=carla)
    factories.make_promise(debtor=lima_debtor, collector=carla, amount=Decimal("100"))
    factories.make_promise(debtor=madrid_debtor, collector=carla, amount=Decimal("40"))
    from django.utils import timezone

    today = timezone.localdate()
    figures = {row["currency"]: row for row in promise_figures(sofia, Period(today, today))}
    assert figures["PEN"]["made"]["amount"] == Decimal("100")
    assert figures["EUR"]["made"]["amount"] == Decimal("40")


def test_the_dashboard_page_costs_a_fixed_number_of_queries(
    client, sofia, carla, carlos, diego, django_assert_num_queries
):
    for _ in range(5):
        factories.make_promise(debtor=diego, collector=carla)
        factories.make_call(debtor=diego, collector=carlos)
    client.force_login(sofia)
    # session, user, rollup state, figures, collected, trend, collectors, calls, promise rollup,
    # payment rollup, QA scores, teams, portfolios, creditors, approvals waiting
    with django_assert_num_queries(15):
        response = client.get(reverse("promises:dashboard"), {"period": "month"})
    assert response.status_code == 200


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize(
    ("persona", "url_name", "expected"),
    [
        ("carla", "home", {"es": "Mi cola", "en": "My queue"}),
        ("carla", "debtors:list", {"es": "Deudores", "en": "Debtors"}),
        ("sofia", "promises:dashboard", {"es": "Promesas", "en": "Promise dashboard"}),
        ("ana", "debtors:portfolios", {"es": "Carteras", "en": "Portfolios"}),
    ],
)
def test_pages_render_in_spanish_and_english(client, request, diego, persona, url_name, expected, language):
    user = request.getfixturevalue(persona)
    user.language = language
    user.save()
    client.cookies["django_language"] = language
    client.force_login(user)
    page = client.get(reverse(url_name)).content.decode()
    assert f'<html lang="{language}">' in page
    assert expected[language] in page


@time_machine.travel(datetime(2026, 11, 21, 11, 0, tzinfo=LIMA), tick=False)  # a Saturday in Lima
def test_the_queue_sinks_debtors_who_may_not_be_called_now_and_says_when(client, carla, portfolio):
    lima = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Lucía Limeña")
    factories.make_debt(debtor=lima, due_date=date(2026, 1, 1))  # oldest arrears: first by age
    spain = factories.make_portfolio(
        name="Consumo España", country="ES", currency="EUR", time_zone="Europe/Madrid", preset="es"
    )
    # Spain's reference window is weekdays only too; the US allows Saturdays 08:00–21:00.
    usa = factories.make_portfolio(
        name="Retail USA", country="US", currency="USD", time_zone="America/New_York", preset="us_regf"
    )
    newyork = factories.make_debtor(portfolio=usa, assigned_to=carla, full_name="Nina Nueva York")
    factories.make_debt(debtor=newyork, due_date=date(2026, 6, 1))
    assert spain.pk
    client.force_login(carla)
    page = client.get(reverse("home")).content.decode()
    assert page.index("Nina Nueva York") < page.index("Lucía Limeña")
    assert "desde lun 07:00" in page  # Peru: Monday 07:00 in Lima, which is also carla's zone


def test_the_debtor_page_says_why_a_call_is_not_lawful_and_when_it_becomes_so(client, carla, diego):
    with time_machine.travel(datetime(2026, 11, 22, 10, 0, tzinfo=LIMA), tick=False):  # Sunday
        client.force_login(carla)
        page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "No llame ahora" in page or "Do not call now" in page
    assert "23" in page and "07:00" in page  # Monday 23 November, 07:00


def test_a_hold_blocks_contact_with_no_next_moment(client, carla, diego):
    diego.hold_cease = True
    diego.save()
    client.force_login(carla)
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert "The debtor asked us to stop contacting them." in page
    assert "No contact until the hold or block above is lifted." in page
