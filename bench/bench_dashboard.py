"""Benchmark of the supervisor dashboard on PostgreSQL: the rollup path beside the naive ORM
aggregate over the promise and payment tables (the baseline), and the rollup job itself.

One command, from the project root (PostgreSQL; the database "test_<name>" is made and dropped):

    DATABASE_URL=postgres://crm:crm@127.0.0.1:5432/collections_crm .venv/bin/python bench/bench_dashboard.py [--write]

Data (INSERT … SELECT generate_series): 100,000 debtors in ten portfolios of five creditors,
50 collectors in five teams, 1,000,000 promises made over the last 200 days (due up to 30 days
after), ≈ 450,000 payments for the kept and partially kept ones, 100,000 calls in the last month.

1. The rollup job from nothing (`promise_rollups_refresh(full=True)`), then RUNS times a
   minute's worth of changes (500 promises made, 2,000 judged, 300 payments, with their events)
   followed by the incremental job.
2. The dashboard page through Django's test client, REQUESTS times, for a supervisor (one team)
   on "this month" and for the admin on a 90-day range, each cold (cache emptied before every
   request, so the rollups are read every time) and warm (the figures cached until the next
   job run): median and p99 server time and the number of queries.
3. The baseline: the same figures (per currency and per collector) read by the naive ORM
   aggregate over the promise and payment tables (`promise_figures` + `collector_table`,
   what the page did before the rollups), BASELINE_RUNS times; and the rollup selectors alone
   for a like-for-like ratio.
"""

import statistics
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from common import SMOKE, machine_line, require_postgresql, throwaway_database, write_section

from django.db import connection  # noqa: E402

HEADING = "## Supervisor dashboard"
DEBTORS = 100_000
PROMISES = 1_000_000
CALLS = 100_000
TEAMS = 5
PER_TEAM = 10
PORTFOLIOS = 10
RUNS = 3
REQUESTS = 200
BASELINE_RUNS = 5
if SMOKE:
    DEBTORS, PROMISES, CALLS, RUNS, REQUESTS, BASELINE_RUNS = 500, 5_000, 500, 1, 4, 1
ZONE = ZoneInfo("America/Lima")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZONE)


