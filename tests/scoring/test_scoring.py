"""Scoring a portfolio: the scorecard while its history is short, a trained model after, each
score stored with its reasons; the nightly job, the backtest command and the pages that show them."""

import math
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from debtors.models import Debtor, DebtorScore
from scoring import services
from scoring.models import ScoreCalibration, Scorecard, ScoreModel
from scoring.tasks import score_debtors
from tests.factories import make_debt, make_debtor, make_payment, make_portfolio
from tests.scoring.conftest import synthetic_book


@pytest.fixture
def newcomer(now, portfolio, carla):
    """Ten days past due, no phone, nothing heard or paid yet."""
    debtor = make_debtor(portfolio=portfolio, assigned_to=carla)
    make_debt(debtor=debtor, due_date=(now - timedelta(days=10)).date())
    return debtor


def test_a_short_history_is_scored_by_the_default_scorecard_points(now, portfolio, newcomer):
    result = services.portfolio_score(portfolio=portfolio)

    card = Scorecard.objects.get(portfolio__isnull=True)
    assert not result.trained and result.method == f"scorecard-{card.pk}"
    score = DebtorScore.objects.get(debtor=newcomer)
    # 40 to start; 10 days past due +20; no payment in a year -10; no usable phone -20; no
    # conversation in a year -10: 20 points, two doublings below even odds (60): odds 1 to 4.
    assert score.probability == pytest.approx(0.2)
    # The largest pushes first (±20 points), then one of the -10s.
    assert {reason["feature"] for reason in score.reasons[:2]} == {"days_past_due", "usable_phones"}
    assert len(score.reasons) == 3
    assert ScoreModel.objects.count() == 0


def test_points_edited_in_the_admin_change_the_next_scores(now, client, ana, portfolio, newcomer):
    card = Scorecard.objects.get(portfolio__isnull=True)
    client.force_login(ana)
    assert client.get(f"/admin/scoring/scorecard/{card.pk}/change/").status_code == 200
    card.rules.filter(feature="usable_phones").update(points=0)

    services.portfolio_score(portfolio=portfolio)

    # 40 points now (the phone rule gave nothing): one doubling below even odds, 1 to 2.
    assert DebtorScore.objects.get(debtor=newcomer).probability == pytest.approx(1 / 3)


def test_a_collector_cannot_reach_the_scorecards(client, carla):
    client.force_login(carla)
    response = client.get("/admin/scoring/scorecard/")
    assert response.status_code in (302, 403)


def test_a_portfolio_with_its_own_scorecard_uses_it(now, portfolio, diego):
    own = Scorecard.objects.create(portfolio=portfolio, name="Cartera Lima", base_points=60, points_at_even_odds=60)

    result = services.portfolio_score(portfolio=portfolio)

    assert result.method == f"scorecard-{own.pk}"
    assert DebtorScore.objects.get(debtor=diego).probability == pytest.approx(0.5)


def test_enough_history_trains_a_model_that_finds_the_planted_signal(now, portfolio):
    book = synthetic_book(portfolio, debtors=800)

    result = services.portfolio_score(portfolio=portfolio)

    assert result.trained and result.method == "model-1"
    model = ScoreModel.objects.get(portfolio=portfolio)
    assert model.examples == 800 and model.held_out_auc > 0.7
    scores = dict(DebtorScore.objects.values_list("debtor_id", "probability"))
    good = [scores[pk] for pk in book["good_payers"]]
    others = [p for pk, p in scores.items() if pk not in book["good_payers"]]
    assert sum(good) / len(good) > 2 * sum(others) / len(others)
    top = DebtorScore.objects.filter(debtor_id__in=book["good_payers"]).order_by("-probability").first()
    assert "days_since_payment" in [reason["feature"] for reason in top.reasons]
    assert all(len(row) <= 3 for row in DebtorScore.objects.values_list("reasons", flat=True))


def test_scoring_again_replaces_the_scores_and_counts_the_model_up(now, portfolio):
    synthetic_book(portfolio, debtors=600)
    services.portfolio_score(portfolio=portfolio)
    first = DebtorScore.objects.count()
    Debtor.objects.filter(pk=Debtor.objects.order_by("pk").first().pk).update(open_balance=0)

    result = services.portfolio_score(portfolio=portfolio)

    assert result.method == "model-2"
    assert DebtorScore.objects.count() == first - 1  # one that owes nothing now is no longer scored
    assert set(DebtorScore.objects.values_list("model_version", flat=True)) == {"model-2"}


def test_the_calibration_compares_predicted_and_actual_by_decile(now, portfolio):
    synthetic_book(portfolio, debtors=800)

    services.portfolio_score(portfolio=portfolio)

    deciles = list(ScoreCalibration.objects.filter(portfolio=portfolio).order_by("decile"))
    assert [row.decile for row in deciles] == list(range(1, 11))
    assert sum(row.debtors for row in deciles) == 800
    assert deciles[-1].actual > deciles[0].actual  # the top decile paid more than the bottom one
    assert sum(row.recovered for row in deciles) > 0


def test_the_nightly_task_scores_every_portfolio(now, portfolio, diego):
    other = make_portfolio(name="Otra")

    results = score_debtors.apply().get()

    assert {result["portfolio_id"] for result in results} == {portfolio.pk, other.pk}
    assert DebtorScore.objects.filter(debtor=diego).exists()


def test_the_backtest_reports_auc_and_deciles(now, portfolio):
    synthetic_book(portfolio, debtors=800)
    out = StringIO()

    call_command("score_backtest", "--portfolio", str(portfolio.pk), "--as-of", "2026-10-21", stdout=out)

    text = out.getvalue()
    auc_line = next(line for line in text.splitlines() if line.startswith("AUC:"))
    assert float(auc_line.split()[-1]) > 0.7
    assert "AUC de la tabla de puntos con los mismos deudores" in text  # the scorecard's, beside it
    assert sum(1 for line in text.splitlines() if "·" in line and line.strip()[:2].strip().isdigit()) == 10


