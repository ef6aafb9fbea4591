"""Portfolio health: balances by aging bucket, roll rates from the nightly snapshots, and the
objections and situations that end in kept promises."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from calls.models import Call
from debtors.models import DebtSnapshot
from promises.models import BalanceRollup
from supervision import selectors
from supervision.selectors import AGING_HORIZON_DAYS, DashboardFilters
from supervision.services import balance_rollups_refresh
from tests import factories
from tests.promises.conftest import LIMA

pytestmark = pytest.mark.usefixtures("clock")  # Monday 16 November 2026, 10:00 in Lima
TODAY = date(2026, 11, 16)


def _health(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("promises:health"), {"period": "month", **params})
    assert response.status_code == 200
    return response


def test_open_balances_fall_in_their_aging_buckets(client, sofia, carla, cris, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    factories.make_debt(debtor=debtor, balance=Decimal("100"), due_date=TODAY + timedelta(days=3))  # current
    factories.make_debt(debtor=debtor, balance=Decimal("200"), due_date=TODAY - timedelta(days=30))  # 1–30
    factories.make_debt(debtor=debtor, balance=Decimal("300"), due_date=TODAY - timedelta(days=31))  # 31–60
    factories.make_debt(debtor=debtor, balance=Decimal("400"), due_date=TODAY - timedelta(days=200))  # 180+
    factories.make_debt(debtor=debtor, balance=Decimal("0"), due_date=TODAY - timedelta(days=90))  # paid: not open
    other = factories.make_debtor(portfolio=portfolio, assigned_to=cris)
    factories.make_debt(debtor=other, balance=Decimal("999"), due_date=TODAY - timedelta(days=45))  # pablo's team

    [pen] = _health(client, sofia).context["balances"]
    cells = {cell["bucket"]: (cell["debts"], cell["balance"]) for cell in pen["buckets"]}
    assert cells == {
        "current": (1, Decimal("100")),
        "1-30": (1, Decimal("200")),
        "31-60": (1, Decimal("300")),
        "61-90": (0, Decimal("0")),
        "91-180": (0, Decimal("0")),
        "180+": (1, Decimal("400")),
    }
    assert pen["total"] == Decimal("1000")


def test_a_bucket_opens_its_debts_and_exports_them(client, sofia, carla, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Rosa Ríos")
    factories.make_debt(debtor=debtor, balance=Decimal("300"), due_date=TODAY - timedelta(days=40))
    factories.make_debt(debtor=debtor, balance=Decimal("50"), due_date=TODAY - timedelta(days=5))
    client.force_login(sofia)
    page = client.get(reverse("promises:debts_behind"), {"bucket": "31-60"}).context["page"]
    assert [d.balance for d in page] == [Decimal("300")]
    response = client.get(reverse("promises:debts_behind"), {"bucket": "31-60", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[1][0] == "Rosa Ríos" and rows[1][5] == "300.00"
    assert client.get(reverse("promises:debts_behind"), {"bucket": "nonsense"}).status_code == 404


def test_roll_rates_month_over_month_from_the_snapshots(client, sofia, carla, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    debts = [factories.make_debt(debtor=debtor, account_reference=f"A{n}") for n in range(4)]
    september, october = date(2026, 9, 30), date(2026, 10, 31)
    moves = [("1-30", "31-60"), ("1-30", "1-30"), ("31-60", "1-30"), ("1-30", None)]  # worse, same, cured, paid off
    for debt, (before, after) in zip(debts, moves, strict=True):
        DebtSnapshot.objects.create(debt=debt, taken_on=september, days_past_due=10, aging_bucket=before, balance=100)
        DebtSnapshot.objects.create(
            debt=debt, taken_on=date(2026, 9, 15), days_past_due=1, aging_bucket="current", balance=100
        )
        if after:
            DebtSnapshot.objects.create(debt=debt, taken_on=october, days_past_due=40, aging_bucket=after, balance=100)

    rolls = _health(client, sofia).context["rolls"]
    [roll] = [r for r in rolls if r["from"] == september]
    assert roll["to"] == october
    lines = {line["bucket"]: line for line in roll["lines"]}
    assert lines["1-30"]["total"] == 3
    assert lines["1-30"]["roll_rate"] == pytest.approx(1 / 3)
    assert lines["1-30"]["cells"][-1] == 1  # one left (paid off)
    assert lines["31-60"]["cure_rate"] == 1


def test_roll_rates_only_count_the_supervisors_team(client, pablo, carla, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    debt = factories.make_debt(debtor=debtor)
    DebtSnapshot.objects.create(debt=debt, taken_on=date(2026, 9, 30), days_past_due=10, aging_bucket="1-30", balance=1)
    DebtSnapshot.objects.create(
        debt=debt, taken_on=date(2026, 10, 31), days_past_due=41, aging_bucket="31-60", balance=1
    )
    [roll] = _health(client, pablo).context["rolls"]
    assert all(line["total"] == 0 for line in roll["lines"])


def test_objections_and_situations_most_frequent_first_with_the_promises_they_kept(client, sofia, carla, diego):
    def call(reason, stance):
        return factories.make_call(
            debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY, stance=stance, stance_reason=reason
        )

    for status in ("kept", "broken"):
        forgot = call("forgot", "objection")
        factories.make_promise(debtor=diego, collector=carla, call=forgot, status=status)
    call("forgot", "objection")
    job_loss = call("job_loss", "situation")
    factories.make_promise(debtor=diego, collector=carla, call=job_loss, status="kept")

    stances = _health(client, sofia).context["stances"]
    assert [(s["stance_reason"], s["calls"], s["promises"], s["kept"]) for s in stances] == [
        ("forgot", 3, 2, 1),
        ("job_loss", 1, 1, 1),
    ]
    assert stances[0]["kept_rate"] == pytest.approx(1 / 2)
    assert stances[1]["kept_rate"] == 1
    client.force_login(sofia)
    response = client.get(reverse("promises:health"), {"period": "month", "format": "csv", "table": "stances"})
    content = b"".join(response.streaming_content).decode()
    assert "Objeción,Olvidó pagar,3,2,1,0.5000" in content  # labels in the reader's language, not codes


def test_the_health_page_draws_charts_with_their_numbers_in_tables(client, sofia, carla, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    factories.make_debt(debtor=debtor, balance=Decimal("100"), due_date=TODAY - timedelta(days=10))
    page = _health(client, sofia).content.decode()
    assert 'id="aging-data"' in page and 'id="aging-chart-PEN"' in page and 'class="aging-table"' in page


def test_roll_rates_export_as_csv(client, sofia, carla, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    debt = factories.make_debt(debtor=debtor)
    DebtSnapshot.objects.create(debt=debt, taken_on=date(2026, 9, 30), days_past_due=10, aging_bucket="1-30", balance=1)
    DebtSnapshot.objects.create(
        debt=debt, taken_on=date(2026, 10, 31), days_past_due=41, aging_bucket="31-60", balance=1
    )
    client.force_login(sofia)
    response = client.get(reverse("promises:health"), {"format": "csv", "table": "rolls"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][3:9] == ["Al día", "1–30 días", "31–60 días", "61–90 días", "91–180 días", "Más de 180 días"]
    line = next(row for row in rows if row[2] == "1–30 días")
    assert line[:3] == ["2026-09-30", "2026-10-31", "1–30 días"]
    assert line[5] == "1"  # into 31–60
    assert line[-2] == "1.0000"  # rolled forward


# --- The aging table for every reader and filter --------------------------------------------


@pytest.fixture
def aging_book(carla, cris, portfolio):
    """Debts in two portfolios of two creditors and currencies, for two teams and nobody."""
    from debtors.models import Creditor

    mexico = factories.make_portfolio(
        name="Créditos Monterrey",
        creditor=Creditor.objects.create(name="Financiera Norte"),
        currency="MXN",
        country="MX",
        time_zone="America/Monterrey",
        preset="mx",
    )
    mine = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    factories.make_debt(debtor=mine, balance=Decimal("100"), due_date=TODAY)  # current
    factories.make_debt(debtor=mine, balance=Decimal("200"), due_date=TODAY - timedelta(days=1))  # 1–30
    factories.make_debt(debtor=mine, balance=Decimal("300"), due_date=TODAY - timedelta(days=61))  # 61–90
    factories.make_debt(debtor=mine, balance=Decimal("50"), due_date=TODAY - timedelta(days=5), recalled_on=TODAY)
    factories.make_debt(debtor=mine, balance=Decimal("0"), due_date=TODAY - timedelta(days=5))
    nobodys = factories.make_debtor(portfolio=portfolio)
    factories.make_debt(debtor=nobodys, balance=Decimal("400"), due_date=TODAY - timedelta(days=30))  # 1–30
    carlas_mx = factories.make_debtor(portfolio=mexico, assigned_to=carla)
    factories.make_debt(debtor=carlas_mx, balance=Decimal("500"), due_date=TODAY + timedelta(days=40))  # current
    cris_mx = factories.make_debtor(portfolio=mexico, assigned_to=cris)
    factories.make_debt(debtor=cris_mx, balance=Decimal("1000"), due_date=TODAY - timedelta(days=180))  # 91–180
    factories.make_debt(debtor=cris_mx, balance=Decimal("2000"), due_date=TODAY - timedelta(days=181))  # 180+
    return {"pen": portfolio, "mxn": mexico}


def _aging(response) -> dict:
    """{currency: {bucket: (debts, balance)}} without the empty buckets, as the page lists them."""
    return {
        row["currency"]: {cell["bucket"]: (cell["debts"], cell["balance"]) for cell in row["buckets"] if cell["debts"]}
        for row in response.context["balances"]
    }


PEN_ALL = {"current": (1, Decimal("100")), "1-30": (2, Decimal("600")), "61-90": (1, Decimal("300"))}
PEN_CARLA = {"current": (1, Decimal("100")), "1-30": (1, Decimal("200")), "61-90": (1, Decimal("300"))}
MXN_ALL = {"current": (1, Decimal("500")), "91-180": (1, Decimal("1000")), "180+": (1, Decimal("2000"))}


@pytest.mark.parametrize("stored", [False, True], ids=["before-the-job-ran", "from-the-balance-rollups"])
def test_the_aging_table_counts_each_readers_debts_under_each_filter(
    client, ana, sofia, pablo, carla, team_monterrey, aging_book, stored
):
    if stored:
        balance_rollups_refresh()
    creditor = aging_book["mxn"].creditor_id
    assert ('data-testid="as-of"' in _health(client, ana).content.decode()) is stored
    assert _aging(_health(client, ana)) == {"MXN": MXN_ALL, "PEN": PEN_ALL}
    assert _aging(_health(client, sofia)) == {"MXN": {"current": (1, Decimal("500"))}, "PEN": PEN_CARLA}
    assert _aging(_health(client, pablo)) == {"MXN": {"91-180": (1, Decimal("1000")), "180+": (1, Decimal("2000"))}}
    assert _aging(_health(client, ana, team=team_monterrey.pk)) == {
        "MXN": {"91-180": (1, Decimal("1000")), "180+": (1, Decimal("2000"))}
    }
    assert _aging(_health(client, ana, collector=carla.pk)) == {
        "MXN": {"current": (1, Decimal("500"))},
        "PEN": PEN_CARLA,
    }
    assert _aging(_health(client, ana, portfolio=aging_book["pen"].pk)) == {"PEN": PEN_ALL}
    assert _aging(_health(client, ana, creditor=creditor)) == {"MXN": MXN_ALL}
    assert _aging(_health(client, sofia, creditor=creditor)) == {"MXN": {"current": (1, Decimal("500"))}}


def test_the_page_shows_the_balances_as_of_the_last_run_and_says_when(client, ana, carla, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    factories.make_debt(debtor=debtor, balance=Decimal("100"), due_date=TODAY - timedelta(days=10))
    balance_rollups_refresh()
    factories.make_debt(debtor=debtor, balance=Decimal("50"), due_date=TODAY - timedelta(days=10))
    response = _health(client, ana)
    assert _aging(response) == {"PEN": {"1-30": (1, Decimal("100"))}}  # the new debt waits for the job
    assert "Saldos al 16/11/2026 10:00" in response.content.decode()
    balance_rollups_refresh()
    assert _aging(_health(client, ana)) == {"PEN": {"1-30": (2, Decimal("150"))}}


def _every_due_day(portfolio, carla, cris):
    """A debt due on every day from 200 days before TODAY to 40 after, for two collectors and nobody."""
    people = [factories.make_debtor(portfolio=portfolio, assigned_to=who) for who in (carla, cris, None)]
    for offset in range(-200, 41):
        factories.make_debt(
            debtor=people[offset % 3], balance=Decimal(300 + offset), due_date=TODAY + timedelta(days=offset)
        )


def test_stored_balances_age_like_the_debts_on_every_day_until_the_horizon(clock, ana, sofia, carla, cris, portfolio):
    _every_due_day(portfolio, carla, cris)
    balance_rollups_refresh()
    # 241 due days fold into a few per horizon day and bucket edge, for each of three people.
    assert BalanceRollup.objects.count() <= 3 * (5 * AGING_HORIZON_DAYS + 6)
    filters = DashboardFilters()
    for days in range(AGING_HORIZON_DAYS + 1):
        on = TODAY + timedelta(days=days)
        state = selectors.balance_rollup_state(on)
        assert state is not None, days
        for user in (ana, sofia):
            assert selectors.aging_figures(user, filters, on, state) == selectors.balances_by_bucket(
                user, filters, on
            ), days
    # Past the horizon the stored rows no longer tell the buckets apart: the page counts the debts.
    assert selectors.balance_rollup_state(TODAY + timedelta(days=AGING_HORIZON_DAYS + 1)) is None
    assert selectors.balance_rollup_state(TODAY - timedelta(days=1)) is None


def test_a_debt_due_today_turns_overdue_at_midnight_without_a_run(client, clock, ana, carla, portfolio):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
    factories.make_debt(debtor=debtor, balance=Decimal("100"), due_date=TODAY)
    factories.make_debt(debtor=debtor, balance=Decimal("200"), due_date=TODAY - timedelta(days=30))
    clock.move_to(datetime(2026, 11, 16, 23, 59, tzinfo=LIMA))
    balance_rollups_refresh()
    assert _aging(_health(client, ana)) == {"PEN": {"current": (1, Decimal("100")), "1-30": (1, Decimal("200"))}}
    clock.move_to(datetime(2026, 11, 17, 0, 1, tzinfo=LIMA))
    response = _health(client, ana)
    assert response.context["state"] is not None  # still the stored rows, no new run
    assert _aging(response) == {"PEN": {"1-30": (1, Decimal("100")), "31-60": (1, Decimal("200"))}}


def test_the_health_page_costs_the_same_queries_with_ten_times_the_debts(
    client, sofia, carla, portfolio, django_assert_num_queries
):
    def make(n):
        for _ in range(n):
            debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
            factories.make_debt(debtor=debtor, balance=Decimal("100"), due_date=TODAY - timedelta(days=_ * 7))
        balance_rollups_refresh()

    client.force_login(sofia)
    make(3)
    # session, user, balance state, aging table, stance outcomes, 7 snapshot days, the payment
    # score's calibration, teams, portfolios, creditors, collectors
    with django_assert_num_queries(17):
        assert client.get(reverse("promises:health"), {"period": "month"}).status_code == 200
    make(30)
    with django_assert_num_queries(17):
        assert client.get(reverse("promises:health"), {"period": "month"}).status_code == 200