def build() -> dict:
    from collections_crm.users.models import Role, Team
    from collections_crm.users.services import user_create
    from debtors.models import Creditor, Portfolio

    admin = user_create(username="bench-admin", password="bench-password-42", role=Role.ADMIN)
    supervisors, collectors = [], []
    for t in range(TEAMS):
        supervisor = user_create(username=f"bench-sup{t}", password="bench-password-42", role=Role.SUPERVISOR)
        team = Team.objects.create(name=f"Bench team {t}", supervisor=supervisor)
        supervisors.append(supervisor)
        for c in range(PER_TEAM):
            collectors.append(
                user_create(username=f"bench-c{t}-{c}", password="bench-password-42", role=Role.COLLECTOR, team=team)
            )
    creditors = [Creditor.objects.create(name=f"Bench creditor {n}") for n in range(5)]
    markets = (("PE", "PEN", "America/Lima", "pe"), ("MX", "MXN", "America/Mexico_City", "mx_fin"))
    portfolios = []
    for n in range(PORTFOLIOS):
        country, currency, zone, preset = markets[n % 2]
        portfolios.append(
            Portfolio.objects.create(
                name=f"Bench {n}",
                creditor=creditors[n % 5],
                country=country,
                currency=currency,
                default_time_zone=zone,
                contact_policy_preset=preset,
            )
        )
    params = {
        "now": NOW,
        "p0": portfolios[0].pk,
        "nportfolios": PORTFOLIOS,
        "c0": collectors[0].pk,
        "ncollectors": len(collectors),
        "debtors": DEBTORS,
        "promises": PROMISES,
        "calls": CALLS,
    }
    with connection.cursor() as cursor:
        # Portfolio ids and collector ids are consecutive: made above in one go.
        cursor.execute(
            """
            INSERT INTO debtors_debtor (portfolio_id, external_id, national_id, full_name, email, time_zone, language,
                assigned_to_id, hold_do_not_contact, hold_cease, hold_dispute, hold_lawsuit, hold_insolvency,
                hold_deceased, open_balance, created_at, updated_at)
            SELECT %(p0)s + (g %% %(nportfolios)s), 'B' || g, '', 'Deudor ' || g, '', 'America/Lima', 'es',
                   %(c0)s + (g %% %(ncollectors)s), false, false, false, false, false, false, 0, %(now)s, %(now)s
            FROM generate_series(1, %(debtors)s) AS g
            """,
            params,
        )
        cursor.execute("SELECT min(id) FROM debtors_debtor")
        params["d0"] = cursor.fetchone()[0]
        # Promise g: debtor g mod 100k (so its collector and currency follow the debtor), made
        # up to 200 days ago, due 1–30 days after; judged when due more than 2 days ago.
        cursor.execute(
            """
            INSERT INTO promises_promise (debtor_id, collector_id, amount, currency, due_date, grace_days, lapses_at,
                kept_threshold, partial_threshold, status, resolved_at, created_at)
            SELECT d.id, d.assigned_to_id, 100 + (p.g %% 50) * 10, port.currency,
                   (p.made + (1 + p.g %% 30) * interval '1 day')::date, 2,
                   p.made + (3 + p.g %% 30) * interval '1 day',
                   100 + (p.g %% 50) * 10, 50 + (p.g %% 50) * 5,
                   CASE WHEN p.made + (3 + p.g %% 30) * interval '1 day' > %(now)s THEN 'pending'
                        WHEN (p.g / 7) %% 20 < 11 THEN 'kept' WHEN (p.g / 7) %% 20 < 13 THEN 'partially_kept'
                        WHEN (p.g / 7) %% 20 < 19 THEN 'broken' ELSE 'cancelled' END,
                   CASE WHEN p.made + (3 + p.g %% 30) * interval '1 day' > %(now)s THEN NULL
                        ELSE p.made + (3 + p.g %% 30) * interval '1 day' END,
                   p.made
            -- The day made varies independently of the debtor (g mod 100k) and so of its collector.
            FROM (SELECT g, %(now)s - ((g / 100003 + g * 13) %% 200) * interval '1 day' - (g %% 600) * interval '1 minute' AS made
                  FROM generate_series(1, %(promises)s) AS g) AS p
            JOIN debtors_debtor d ON d.id = %(d0)s + (p.g %% %(debtors)s)
            JOIN debtors_portfolio port ON port.id = d.portfolio_id
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO promises_payment (debtor_id, credited_to_id, amount, currency, paid_at, reference, source, created_at)
            SELECT debtor_id, collector_id, CASE WHEN status = 'kept' THEN amount ELSE partial_threshold END, currency,
                   resolved_at - interval '2 days', 'BENCH-' || id, 'import', resolved_at
            FROM promises_promise WHERE status IN ('kept', 'partially_kept')
            """
        )
        cursor.execute(
            """
            INSERT INTO calls_call (debtor_id, collector_id, channel, direction, started_at, outcome, stance, stance_reason,
                commitment, no_commitment_reason, notes, created_at, local_time, local_time_zone, policy_code,
                policy_decision, override_reason)
            SELECT %(d0)s + (g * 7 %% %(debtors)s), %(c0)s + ((g * 7 %% %(debtors)s) %% %(ncollectors)s), 'voice', 'outbound',
                   %(now)s - (g %% 43200) * interval '1 minute',
                   CASE WHEN g %% 4 = 0 THEN 'right_party' ELSE 'no_answer' END, '', '', '', '', '', %(now)s, '', '', '', '', ''
            FROM generate_series(1, %(calls)s) AS g
            """,
            params,
        )
        cursor.execute("ANALYZE")
    return {"admin": admin, "supervisor": supervisors[0], "params": params}