def test_the_backtest_refuses_a_day_whose_30_days_are_not_over(now, portfolio):
    with pytest.raises(CommandError, match="aún no han terminado"):
        call_command("score_backtest", "--portfolio", str(portfolio.pk), "--as-of", "2026-11-01")
    with pytest.raises(CommandError, match="No hay ninguna cartera"):
        call_command("score_backtest", "--portfolio", "Ninguna", "--as-of", "2026-10-01")
    with pytest.raises(CommandError, match="no es una fecha"):
        call_command("score_backtest", "--portfolio", str(portfolio.pk), "--as-of", "01/10/2026")


def test_the_debtor_page_shows_the_score_and_why(now, client, carla, portfolio, diego):
    make_payment(debtor=diego, amount=Decimal("50.00"), paid_at=now - timedelta(days=3))
    services.portfolio_score(portfolio=portfolio)
    client.force_login(carla)

    page = client.get(f"/debtors/{diego.pk}/").content.decode()

    percent = round(DebtorScore.objects.get(debtor=diego).probability * 100)
    assert "Probabilidad de pago" in page and f"{percent} %" in page
    assert "Último pago hace 3 días" in page and "la sube" in page


def test_the_api_orders_by_score_with_unscored_debtors_last(now, client, ana, portfolio, diego, mateo, unassigned):
    make_payment(debtor=diego, amount=Decimal("50.00"), paid_at=now - timedelta(days=3))
    services.portfolio_score(portfolio=portfolio)
    make_debt(debtor=unassigned)  # after the scoring: no score yet
    client.force_login(ana)

    ids = [row["id"] for row in client.get("/api/v1/debtors/?ordering=-score").json()["results"]]
    rows = client.get("/api/v1/debtors/?ordering=score").json()["results"]

    assert ids == [diego.pk, mateo.pk, unassigned.pk]
    assert [row["id"] for row in rows] == [mateo.pk, diego.pk, unassigned.pk]
    assert rows[2]["score"] is None and rows[2]["score_reasons"] is None
    assert math.isclose(rows[1]["score"], DebtorScore.objects.get(debtor=diego).probability)
    assert rows[1]["score_reasons"][0].keys() == {"feature", "value", "effect"}
    detail = client.get(f"/api/v1/debtors/{diego.pk}/").json()
    assert detail["score_model"].startswith("scorecard-")


def test_the_health_page_shows_the_calibration(now, client, sofia, portfolio):
    synthetic_book(portfolio, debtors=600)
    services.portfolio_score(portfolio=portfolio)
    client.force_login(sofia)

    page = client.get("/promises/health/").content.decode()

    assert "Probabilidad de pago: prevista y real" in page
    assert page.count('<tr><td class="num">') >= 10


def test_a_supervisor_scores_a_portfolio_now_from_the_health_page(
    client, sofia, portfolio, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(score_debtors, "delay", lambda portfolio_id: queued.append(portfolio_id))
    client.force_login(sofia)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/promises/health/score/", {"portfolio": str(portfolio.pk)}, follow=True)

    assert queued == [portfolio.pk]
    assert "están puntuando" in response.content.decode()
    refused = client.post("/promises/health/score/", {"portfolio": "x"}, follow=True)
    assert "Elija la cartera" in refused.content.decode() and queued == [portfolio.pk]


def test_a_collector_cannot_start_a_scoring(client, carla, portfolio):
    client.force_login(carla)
    assert client.post("/promises/health/score/", {"portfolio": str(portfolio.pk)}).status_code == 404
    client.force_login(carla)
    assert client.get("/promises/health/score/").status_code == 405


def test_the_api_filters_debtors_by_score_band(now, client, ana, portfolio, diego, mateo):
    make_payment(debtor=diego, amount=Decimal("50.00"), paid_at=now - timedelta(days=3))
    services.portfolio_score(portfolio=portfolio)
    client.force_login(ana)
    cut = (DebtorScore.objects.get(debtor=diego).probability + DebtorScore.objects.get(debtor=mateo).probability) / 2

    likely = client.get("/api/v1/debtors/", {"score_from": f"{cut:.6f}"}).json()["results"]
    unlikely = client.get("/api/v1/debtors/", {"score_below": f"{cut:.6f}"}).json()["results"]
    refused = client.get("/api/v1/debtors/", {"score_from": "1.5"})

    assert [row["id"] for row in likely] == [diego.pk]
    assert [row["id"] for row in unlikely] == [mateo.pk]
    assert refused.status_code == 400 and "score_from" in str(refused.json())


def test_a_deleted_default_scorecard_is_made_again(now, portfolio, diego):
    Scorecard.objects.all().delete()

    result = services.portfolio_score(portfolio=portfolio)

    card = Scorecard.objects.get(portfolio__isnull=True)
    assert result.method == f"scorecard-{card.pk}" and card.rules.count() == 16
    assert DebtorScore.objects.filter(debtor=diego).exists()


def test_the_score_filters_read_numbers_as_json_writes_them(client, ana, portfolio, diego):
    client.force_login(ana)
    for accepted in ("0", "1", "0.35", "3.5e-1", "4.116855196246614e-261"):
        assert client.get("/api/v1/debtors/", {"score_from": accepted}).status_code == 200, accepted
    for refused in ("1.5", "-0.1", "nan", "inf", " 0.5", "+0.5", "0,5", "2e0"):
        assert client.get("/api/v1/debtors/", {"score_from": refused}).status_code == 400, refused
