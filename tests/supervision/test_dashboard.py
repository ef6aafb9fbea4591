"""The supervisor dashboard: figures from the rollups, periods and filters, scope, sorting,
drill-downs and streamed CSV exports."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from calls.models import Call
from debtors.models import Creditor
from supervision.services import promise_rollups_refresh
from tests import factories

pytestmark = pytest.mark.usefixtures("clock")  # Monday 16 November 2026, 10:00 in Lima

THIS_WEEK = date(2026, 11, 18)
NEXT_WEEK = date(2026, 11, 25)


def _csv_rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def week(diego, mateo, carla, carlos, cris):
    """Promises due this week in both teams, one next week; payments; calls."""
    made = {
        "kept": factories.make_promise(
            debtor=diego, collector=carla, amount=Decimal("100"), due_date=THIS_WEEK, status="kept"
        ),
        "broken": factories.make_promise(
            debtor=diego, collector=carla, amount=Decimal("200"), due_date=THIS_WEEK, status="broken"
        ),
        "partial": factories.make_promise(
            debtor=diego, collector=carlos, amount=Decimal("300"), due_date=THIS_WEEK, status="partially_kept"
        ),
        "pending": factories.make_promise(debtor=diego, collector=carlos, amount=Decimal("50"), due_date=THIS_WEEK),
        "cancelled": factories.make_promise(
            debtor=diego, collector=carlos, amount=Decimal("75"), due_date=THIS_WEEK, status="cancelled"
        ),
        "next_week": factories.make_promise(debtor=diego, collector=carla, amount=Decimal("999"), due_date=NEXT_WEEK),
        "other_team": factories.make_promise(
            debtor=mateo, collector=cris, amount=Decimal("888"), due_date=THIS_WEEK, status="broken"
        ),
    }
    factories.make_payment(debtor=diego, amount=Decimal("100"), credited_to=carla)
    factories.make_payment(debtor=mateo, amount=Decimal("500"), credited_to=cris)
    factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY)
    factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.NO_ANSWER)
    factories.make_call(debtor=mateo, collector=cris, outcome=Call.Outcome.RIGHT_PARTY)
    promise_rollups_refresh()
    return made


def _figures(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("promises:dashboard"), {"period": "week", **params})
    assert response.status_code == 200
    return {row["currency"]: row for row in response.context["figures"]}, response


def test_the_week_shows_made_due_and_how_each_ended_with_rates(client, sofia, week):
    figures, _ = _figures(client, sofia)
    pen = figures["PEN"]
    assert pen["made"] == {"count": 6, "amount": Decimal("1724")}  # all made today, pablo's team excluded
    assert pen["due"] == {"count": 4, "amount": Decimal("650")}  # cancelled and next week's are not due
    assert pen["kept"] == {"count": 1, "amount": Decimal("100")}
    assert pen["broken"] == {"count": 1, "amount": Decimal("200")}
    assert pen["partially_kept"] == {"count": 1, "amount": Decimal("300")}
    assert pen["pending"] == {"count": 1, "amount": Decimal("50")}
    assert pen["kept_rate_count"] == pytest.approx(1 / 3)
    assert float(pen["kept_rate_amount"]) == pytest.approx(100 / 600)
    assert pen["collected"] == Decimal("100")
    assert float(pen["collected_rate"]) == pytest.approx(100 / 650)


def test_an_admin_sees_every_team_and_a_supervisor_only_hers(client, ana, sofia, pablo, week):
    assert _figures(client, ana)[0]["PEN"]["broken"]["count"] == 2
    assert _figures(client, pablo)[0]["PEN"]["broken"] == {"count": 1, "amount": Decimal("888")}
    _, response = _figures(client, sofia)
    assert {row["collector"].username for row in response.context["collectors"]} == {"carla", "carlos"}


@pytest.mark.parametrize(
    "url_name",
    [
        "promises:dashboard",
        "promises:promises_behind",
        "promises:calls_behind",
        "promises:payments_behind",
        "promises:health",
        "promises:reassign",
        "promises:figures_export",
    ],
)
def test_collectors_have_no_dashboard(client, carla, week, url_name):
    client.force_login(carla)
    assert client.get(reverse(url_name)).status_code == 404


def test_a_team_filter_outside_the_supervisors_scope_shows_nothing(client, sofia, team_monterrey, week):
    figures, _ = _figures(client, sofia, team=team_monterrey.pk)
    assert figures == {}


def test_filters_narrow_every_figure(client, ana, sofia, carla, carlos, team_lima, diego, week):
    spain = factories.make_portfolio(
        name="Consumo España",
        creditor=Creditor.objects.create(name="Banco de Madrid"),
        country="ES",
        currency="EUR",
        time_zone="Europe/Madrid",
        preset="es",
    )
    madrid = factories.make_debtor(portfolio=spain, assigned_to=carlos)
    factories.make_promise(debtor=madrid, collector=carlos, amount=Decimal("40"), due_date=THIS_WEEK, status="broken")
    promise_rollups_refresh()

    by_collector, _ = _figures(client, sofia, collector=carla.pk)
    assert by_collector["PEN"]["due"]["count"] == 2 and "EUR" not in by_collector
    by_portfolio, _ = _figures(client, ana, portfolio=spain.pk)
    assert set(by_portfolio) == {"EUR"} and by_portfolio["EUR"]["broken"]["count"] == 1
    by_creditor, _ = _figures(client, ana, creditor=diego.portfolio.creditor_id)
    assert set(by_creditor) == {"PEN"}
    by_team, _ = _figures(client, ana, team=team_lima.pk)
    assert by_team["PEN"]["broken"]["count"] == 1  # cris's broken promise is team Monterrey's


@pytest.mark.parametrize(
    ("params", "start", "end"),
    [
        ({"period": "today"}, date(2026, 11, 16), date(2026, 11, 16)),
        ({"period": "week"}, date(2026, 11, 16), date(2026, 11, 22)),
        ({"period": "month"}, date(2026, 11, 1), date(2026, 11, 30)),
        ({"period": "range", "start": "2026-10-01", "end": "2026-11-20"}, date(2026, 10, 1), date(2026, 11, 20)),
        (
            {"period": "range", "start": "2026-11-20", "end": "2026-10-01"},
            date(2026, 11, 16),
            date(2026, 11, 22),
        ),  # backwards: this week
        ({"period": "range", "start": "nonsense"}, date(2026, 11, 16), date(2026, 11, 22)),
    ],
)
def test_periods_today_week_month_and_a_chosen_range(client, sofia, params, start, end):
    client.force_login(sofia)
    period = client.get(reverse("promises:dashboard"), params).context["period"]
    assert (period.start, period.end) == (start, end)


def test_a_chosen_range_counts_only_its_days(client, sofia, week):
    figures, _ = _figures(client, sofia, period="range", start="2026-11-24", end="2026-11-30")
    assert figures["PEN"]["due"] == {"count": 1, "amount": Decimal("999")}
    assert figures["PEN"]["made"]["count"] == 0


def _in_english(client, user):
    user.language = "en"
    user.save()
    client.cookies["django_language"] = "en"
    client.force_login(user)


def test_before_the_first_job_run_the_page_says_the_figures_are_not_ready(client, sofia):
    _in_english(client, sofia)
    assert "Figures not computed yet" in client.get(reverse("promises:dashboard")).content.decode()


def test_the_page_says_how_fresh_the_figures_are(client, sofia, week):
    _in_english(client, sofia)
    page = client.get(reverse("promises:dashboard")).content.decode()
    assert "Figures as of" in page and "16/11/2026" in page or "11/16/2026" in page


def test_the_dashboard_costs_the_same_queries_with_ten_times_the_data(
    client, sofia, carla, carlos, diego, django_assert_num_queries
):
    client.force_login(sofia)

    def make(n):
        for _ in range(n):
            factories.make_promise(debtor=diego, collector=carla, due_date=THIS_WEEK, status="kept")
            factories.make_call(debtor=diego, collector=carlos)
            factories.make_payment(debtor=diego, credited_to=carla)
        promise_rollups_refresh()

    make(2)
    # session, user, rollup state, figures, collected, trend, collectors, calls, promise rollup,
    # payment rollup, QA scores, teams, portfolios, creditors, approvals waiting
    with django_assert_num_queries(15):
        assert client.get(reverse("promises:dashboard"), {"period": "month"}).status_code == 200
    make(20)
    with django_assert_num_queries(15):
        assert client.get(reverse("promises:dashboard"), {"period": "month"}).status_code == 200


def test_the_weekly_trend_counts_each_week_and_shows_its_numbers_in_a_table(client, sofia, week):
    client.force_login(sofia)
    response = client.get(reverse("promises:dashboard"), {"period": "week"})
    trend = response.context["trend"]
    assert len(trend) == 12 and trend[-1]["week"] == date(2026, 11, 16)
    assert (trend[-1]["kept"], trend[-1]["broken"], trend[-1]["partially_kept"], trend[-1]["pending"]) == (1, 1, 1, 1)
    assert trend[-1]["made"] == 6
    page = response.content.decode()
    assert 'id="trend-data"' in page and 'id="trend-table"' in page
    assert "js/dashboard-charts.js" in page and "vendor/chart.umd.min.js" in page


def test_collector_rows_carry_calls_contacts_promises_kept_rate_and_collected(client, sofia, week):
    _, response = _figures(client, sofia)
    rows = {row["collector"].username: row for row in response.context["collectors"]}
    carla = rows["carla"]
    assert (carla["calls"], carla["right_party"], carla["contact_rate"]) == (2, 1, 0.5)
    assert carla["promises"] == 3 and carla["promises_per_contact"] == 3
    assert carla["kept_rate"] == pytest.approx(1 / 2)  # kept and broken due this week
    assert carla["collected"] == {"PEN": Decimal("100")}
    assert carla["qa_score"] is None
    assert rows["carlos"]["calls"] == 0 and rows["carlos"]["contact_rate"] is None


def test_the_collector_table_sorts_on_the_server_and_links_keep_the_filters(client, sofia, team_lima, week):
    client.force_login(sofia)
    ascending = client.get(reverse("promises:dashboard"), {"period": "month", "team": team_lima.pk, "sort": "calls"})
    descending = client.get(reverse("promises:dashboard"), {"period": "month", "team": team_lima.pk, "sort": "-calls"})
    assert [r["collector"].username for r in ascending.context["collectors"]] == ["carlos", "carla"]
    assert [r["collector"].username for r in descending.context["collectors"]] == ["carla", "carlos"]
    page = descending.content.decode()
    assert f"?period=month&amp;team={team_lima.pk}&amp;sort=calls" in page  # the header flips the order, keeps the team


def test_the_collector_table_exports_as_csv(client, sofia, week):
    client.force_login(sofia)
    rows = _csv_rows(client.get(reverse("promises:dashboard"), {"period": "week", "sort": "-calls", "format": "csv"}))
    assert rows[1][0] == "Carla Cobos" and rows[1][2] == "2" and rows[1][3] == "1"
    assert len(rows) == 3


def test_the_broken_figure_opens_this_weeks_broken_promises_and_exports_them(client, sofia, week):
    client.force_login(sofia)
    dashboard = client.get(reverse("promises:dashboard"), {"period": "week"}).content.decode()
    link = f"{reverse('promises:promises_behind')}?period=week&amp;kind=due&amp;status=broken"
    assert link in dashboard
    listing = client.get(reverse("promises:promises_behind"), {"period": "week", "kind": "due", "status": "broken"})
    assert [p.pk for p in listing.context["page"]] == [week["broken"].pk]  # not cris's, not next week's
    rows = _csv_rows(
        client.get(
            reverse("promises:promises_behind"), {"period": "week", "kind": "due", "status": "broken", "format": "csv"}
        )
    )
    assert (
        len(rows) == 2 and rows[1][0] == str(week["broken"].pk) and rows[1][8] == "Incumplida"
    )  # the status in the reader's language


def test_each_drill_down_counts_what_its_figure_counts(client, sofia, week):
    client.force_login(sofia)
    figures = {
        row["currency"]: row for row in client.get(reverse("promises:dashboard"), {"period": "week"}).context["figures"]
    }
    for kind, status, figure in [
        ("made", "", "made"),
        ("due", "", "due"),
        ("due", "kept", "kept"),
        ("due", "pending", "pending"),
        ("due", "partially_kept", "partially_kept"),
    ]:
        page = client.get(
            reverse("promises:promises_behind"), {"period": "week", "kind": kind, "status": status}
        ).context["page"]
        assert page.paginator.count == figures["PEN"][figure]["count"], (kind, status)
    calls = client.get(reverse("promises:calls_behind"), {"period": "week", "outcome": "right_party"}).context["page"]
    assert [c.collector.username for c in calls] == ["carla"]
    payments = client.get(reverse("promises:payments_behind"), {"period": "week"}).context["page"]
    assert [p.amount for p in payments] == [Decimal("100")]


def test_drill_downs_keep_the_filters(client, ana, carla, week):
    client.force_login(ana)
    page = client.get(
        reverse("promises:promises_behind"),
        {"period": "week", "kind": "due", "status": "broken", "collector": carla.pk},
    ).context["page"]
    assert [p.collector.username for p in page] == ["carla"]


def test_large_exports_are_streamed_in_chunks(client, ana, diego, carla):
    for _ in range(30):
        factories.make_promise(debtor=diego, collector=carla, due_date=THIS_WEEK, status="broken")
    client.force_login(ana)
    response = client.get(
        reverse("promises:promises_behind"), {"period": "week", "kind": "due", "status": "broken", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert len(_csv_rows(response)) == 31


def test_figures_export_as_csv_per_currency(client, sofia, week):
    client.force_login(sofia)
    rows = _csv_rows(client.get(reverse("promises:figures_export"), {"period": "week"}))
    assert rows[1][0] == "PEN" and rows[1][1] == "6" and rows[1][9] == "1"  # made 6; broken count 1


def test_the_dashboard_links_to_approvals_health_reassignment_and_review(client, sofia, week):
    client.force_login(sofia)
    page = client.get(reverse("promises:dashboard")).content.decode()
    for name in ("promises:approvals", "promises:health", "promises:reassign", "review:list"):
        assert reverse(name) in page


def test_drill_down_links_on_the_page_carry_the_filters(client, sofia, carla, week):
    client.force_login(sofia)
    page = client.get(reverse("promises:dashboard"), {"period": "month", "collector": carla.pk}).content.decode()
    assert (
        f"{reverse('promises:promises_behind')}?period=month&amp;collector={carla.pk}&amp;kind=due&amp;status=broken"
        in page
    )


def test_between_job_runs_the_page_reuses_its_figures_and_a_run_refreshes_them(
    client, sofia, carla, diego, django_assert_num_queries
):
    factories.make_promise(debtor=diego, collector=carla, due_date=THIS_WEEK, status="broken")
    promise_rollups_refresh()
    client.force_login(sofia)
    first = client.get(reverse("promises:dashboard"))
    # session, user, rollup state, teams, portfolios, creditors, approvals waiting
    with django_assert_num_queries(7):
        again = client.get(reverse("promises:dashboard"))
    assert again.context["figures"] == first.context["figures"]

    factories.make_promise(debtor=diego, collector=carla, due_date=THIS_WEEK, status="broken")
    assert client.get(reverse("promises:dashboard")).context["figures"][0]["broken"]["count"] == 1  # job not run yet
    promise_rollups_refresh()
    assert client.get(reverse("promises:dashboard")).context["figures"][0]["broken"]["count"] == 2


def test_the_weekly_trend_exports_as_csv(client, sofia, week):
    client.force_login(sofia)
    rows = _csv_rows(client.get(reverse("promises:dashboard"), {"period": "week", "format": "csv", "table": "trend"}))
    assert len(rows) == 13
    assert rows[-1][:6] == ["2026-11-16", "6", "1", "1", "1", "1"]