def a_minute_of_work(params: dict, run: int) -> None:
    """What a busy minute writes: promises made, promises judged, payments, each with its events."""
    moment = NOW + timedelta(minutes=run + 1)
    p = {**params, "moment": moment, "run": run}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH made AS (
                INSERT INTO promises_promise (debtor_id, collector_id, amount, currency, due_date, grace_days, lapses_at,
                    kept_threshold, partial_threshold, status, resolved_at, created_at)
                SELECT d.id, d.assigned_to_id, 150, port.currency, (%(moment)s + (1 + g %% 30) * interval '1 day')::date, 2,
                       %(moment)s + (3 + g %% 30) * interval '1 day', 150, 75, 'pending', NULL, %(moment)s
                FROM generate_series(1, 500) AS g
                JOIN debtors_debtor d ON d.id = %(d0)s + ((g * 97 + %(run)s) %% %(debtors)s)
                JOIN debtors_portfolio port ON port.id = d.portfolio_id
                RETURNING id
            )
            INSERT INTO promises_promiseevent (promise_id, from_status, to_status, at, cause, note)
            SELECT id, '', 'pending', %(moment)s, 'created', '' FROM made
            """,
            p,
        )
        cursor.execute(
            """
            WITH judged AS (
                UPDATE promises_promise SET status = 'broken', resolved_at = %(moment)s
                WHERE id IN (SELECT id FROM promises_promise WHERE status = 'pending' ORDER BY lapses_at LIMIT 2000)
                RETURNING id
            )
            INSERT INTO promises_promiseevent (promise_id, from_status, to_status, at, cause, note)
            SELECT id, 'pending', 'broken', %(moment)s, 'job', '' FROM judged
            """,
            p,
        )
        cursor.execute(
            """
            INSERT INTO promises_payment (debtor_id, credited_to_id, amount, currency, paid_at, reference, source, created_at)
            SELECT d.id, d.assigned_to_id, 80, port.currency, %(moment)s, 'MINUTE-' || %(run)s || '-' || g, 'import', %(moment)s
            FROM generate_series(1, 300) AS g
            JOIN debtors_debtor d ON d.id = %(d0)s + ((g * 31 + %(run)s) %% %(debtors)s)
            JOIN debtors_portfolio port ON port.id = d.portfolio_id
            """,
            p,
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def page_timings(client, url: str, requests: int, *, cold: bool) -> tuple[list[float], int]:
    from django.core.cache import cache

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted by a wrapper: Django empties its own query log when a request starts.
    if cold:
        cache.clear()
    with connection.execute_wrapper(count):
        response = client.get(url, HTTP_HOST="localhost")
    assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(requests):
        if cold:
            cache.clear()  # outside the timing: every request reads the rollups
        start = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return timings, len(queries)


def timed_ms(function, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    import time_machine
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from supervision import selectors
    from supervision.services import promise_rollups_refresh

    require_postgresql()
    settings.DEBUG = False  # no query log kept in memory while timing
    with throwaway_database(), time_machine.travel(NOW, tick=True):
        start = time.perf_counter()
        built = build()
        print(f"built in {time.perf_counter() - start:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM promises_promise")
            promise_count = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM promises_payment")
            payment_count = cursor.fetchone()[0]

        full = promise_rollups_refresh(full=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM promises_promiserollup")
            rollup_rows = cursor.fetchone()[0]
        print(f"full rollup: {full.duration_ms} ms, {rollup_rows:,} rollup rows")
        incremental = []
        for run in range(RUNS):
            a_minute_of_work(built["params"], run)
            result = promise_rollups_refresh()
            incremental.append(result)
            print(
                f"incremental run {run + 1}: {result.duration_ms} ms ({result.made_days} made days, {result.due_days} due days, {result.payment_days} payment days, {result.call_days} call days)"
            )
        incremental_ms = statistics.median(r.duration_ms for r in incremental)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

        supervisor, admin = built["supervisor"], built["admin"]
        today = timezone.localdate(timezone=ZONE)
        ninety = (today - timedelta(days=89)).isoformat()
        pages = {
            "supervisor (one team), this month": (supervisor, "/promises/dashboard/?period=month"),
            "admin, 90 days": (admin, f"/promises/dashboard/?period=range&start={ninety}&end={today.isoformat()}"),
        }
        page_results = {}
        for label, (user, url) in pages.items():
            client = Client()
            client.force_login(user)
            for cold in (True, False):
                timings, queries = page_timings(client, url, REQUESTS, cold=cold)
                page_results[(label, cold)] = (timings, queries)
                print(
                    f"page {label}, {'cold' if cold else 'warm'}: median {statistics.median(timings):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, {queries} queries"
                )

        # Like for like: the same figures for the admin over 90 days, naive and from the rollups.
        period = selectors.Period(today - timedelta(days=89), today)
        filters = selectors.DashboardFilters()
        with timezone.override(ZONE):
            naive = timed_ms(
                lambda: (selectors.promise_figures(admin, period, filters), selectors.collector_table(admin, period)),
                BASELINE_RUNS,
            )
            rolled = timed_ms(
                lambda: (
                    selectors.dashboard_figures(admin, period, filters),
                    selectors.collector_performance(admin, period, filters),
                ),
                REQUESTS // 4,
            )
            same = selectors.promise_figures(admin, period, filters) == selectors.dashboard_figures(
                admin, period, filters
            )
        naive_ms, rolled_ms = statistics.median(naive), statistics.median(rolled)
        print(
            f"naive ORM aggregate: median {naive_ms:.0f} ms; rollup selectors: median {rolled_ms:.1f} ms; same figures: {same}"
        )

    def page_row(label, cold, target=True):
        timings, queries = page_results[(label, cold)]
        median = statistics.median(timings)
        kind = (
            "rollups read on every request (cache emptied before each)"
            if cold
            else "figures cached until the next job run"
        )
        return (
            f"| dashboard page, {label}: {kind} | {median:.1f} ms | {percentile(timings, 0.99):.1f} ms | {queries} | "
            f"{naive_ms / median:.0f}× faster | {'< 100 ms median, < 250 ms p99' if target else ''} |"
        )

    section = f"""{HEADING}

