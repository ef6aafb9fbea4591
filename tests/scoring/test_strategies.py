"""Segments and strategies: which debtors a strategy treats, the scheduler and the queue
following it, and champion/challenger tests with their stable arms and confidence intervals."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import time_machine
from django.utils import timezone

from calls.models import Call, FollowUp
from calls.services import follow_ups_schedule
from debtors.models import Debtor, DebtorScore
from promises import services as promise_services
from promises.models import Message, Promise, PromiseRules, Strategy
from scoring import services
from scoring.experiments import strategy_test_results
from scoring.models import ArmAssignment, Segment, StrategyTest
from scoring.segmentation import arm_is_challenger, arms_are_challenger
from tests import factories

LIMA = ZoneInfo("America/Lima")


def _strategy(portfolio, name, **values) -> Strategy:
    return Strategy.objects.create(portfolio=portfolio, name=name, **values)


def _treated_by(debtor, strategy, *, probability=0.5, at=None) -> None:
    """The row the scoring writes for a debtor that a segment puts under `strategy`."""
    DebtorScore.objects.update_or_create(
        debtor=debtor,
        defaults={
            "portfolio_id": debtor.portfolio_id,
            "probability": probability,
            "model_version": "scorecard-1",
            "scored_at": at or timezone.now(),
            "segment_name": "Todos",
            "strategy_id": strategy.pk if strategy else None,
            "strategy_name": strategy.name if strategy else "",
        },
    )


# --- Arms --------------------------------------------------------------------------------------


def test_a_debtors_arm_depends_only_on_the_debtor_and_the_test():
    ids = np.arange(1, 20_001, dtype=np.int64)
    many = arms_are_challenger(7, ids, 30)

    assert [arm_is_challenger(7, int(i), 30) for i in ids[:500]] == many[:500].tolist()
    assert 0.28 < many.mean() < 0.32  # the share asked for, give or take chance
    other_test = arms_are_challenger(8, ids, 30)
    assert 0.05 < (many != other_test).mean()  # another test draws its own arms
    assert (arms_are_challenger(7, ids, 30) == many).all()  # and the same test the same ones


# --- Segments ----------------------------------------------------------------------------------


@pytest.fixture
def gentle(portfolio):
    return _strategy(portfolio, "Suave", first_channel="message", reminder_days_before=3)


@pytest.fixture
def firm(portfolio):
    return _strategy(portfolio, "Firme", first_channel="call", retry_after_minutes=60, queue_weight=Decimal("2"))


def test_each_debtor_falls_in_the_first_segment_they_fit(now, portfolio, carla, diego, mateo, gentle, firm):
    factories.make_debt(debtor=mateo, balance=Decimal("9000.00"))  # 10,000 in all
    Segment.objects.create(portfolio=portfolio, name="Saldo alto", position=1, balance_from=5000, strategy=firm)
    Segment.objects.create(portfolio=portfolio, name="Resto", position=2, strategy=gentle)

    services.portfolio_score(portfolio=portfolio)

    rows = {row.debtor_id: row for row in DebtorScore.objects.all()}
    assert (rows[mateo.pk].segment_name, rows[mateo.pk].strategy_id) == ("Saldo alto", firm.pk)
    assert (rows[diego.pk].segment_name, rows[diego.pk].strategy_name) == ("Resto", "Suave")
    assert rows[diego.pk].test_arm == ""


def test_a_debtor_in_no_segment_keeps_the_portfolios_rules(now, portfolio, diego, gentle):
    Segment.objects.create(portfolio=portfolio, name="Probables", score_from_percent=99, strategy=gentle)
    services.portfolio_score(portfolio=portfolio)
    row = DebtorScore.objects.get(debtor=diego)
    assert row.strategy_id is None and row.segment_name == ""


def test_names_with_tabs_and_backslashes_reach_the_scores_intact(now, portfolio, diego):
    odd = _strategy(portfolio, "Tramo\t1 \\ norte")
    Segment.objects.create(portfolio=portfolio, name="Línea\nnueva", strategy=odd)
    services.portfolio_score(portfolio=portfolio)
    row = DebtorScore.objects.get(debtor=diego)
    assert (row.segment_name, row.strategy_name) == ("Línea\nnueva", "Tramo\t1 \\ norte")


# --- Scheduler ---------------------------------------------------------------------------------


def test_an_unanswered_call_is_retried_on_the_debtors_strategy_cadence(portfolio, diego, mateo, carla, firm):
    PromiseRules.objects.create(portfolio=portfolio, retry_after_minutes=240)
    factories.make_phone(debtor=mateo)
    _treated_by(diego, firm)  # 60 minutes
    _treated_by(mateo, None)
    called = datetime(2026, 11, 17, 10, 0, tzinfo=LIMA)
    for debtor in (diego, mateo):
        factories.make_call(debtor=debtor, collector=carla, outcome=Call.Outcome.NO_ANSWER, started_at=called)

    follow_ups_schedule(now=called + timedelta(minutes=5))

    assert FollowUp.objects.get(debtor=diego, reason="retry").due_at == called + timedelta(minutes=60)
    assert FollowUp.objects.get(debtor=mateo, reason="retry").due_at == called + timedelta(minutes=240)


def _consenting(debtor):
    phone = debtor.phones.get()
    phone.whatsapp_consent, phone.whatsapp_consent_source, phone.whatsapp_consent_at = True, "Form", timezone.now()
    phone.save()


def _pending(debtor, collector, due):
    with time_machine.travel(datetime(2026, 11, 10, 9, 0, tzinfo=LIMA), tick=False):
        return promise_services.promise_create(debtor=debtor, collector=collector, amount=Decimal("250"), due_date=due)


def test_reminders_go_as_many_days_before_and_by_the_channel_the_strategy_says(portfolio, diego, carla, gentle, firm):
    _consenting(diego)
    promise = _pending(diego, carla, datetime(2026, 11, 20).date())
    _treated_by(diego, gentle)  # three days before, a message first
    three_days_before = datetime(2026, 11, 17, 10, 0, tzinfo=LIMA)  # the portfolio's default is two

    assert follow_ups_schedule(now=three_days_before).reminder_messages == 1
    assert Message.objects.get().promise == promise

    Message.objects.all().delete()
    _treated_by(diego, firm)  # calls first, on the portfolio's two days
    assert follow_ups_schedule(now=three_days_before).reminder_calls == 0
    result = follow_ups_schedule(now=datetime(2026, 11, 18, 10, 0, tzinfo=LIMA))
    assert (result.reminder_calls, result.reminder_messages) == (1, 0)  # a call, although he consented
    assert FollowUp.objects.get(reason="reminder").promise == promise


def _broken(debtor, collector, at):
    return factories.make_promise(
        debtor=debtor,
        collector=collector,
        due_date=(at - timedelta(days=2)).date(),
        status=Promise.Status.BROKEN,
        resolved_at=at - timedelta(hours=1),
    )


def test_a_broken_promise_gets_a_message_first_and_the_call_a_day_later(portfolio, diego, carla, gentle):
    _consenting(diego)
    _treated_by(diego, gentle)  # message first, the call 24 hours later
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
    promise = _broken(diego, carla, wednesday)

    result = follow_ups_schedule(now=wednesday)

    message = Message.objects.get()
    assert (message.purpose, message.channel, message.promise) == ("broken_promise", "whatsapp", promise)
    assert message.send_after == wednesday
    assert "no hemos recibido su pago de 300,00" in message.body.replace("\u00a0", " ")
    call = FollowUp.objects.get(reason="broken_promise")
    assert call.due_at == wednesday + timedelta(hours=24)
    assert (result.broken_promise_messages, result.broken_promises) == (1, 1)
    again = follow_ups_schedule(now=wednesday + timedelta(minutes=30))
    assert (again.broken_promise_messages, again.broken_promises) == (0, 0)
    assert Message.objects.count() == 1 and FollowUp.objects.count() == 1


def test_a_call_first_strategy_or_no_consent_calls_a_broken_promise_at_once(
    portfolio, diego, mateo, carla, gentle, firm
):
    factories.make_phone(debtor=mateo)
    _consenting(diego)
    _treated_by(diego, firm)  # calls first, although he consented
    _treated_by(mateo, gentle)  # messages first, but he consented to nothing
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
    for debtor in (diego, mateo):
        _broken(debtor, carla, wednesday)

    follow_ups_schedule(now=wednesday)

    assert not Message.objects.exists()
    assert {follow_up.due_at for follow_up in FollowUp.objects.filter(reason="broken_promise")} == {wednesday}


def test_the_call_after_a_message_waits_for_a_lawful_hour(portfolio, diego, carla):
    late = _strategy(portfolio, "Tarde", first_channel="message", call_after_message_hours=12)
    _consenting(diego)
    _treated_by(diego, late)
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
    _broken(diego, carla, wednesday)

    follow_ups_schedule(now=wednesday)

    # 22:00 in Lima is after hours: the call is the next morning's first lawful moment.
    due_at = FollowUp.objects.get(reason="broken_promise").due_at.astimezone(LIMA)
    assert due_at.date() == datetime(2026, 11, 19).date() and 7 <= due_at.hour < 12


def test_the_scoring_puts_the_scheduler_on_the_segments_strategy(now, portfolio, diego, carla, firm):
    Segment.objects.create(portfolio=portfolio, name="Todos", strategy=firm)
    services.portfolio_score(portfolio=portfolio)
    called = now - timedelta(minutes=10)
    factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.NO_ANSWER, started_at=called)
    with time_machine.travel(now, tick=False):
        follow_ups_schedule(now=now)
    retry = FollowUp.objects.get(debtor=diego, reason="retry")
    assert retry.due_at == called + timedelta(minutes=60)  # the portfolio's own cadence is 240


# --- Queue -------------------------------------------------------------------------------------


def _account(portfolio, collector, name, *, balance, arrears_days):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=collector, full_name=name)
    factories.make_debt(
        debtor=debtor, balance=Decimal(balance), due_date=(timezone.now() - timedelta(days=arrears_days)).date()
    )
    debtor.refresh_from_db()
    return debtor


def test_the_queue_ranks_by_expected_recovery_and_says_why(client, portfolio, carla, gentle, firm):
    with time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=LIMA), tick=False):
        oldest = _account(portfolio, carla, "Olga Antigua", balance="1000.00", arrears_days=200)
        likely = _account(portfolio, carla, "Luis Probable", balance="4200.00", arrears_days=20)
        weighted = _account(portfolio, carla, "Wendy Pesada", balance="3000.00", arrears_days=30)
        unscored = _account(portfolio, carla, "Ursula Nueva", balance="9000.00", arrears_days=300)
        _treated_by(oldest, gentle, probability=0.1)  # 100 expected
        _treated_by(likely, gentle, probability=0.5)  # 2,100
        _treated_by(weighted, firm, probability=0.4)  # 1,200 × weight 2 = 2,400
        client.force_login(carla)
        page = client.get("/").content.decode()

    order = [page.index(name) for name in ("Wendy Pesada", "Luis Probable", "Olga Antigua", "Ursula Nueva")]
    assert order == sorted(order)
    assert "Pagador probable, 2\u00a0100\u00a0PEN esperados" in page
    assert "Pagador poco probable, 100\u00a0PEN esperados" in page
    assert "Mis cuentas, primero lo que más se espera recuperar" in page
    assert unscored.pk


def test_a_contact_cost_above_the_expected_recovery_says_so(client, portfolio, carla):
    costly = _strategy(portfolio, "Costosa", contact_cost=Decimal("500"))
    with time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=LIMA), tick=False):
        debtor = _account(portfolio, carla, "Carlos Caro", balance="1000.00", arrears_days=40)
        _treated_by(debtor, costly, probability=0.2)
        client.force_login(carla)
        page = client.get("/").content.decode()
    assert "Cuesta más contactarlo de lo que probablemente se recupere" in page


# --- Champion/challenger -----------------------------------------------------------------------


@pytest.fixture
def tested(now, portfolio, carla, gentle, firm):
    """Sixty debtors of one segment under test, half treated by the challenger."""
    segment = Segment.objects.create(portfolio=portfolio, name="Todos", strategy=gentle)
    debtors = [factories.make_debtor(portfolio=portfolio, assigned_to=carla) for _ in range(60)]
    for debtor in debtors:
        factories.make_debt(debtor=debtor)
    test = services.strategy_test_start(
        segment=segment, challenger=firm, name="Firme contra suave", at=now - timedelta(days=20)
    )
    services.portfolio_score(portfolio=portfolio)
    return test


def test_a_test_assigns_the_same_arms_night_after_night(now, portfolio, tested, firm, gentle):
    first = dict(ArmAssignment.objects.values_list("debtor_id", "arm"))
    for debtor_id, arm in first.items():
        assert (arm == "challenger") == arm_is_challenger(tested.pk, debtor_id, 50)
    rows = DebtorScore.objects.filter(test_id=tested.pk)
    assert {(row.test_arm, row.strategy_id) for row in rows} == {("champion", gentle.pk), ("challenger", firm.pk)}

    services.portfolio_score(portfolio=portfolio)

    assert dict(ArmAssignment.objects.values_list("debtor_id", "arm")) == first
    assert 15 < list(first.values()).count("challenger") < 45


def test_the_results_compare_the_arms_with_a_95_percent_interval(now, tested, carla):
    arms = dict(ArmAssignment.objects.values_list("debtor_id", "arm"))
    # Every challenger debtor paid 100; one champion debtor in two paid 50.
    champion_paid = 0
    for n, (debtor_id, arm) in enumerate(sorted(arms.items())):
        debtor = Debtor.objects.get(pk=debtor_id)
        if arm == "challenger":
            factories.make_payment(debtor=debtor, amount=Decimal("100.00"), paid_at=now - timedelta(days=5))
        elif n % 2:
            champion_paid += 1
            factories.make_payment(debtor=debtor, amount=Decimal("50.00"), paid_at=now - timedelta(days=5))
    # Paid before the test began: not counted.
    factories.make_payment(
        debtor=Debtor.objects.get(pk=next(iter(arms))), amount=Decimal("999.00"), paid_at=now - timedelta(days=30)
    )

    results = strategy_test_results(tested, now=now)

    n_champion = results.champion.debtors
    n_challenger = results.challenger.debtors
    assert n_champion + n_challenger == 60
    assert results.challenger.collected == Decimal(100 * n_challenger)
    assert results.champion.collected == Decimal(50 * champion_paid)
    mean = 50 * champion_paid / n_champion
    variance = (champion_paid * 50**2 - n_champion * mean**2) / (n_champion - 1)
    spread = (variance / n_champion) ** 0.5  # the challenger's payments do not vary
    difference = results.per_debtor_difference
    assert difference.estimate == pytest.approx(100 - mean)
    assert difference.low == pytest.approx(100 - mean - 1.959964 * spread)
    assert difference.high == pytest.approx(100 - mean + 1.959964 * spread)
    assert difference.clear


def test_a_supervisor_sees_the_test_and_promotes_the_challenger(now, client, sofia, portfolio, tested, firm):
    client.force_login(sofia)
    page = client.get(f"/promises/strategies/tests/{tested.pk}/").content.decode()
    assert "Firme contra suave" in page and "95 veces de cada 100" in page
    assert "Promover “Firme”" in page

    response = client.post(f"/promises/strategies/tests/{tested.pk}/decide/", {"decision": "promote"})

    assert response.status_code == 302
    tested.refresh_from_db()
    assert tested.status == StrategyTest.Status.PROMOTED and tested.ended_by == sofia
    assert Segment.objects.get().strategy == firm
    assert set(DebtorScore.objects.values_list("strategy_id", "test_arm").distinct()) == {(firm.pk, "")}
    assert "Firme" in client.get("/promises/strategies/").content.decode()
    again = client.post(f"/promises/strategies/tests/{tested.pk}/decide/", {"decision": "stop"}, follow=True)
    assert "Esta prueba ya terminó." in again.content.decode()


def test_stopping_keeps_the_champion(now, client, sofia, tested, gentle):
    client.force_login(sofia)
    client.post(f"/promises/strategies/tests/{tested.pk}/decide/", {"decision": "stop"})
    assert Segment.objects.get().strategy == gentle
    assert set(DebtorScore.objects.values_list("strategy_id", flat=True).distinct()) == {gentle.pk}


def test_collectors_reach_neither_strategies_nor_tests(now, client, carla, tested):
    client.force_login(carla)
    for url in ("/promises/strategies/", f"/promises/strategies/tests/{tested.pk}/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/promises/strategies/tests/{tested.pk}/decide/", {"decision": "promote"}).status_code == 404
    tested.refresh_from_db()
    assert tested.status == StrategyTest.Status.RUNNING
    for url in ("/api/v1/strategies/", "/api/v1/strategy-tests/", f"/api/v1/strategy-tests/{tested.pk}/"):
        assert client.get(url).status_code == 403


def test_the_debtor_page_says_which_strategy_treats_the_debtor(now, client, carla, tested):
    debtor_id, arm = ArmAssignment.objects.values_list("debtor_id", "arm").first()
    client.force_login(carla)
    page = client.get(f"/debtors/{debtor_id}/").content.decode()
    strategy = "Firme" if arm == "challenger" else "Suave"
    assert f"<summary>{strategy}</summary>" in page and "Segmento: Todos" in page
    assert "Primera oferta: Pago total" in page
    assert "Prueba “Firme contra suave”" in page


def test_the_api_shows_and_filters_by_segment_and_strategy(now, client, ana, portfolio, tested, firm):
    client.force_login(ana)
    segment = Segment.objects.get()
    rows = client.get(f"/api/v1/debtors/?segment={segment.pk}&strategy={firm.pk}").json()["results"]
    challengers = set(ArmAssignment.objects.filter(arm="challenger").values_list("debtor_id", flat=True))
    assert {row["id"] for row in rows} == challengers
    assert {(row["segment_name"], row["strategy_name"], row["test_arm"]) for row in rows} == {
        ("Todos", "Firme", "challenger")
    }
    assert client.get("/api/v1/debtors/?segment=abc").status_code == 400

    strategies = client.get("/api/v1/strategies/").json()["results"]
    assert {s["name"] for s in strategies} == {"Firme", "Suave"}
    test = client.get(f"/api/v1/strategy-tests/{tested.pk}/").json()
    assert test["champion"]["debtors"] + test["challenger"]["debtors"] == 60
    assert test["per_debtor_difference"] is None  # nobody has paid: no spread to measure yet


def test_the_admin_refuses_a_test_of_a_strategy_against_itself(now, client, ana, portfolio, gentle):
    segment = Segment.objects.create(portfolio=portfolio, name="Todos", strategy=gentle)
    client.force_login(ana)
    response = client.post(
        "/admin/scoring/strategytest/add/",
        {"segment": segment.pk, "name": "Igual", "challenger": gentle.pk, "challenger_percent": 50},
    )
    assert response.status_code == 200
    assert "El retador debe ser distinto de la estrategia del segmento." in response.content.decode()
    assert not StrategyTest.objects.exists()


def test_the_admin_refuses_a_segment_treated_by_another_portfolios_strategy(client, ana, portfolio, gentle):
    elsewhere = _strategy(factories.make_portfolio(name="Otra cartera"), "Ajena")
    client.force_login(ana)
    response = client.post(
        "/admin/scoring/segment/add/",
        {
            "portfolio": portfolio.pk,
            "name": "Mal hecho",
            "position": 1,
            "strategy": elsewhere.pk,
            "score_from_percent": 60,
            "score_below_percent": 40,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Segment.objects.exists()
    assert "Elija una estrategia de la cartera de este segmento." in page


def test_a_kept_rate_difference_needs_some_spread_to_be_measured(now, tested, carla):
    arms = dict(ArmAssignment.objects.values_list("debtor_id", "arm"))
    champion_id = next(pk for pk, arm in arms.items() if arm == "champion")
    challenger_ids = [pk for pk, arm in arms.items() if arm == "challenger"][:2]
    for debtor_id in (champion_id, *challenger_ids):
        factories.make_promise(
            debtor=Debtor.objects.get(pk=debtor_id), collector=carla, status="broken", resolved_at=now
        )
    assert strategy_test_results(tested, now=now).kept_rate_difference is None  # 0 % against 0 %

    factories.make_promise(
        debtor=Debtor.objects.get(pk=challenger_ids[0]), collector=carla, status="kept", resolved_at=now
    )
    difference = strategy_test_results(tested, now=now).kept_rate_difference
    assert difference.estimate == pytest.approx(1 / 3)
    assert difference.low < 0 < difference.high  # one kept promise in three proves nothing yet


def test_a_supervisor_reads_a_team_members_queue_and_why_each_debtor_is_there(
    client, portfolio, carla, sofia, pablo, gentle
):
    with time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=LIMA), tick=False):
        likely = _account(portfolio, carla, "Luis Probable", balance="4200.00", arrears_days=20)
        _treated_by(likely, gentle, probability=0.5)
        client.force_login(sofia)
        dashboard = client.get("/promises/dashboard/").content.decode()
        page = client.get(f"/calls/queue/of/{carla.pk}/").content.decode()
        client.force_login(pablo)  # another team's supervisor
        elsewhere = client.get(f"/calls/queue/of/{carla.pk}/")
        client.force_login(carla)
        own = client.get(f"/calls/queue/of/{carla.pk}/")

    assert f'href="/calls/queue/of/{carla.pk}/"' in dashboard
    assert "Cola de Carla Cobos" in page and "Luis Probable" in page
    assert "Pagador probable, 2\u00a0100\u00a0PEN esperados" in page
    assert "Empezar a llamar" not in page  # read-only: the supervisor does not call from it
    assert elsewhere.status_code == 404 and own.status_code == 404


def test_an_ambiguous_decision_decides_nothing(now, client, sofia, tested):
    client.force_login(sofia)
    response = client.post(
        f"/promises/strategies/tests/{tested.pk}/decide/", {"decision": ["promote", "stop"]}, follow=True
    )
    assert "Elija si promover al retador o mantener al campeón." in response.content.decode()
    tested.refresh_from_db()
    assert tested.status == StrategyTest.Status.RUNNING