Measured by `bench/bench_dashboard.py` on {machine_line()}.
Data: {DEBTORS:,} debtors in {PORTFOLIOS} portfolios (5 creditors, PEN and MXN), {TEAMS * PER_TEAM} collectors in {TEAMS} teams,
{promise_count:,} promises made over 200 days, {payment_count:,} payments, {CALLS:,} calls in the last month.
Server time through Django's test client (no network), {REQUESTS} requests each after one warm-up. The machine
is shared (2 vCPU, other benchmarks and test suites running): absolute times are noisy, ratios less so.

| path | median | p99 | queries | ratio to baseline | target |
|---|---|---|---|---|---|
| baseline: naive ORM aggregate over promises and payments (figures per currency + per collector), admin, 90 days | {naive_ms:,.0f} ms (runs: {", ".join(f"{t:.0f}" for t in naive)}) | | | 1× | |
| the same figures from the rollup tables (selectors only) | {rolled_ms:.1f} ms | {percentile(rolled, 0.99):.1f} ms | | {naive_ms / rolled_ms:.0f}× faster | |
{page_row("admin, 90 days", True)}
{page_row("admin, 90 days", False)}
{page_row("supervisor (one team), this month", True)}
{page_row("supervisor (one team), this month", False)}

The rollup job (`promises.tasks.refresh_dashboard_rollups`, every minute):

| run | time |
|---|---|
| from nothing (`full=True`): {rollup_rows:,} rollup rows | {full.duration_ms:,} ms |
| after a minute's work (500 promises made, 2,000 judged, 300 payments): recomputes the days touched | median {incremental_ms:,.0f} ms (runs: {", ".join(f"{r.duration_ms}" for r in incremental)}; days made + due + paid + called: {", ".join(f"{r.made_days}+{r.due_days}+{r.payment_days}+{r.call_days}" for r in incremental)}) |

Rollup and naive figures agree on this data: {same}. The page shows "figures as of" the last
job run; the job runs every minute and each run draws a new cache generation, so figures are
at most one job interval plus one job run behind the data.
"""
    print(section)
    if "--write" in sys.argv and not SMOKE:
        write_section(HEADING, section)


if __name__ == "__main__":
    main()
