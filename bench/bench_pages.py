"""Every page and API list a collector, a supervisor and an admin reach, at scale, on either database.

One command, from the project root (a throwaway database is made and dropped):

    DATABASE_URL=postgres://crm:crm@127.0.0.1:5432/collections_crm .venv/bin/python bench/bench_pages.py [--write]
    .venv/bin/python bench/bench_pages.py [--write]          # the embedded SQLite default
    .venv/bin/python bench/bench_pages.py --smoke            # tiny data, seconds; exits non-zero on error

Data (set-based: INSERT … SELECT over generate_series on PostgreSQL, a recursive CTE on SQLite):
1,000,000 debtors on PostgreSQL, 200,000 on SQLite (`--debtors N` to change), in six portfolios of
three creditors (PEN, MXN, EUR), 200 collectors in ten teams with a supervisor each, and an admin.
Per debtor: one debt (one in five a second, one in fifty recalled), one phone; one call per debtor
over the last 30 days, half a promise (kept, partially kept, broken, pending), a payment for each
kept or partially kept one; follow-ups for about one debtor in six, open (due over the last five
days or the next hours) for one in ten; one debtor in twenty unassigned. Dashboard rollups and the queue's stored figures are computed as the
jobs leave them.

Each URL is requested through Django's test client, signed in (the whole server side: middleware,
session, view, selectors, template; no network): one warm-up, then REQUESTS times (three when the warm-up took over 3 s). Every URL of the
list is tried for every role; a role "reaches" a URL when it answers 200 (a 403/404 is the scope
rule at work and is listed apart); any 5xx is an error. Reported per URL, slowest first: median and
p95 server time and the number of queries. Targets: p95 under 300 ms on PostgreSQL at 1,000,000
debtors, under 1 s on SQLite at 200,000.
"""

import argparse
import logging
import statistics
import sys
import time
from datetime import datetime, timedelta, UTC
from zoneinfo import ZoneInfo

from common import kept_database, machine_line, throwaway_database, write_section

from django.db import connection  # noqa: E402

HEADING = "## Pages at scale"
SIZES = {"postgresql": 1_000_000, "sqlite": 200_000}
TARGET_MS = {"postgresql": 300, "sqlite": 1000}
SMOKE_DEBTORS = 400
TEAMS = 10
PER_TEAM = 20  # 200 collectors: 5,000 accounts each at a million debtors
REQUESTS = 10
PASSWORD = "bench-password-42"
# A Wednesday morning in Lima: most debtors are callable, Spain's are in their afternoon.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/Lima"))


# --- Dialect: the same generators on both databases ------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def series(count: str) -> str:
    """Rows g = 1..count (a parameter name) as a FROM item named s."""
    if _pg():
        return f"generate_series(1, %({count})s) AS s(g)"
    return (
        f"(WITH RECURSIVE r(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM r WHERE g < %({count})s) SELECT g FROM r) AS s"
    )


def minutes_ago(expr: str) -> str:
    if _pg():
        return f"(%(now)s - ({expr}) * interval '1 minute')"
    return f"datetime(%(now)s, (-({expr})) || ' minutes')"


def days_from_now(expr: str) -> str:
    """The date `expr` days after today (negative: before)."""
    if _pg():
        return f"(%(now)s + ({expr}) * interval '1 day')::date"
    return f"date(%(now)s, ({expr}) || ' days')"


def moment_days_from_now(expr: str) -> str:
    if _pg():
        return f"(%(now)s + ({expr}) * interval '1 day')"
    return f"datetime(%(now)s, ({expr}) || ' days')"


# --- Data -------------------------------------------------------------------------------------


def build(debtors: int) -> dict:
    from collections_crm.users.models import Role, Team
    from collections_crm.users.services import user_create
    from debtors.models import Creditor, Portfolio

    admin = user_create(username="bench-admin", password=PASSWORD, role=Role.ADMIN)
    supervisors = [user_create(username=f"bench-sup{t}", password=PASSWORD, role=Role.SUPERVISOR) for t in range(TEAMS)]
    teams = [
        Team.objects.create(name=f"Bench team {t}", supervisor=supervisor) for t, supervisor in enumerate(supervisors)
    ]
    # Made in one go so that their ids are consecutive (the generators count from the first).
    collectors = [
        user_create(username=f"bench-c{t}-{c}", password=PASSWORD, role=Role.COLLECTOR, team=team)
        for t, team in enumerate(teams)
        for c in range(PER_TEAM)
    ]
    creditors = [Creditor.objects.create(name=f"Bench creditor {n}") for n in range(3)]
    markets = (
        ("PE", "PEN", "America/Lima", "pe"),
        ("MX", "MXN", "America/Mexico_City", "mx_fin"),
        ("ES", "EUR", "Europe/Madrid", "es"),
    )
    portfolios = []
    for n in range(6):
        country, currency, zone, preset = markets[n % 3]
        portfolios.append(
            Portfolio.objects.create(
                name=f"Bench {n}",
                creditor=creditors[n % 3],
                country=country,
                currency=currency,
                default_time_zone=zone,
                contact_policy_preset=preset,
            )
        )
    now = NOW.astimezone(UTC)
    params = {
        # SQLite keeps datetimes as UTC text; PostgreSQL takes the aware value.
        "now": now if _pg() else now.strftime("%Y-%m-%d %H:%M:%S"),
        "p0": portfolios[0].pk,
        "np": len(portfolios),
        "c0": collectors[0].pk,
        "nc": len(collectors),
        "debtors": debtors,
    }
    assert [p.pk for p in portfolios] == list(range(params["p0"], params["p0"] + 6))
    assert [c.pk for c in collectors] == list(range(params["c0"], params["c0"] + len(collectors)))
    false, true = ("false", "true") if _pg() else ("0", "1")
    currency = "CASE (d.portfolio_id - %(p0)s) %% 3 WHEN 0 THEN 'PEN' WHEN 1 THEN 'MXN' ELSE 'EUR' END"
    with connection.cursor() as cursor:
        # Portfolio g mod 6, collector g mod 200 (one debtor in twenty unassigned), one in a hundred disputed.
        cursor.execute(
            f"""
            INSERT INTO debtors_debtor (portfolio_id, external_id, national_id, full_name, email, time_zone, language,
                assigned_to_id, hold_do_not_contact, hold_cease, hold_dispute, hold_lawsuit, hold_insolvency,
                hold_deceased, open_balance, created_at, updated_at)
            SELECT %(p0)s + (g %% %(np)s), 'B' || g, 'N' || (g * 37 %% 100000000),
                   CASE g %% 5 WHEN 0 THEN 'Ana' WHEN 1 THEN 'Luis' WHEN 2 THEN 'María' WHEN 3 THEN 'José' ELSE 'Carmen' END
                       || ' ' || CASE (g / 5) %% 4 WHEN 0 THEN 'García' WHEN 1 THEN 'Pérez' WHEN 2 THEN 'López' ELSE 'Quispe' END
                       || ' ' || g,
                   '', CASE g %% 3 WHEN 0 THEN 'America/Lima' WHEN 1 THEN 'America/Mexico_City' ELSE 'Europe/Madrid' END,
                   'es', CASE WHEN g %% 20 = 7 THEN NULL ELSE %(c0)s + (g %% %(nc)s) END,
                   {false}, {false}, g %% 100 = 0, {false}, {false}, {false}, 0, %(now)s, %(now)s
            FROM {series("debtors")}
            """,
            params,
        )
        cursor.execute("SELECT min(id) FROM debtors_debtor")
        params["d0"] = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO debtors_debt (debtor_id, account_reference, product, original_amount, balance, currency, due_date,
                recalled_on, created_at, updated_at)
            SELECT d.id, 'ACC-' || d.id, 'Tarjeta', 2000, 100 + d.id %% 1900, {currency}, {days_from_now("-(10 + d.id %% 400)")},
                   CASE WHEN d.id %% 50 = 3 THEN {days_from_now("-5")} END, %(now)s, %(now)s
            FROM debtors_debtor d
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO debtors_debt (debtor_id, account_reference, product, original_amount, balance, currency, due_date,
                recalled_on, created_at, updated_at)
            SELECT d.id, 'LOAN-' || d.id, 'Préstamo', 5000, 500 + d.id %% 4500, {currency}, {days_from_now("-(30 + d.id %% 200)")},
                   NULL, %(now)s, %(now)s
            FROM debtors_debtor d WHERE d.id %% 5 = 1
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO debtors_phone (debtor_id, number, kind, relationship, contact_name, status, sms_consent,
                sms_consent_source, sms_consent_at, whatsapp_consent, whatsapp_consent_source, whatsapp_consent_at, created_at)
            SELECT d.id, '+519' || (10000000 + d.id), 'mobile', 'own', '', 'valid', {false}, '', NULL, {false}, '', NULL, %(now)s
            FROM debtors_debtor d
            """,
            params,
        )
        # One call per debtor over the last 30 days, made by the debtor's collector.
        cursor.execute(
            f"""
            INSERT INTO calls_call (debtor_id, collector_id, channel, direction, started_at, outcome, stance, stance_reason,
                commitment, no_commitment_reason, notes, created_at, local_time, local_time_zone, policy_code,
                policy_decision, override_reason)
            SELECT d.id, COALESCE(d.assigned_to_id, %(c0)s), 'voice', 'outbound', {minutes_ago("(d.id * 7) %% 43200")},
                   CASE WHEN d.id %% 4 = 0 THEN 'right_party' ELSE 'no_answer' END, '', '', '', '', '', %(now)s, '', '', '', '', ''
            FROM debtors_debtor d
            """,
            params,
        )
        # Half a promise per debtor, made over the last 90 days, due 1–30 days after.
        cursor.execute(
            f"""
            INSERT INTO promises_promise (debtor_id, collector_id, amount, currency, due_date, grace_days, lapses_at,
                kept_threshold, partial_threshold, status, resolved_at, created_at)
            SELECT d.id, COALESCE(d.assigned_to_id, %(c0)s), 100 + (d.id %% 50) * 10, {currency},
                   {days_from_now("(d.id %% 120) - 90")}, 2, {moment_days_from_now("(d.id %% 120) - 88")},
                   100 + (d.id %% 50) * 10, 50 + (d.id %% 50) * 5,
                   CASE WHEN (d.id %% 120) - 88 > 0 THEN 'pending'
                        WHEN d.id %% 10 < 5 THEN 'kept' WHEN d.id %% 10 < 7 THEN 'broken'
                        WHEN d.id %% 10 < 9 THEN 'partially_kept' ELSE 'cancelled' END,
                   CASE WHEN (d.id %% 120) - 88 > 0 THEN NULL ELSE {moment_days_from_now("(d.id %% 120) - 88")} END,
                   {moment_days_from_now("(d.id %% 120) - 100")}
            FROM debtors_debtor d WHERE d.id %% 2 = 0
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO promises_payment (debtor_id, credited_to_id, amount, currency, paid_at, reference, source, created_at)
            SELECT debtor_id, collector_id, CASE WHEN status = 'kept' THEN amount ELSE partial_threshold END, currency,
                   resolved_at, 'BENCH-' || id, 'import', resolved_at
            FROM promises_promise WHERE status IN ('kept', 'partially_kept')
            """
        )
        # A follow-up for one debtor in ten with a collector: one in four still open, due over the last days.
        cursor.execute(
            f"""
            INSERT INTO calls_followup (debtor_id, assigned_to_id, due_at, reason, subject_key, status, note,
                created_by_job, created_at, closed_at)
            SELECT d.id, d.assigned_to_id, {minutes_ago("(d.id * 13) %% 7200 - 600")},
                   CASE WHEN d.id %% 2 = 0 THEN 'broken_promise' ELSE 'callback' END, 'bench:' || d.id,
                   CASE WHEN d.id %% 40 < 4 THEN 'open' ELSE 'done' END, '', 'bench', %(now)s,
                   CASE WHEN d.id %% 40 < 4 THEN NULL ELSE %(now)s END
            FROM debtors_debtor d WHERE d.id %% 10 = 0 AND d.assigned_to_id IS NOT NULL
               OR d.id %% 40 < 4 AND d.assigned_to_id IS NOT NULL
            """,
            params,
        )
    from debtors.services import debtor_queue_figures_refresh
    from supervision.services import promise_rollups_refresh

    debtor_queue_figures_refresh(where="1 = 1")  # the queue's stored figures, as an import leaves them
    few_objects(params, admin, supervisors, collectors, portfolios)
    promise_rollups_refresh(full=True)
    stored_figures_refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if _pg() else "ANALYZE")
    return {"admin": admin, "supervisor": supervisors[0], "collector": collectors[0], "params": params}


def stored_figures_refresh() -> None:
    """The figures the periodic jobs store for the pages, as the jobs leave them (timed: the jobs'
    cost is what the pages no longer pay)."""
    from debtors.services import portfolio_figures_refresh
    from supervision.services import balance_rollups_refresh

    started = time.perf_counter()
    result = balance_rollups_refresh()
    print(f"balance rollups: {result.rows:,} rows in {(time.perf_counter() - started) * 1000:.0f} ms", flush=True)
    started = time.perf_counter()
    counted = portfolio_figures_refresh()
    print(f"portfolio figures: {counted} portfolios in {(time.perf_counter() - started) * 1000:.0f} ms", flush=True)


def few_objects(params, admin, supervisors, collectors, portfolios) -> None:
    """What no page lists by the million but each has a page for: an import, an arrangement awaiting
    approval, a reviewed call."""
    from calls.models import Call, CallReview
    from debtors.models import Debtor, ImportJob
    from promises.models import Arrangement

    debtor = Debtor.objects.filter(assigned_to=collectors[0]).order_by("pk").first()
    ImportJob.objects.create(
        kind="portfolio",
        portfolio=portfolios[0],
        file="imports/bench.csv",
        original_name="bench.csv",
        whole_portfolio=False,
        dry_run=False,
        language="es",
        status="done",
        rows_total=params["debtors"],
        rows_done=params["debtors"],
        created_count=params["debtors"],
        created_by=admin,
        started_at=NOW,
        finished_at=NOW,
    )
    Arrangement.objects.create(
        debtor=debtor,
        kind="instalments",
        status="active",
        total_amount=1200,
        discount_amount=300,
        currency="PEN",
        created_by=collectors[0],
        created_at=NOW,
        approval_status="pending",
    )
    call = Call.objects.filter(debtor=debtor).first()
    CallReview.objects.create(
        call=call,
        collector=collectors[0],
        reviewer=supervisors[0],
        identified=True,
        kept_control=True,
        told_objection_from_situation=True,
        offered_options=True,
        obtained_commitment=False,
        read_back=True,
        respectful=True,
        score=6,
        comments="",
        call_started_at=call.started_at,
        reviewed_at=NOW,
    )


def rebuilt() -> dict | None:
    """The users of a kept database built by an earlier run, or None when it is empty."""
    from collections_crm.users.models import User

    admin = User.objects.filter(username="bench-admin").first()
    if admin is None:
        return None
    return {
        "admin": admin,
        "supervisor": User.objects.get(username="bench-sup0"),
        "collector": User.objects.get(username="bench-c0-0"),
    }


# --- Requests ---------------------------------------------------------------------------------


def urls(built: dict) -> list[str]:
    """Every page and API list of the product, and each admin list and change page."""
    from django.contrib import admin as django_admin
    from django.urls import reverse

    from calls.models import Call
    from debtors.models import Debt, Debtor, ImportJob, Portfolio

    collector = built["collector"]
    debtor = Debtor.objects.filter(assigned_to=collector).order_by("pk").first()
    debt = Debt.objects.filter(debtor=debtor).first()
    portfolio = Portfolio.objects.order_by("pk").first()
    job = ImportJob.objects.order_by("pk").first()
    call = Call.objects.filter(debtor=debtor).first()
    today = NOW.date()
    ninety = (today - timedelta(days=89)).isoformat()
    pages = [
        "/",
        reverse("preferences"),
        reverse("password_change"),
        reverse("debtors:list"),
        reverse("debtors:list") + "?q=Quispe",
        reverse("debtors:list") + f"?q=B{debtor.external_id[1:]}",
        reverse("debtors:list") + "?page=50",
        reverse("debtors:detail", args=[debtor.pk]),
        reverse("debtors:portfolios"),
        reverse("debtors:portfolio_assign", args=[portfolio.pk]),
        reverse("debtors:imports"),
        reverse("debtors:import_new"),
        reverse("debtors:import_detail", args=[job.pk]),
        reverse("calls:queue"),
        reverse("calls:queue") + "?page=3",
        reverse("calls:queue_next"),
        reverse("promises:dashboard"),
        reverse("promises:dashboard") + "?period=month",
        reverse("promises:dashboard") + f"?period=range&start={ninety}&end={today.isoformat()}",
        reverse("promises:figures_export"),
        reverse("promises:promises_behind") + "?status=broken&period=month",
        reverse("promises:calls_behind") + "?period=month",
        reverse("promises:payments_behind") + "?period=month",
        reverse("promises:debts_behind"),
        reverse("promises:health"),
        reverse("promises:reassign"),
        reverse("promises:approvals"),
        reverse("review:list"),
        reverse("review:mine"),
        reverse("review:call", args=[call.pk]),
    ]
    api = [
        "/api/v1/debtors/",
        "/api/v1/debtors/?search=Quispe",
        f"/api/v1/debtors/{debtor.pk}/",
        f"/api/v1/debtors/{debtor.pk}/contact-verdict/",
        "/api/v1/debts/",
        f"/api/v1/debts/{debt.pk}/",
        "/api/v1/calls/",
        "/api/v1/promises/",
        "/api/v1/promises/?status=pending",
        "/api/v1/follow-ups/",
        "/api/v1/imports/",
        f"/api/v1/imports/{job.pk}/",
    ]
    admin_pages = ["/admin/"]
    for model in django_admin.site._registry:
        opts = model._meta
        admin_pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            admin_pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
    admin_pages.append(reverse("admin:debtors_debtor_changelist") + "?q=Quispe")
    return pages + api + admin_pages


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(client, url: str, requests: int) -> dict | int:
    """Timings and query count of one URL, or its status code when it does not answer 200."""
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted by a wrapper: Django empties its own query log when a request starts.
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        first_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        return response.status_code
    if first_ms > 30_000:  # a stalled page: one sample says enough, and the run goes on
        return {"median": first_ms, "p95": first_ms, "queries": len(queries), "first": first_ms}
    if first_ms > 3_000:  # a slow page: three samples, so that the run ends the same day
        requests = min(requests, 3)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            return response.status_code
    return {
        "median": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "queries": len(queries),
        "first": first_ms,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data, two requests a URL; exits non-zero on error")
    parser.add_argument("--write", action="store_true", help="record the figures in docs/benchmarks.md")
    parser.add_argument(
        "--debtors", type=int, help="number of debtors (default: 1,000,000 on PostgreSQL, 200,000 on SQLite)"
    )
    parser.add_argument("--only", help="measure only the URLs containing this text")
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="build into database NAME and keep it; a later run with the same NAME migrates it and measures "
        "at once (for working on one page without rebuilding a million debtors each time)",
    )
    args = parser.parse_args()

    import signal

    import time_machine
    from django.conf import settings
    from django.test import Client

    # Refusals (403/404) are expected here, one logged traceback each; 5xx are still logged.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    # Stopped (kill, or ^C when started in the background) still drops the throwaway database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)

    vendor = connection.vendor
    debtors = SMOKE_DEBTORS if args.smoke else (args.debtors or SIZES.get(vendor, 200_000))
    requests = 2 if args.smoke else REQUESTS
    target = TARGET_MS.get(vendor, 1000)
    settings.DEBUG = False  # no query log kept in memory while timing
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # 45 users, not 45 × 0.3 s
    errors, results, unreached = [], [], []
    database = kept_database(args.keep) if args.keep else throwaway_database()
    with database, time_machine.travel(NOW, tick=True):
        started = time.perf_counter()
        built = rebuilt() if args.keep else None
        if built is None:
            built = build(debtors)
            build_s = time.perf_counter() - started
            print(f"built {debtors:,} debtors in {build_s:.0f} s", flush=True)
        else:
            build_s = 0
            print(f"measuring the data kept in {connection.settings_dict['NAME']}", flush=True)
            stored_figures_refresh()  # a kept database may predate a job's table
        with connection.cursor() as cursor:
            counts = {}
            for table in (
                "debtors_debtor",
                "debtors_debt",
                "calls_call",
                "promises_promise",
                "promises_payment",
                "calls_followup",
            ):
                cursor.execute(f"SELECT count(*) FROM {table}")
                counts[table] = cursor.fetchone()[0]
        all_urls = [u for u in urls(built) if not args.only or args.only in u]
        for role in ("collector", "supervisor", "admin"):
            client = Client(raise_request_exception=False)
            client.force_login(built[role])
            for url in all_urls:
                try:
                    result = measure(client, url, requests)
                except Exception as error:  # noqa: BLE001 — reported, the run goes on
                    result = f"{type(error).__name__}: {error}"
                if isinstance(result, dict):
                    results.append((role, url, result))
                    flag = "  OVER TARGET" if result["p95"] > target else ""
                    print(
                        f"{role:10} {url:70} median {result['median']:8.1f} ms  p95 {result['p95']:8.1f} ms  {result['queries']:3} queries{flag}",
                        flush=True,
                    )
                elif isinstance(result, int) and result < 500:
                    unreached.append((role, url, result))
                else:
                    errors.append((role, url, result))
                    print(f"{role:10} {url:70} ERROR {result}", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    results.sort(key=lambda r: -r[2]["p95"])
    over = [r for r in results if r[2]["p95"] > target]
    rows = "\n".join(
        f"| {role} | `{url}` | {r['median']:.1f} ms | {r['p95']:.1f} ms | {r['queries']} |" for role, url, r in results
    )
    slowest = results[0] if results else None
    section = f"""{HEADING} ({vendor}, {debtors:,} debtors)

Measured by `bench/bench_pages.py` on {machine_line()} at the end.
Data: {counts["debtors_debtor"]:,} debtors, {counts["debtors_debt"]:,} debts, {counts["calls_call"]:,} calls,
{counts["promises_promise"]:,} promises, {counts["promises_payment"]:,} payments, {counts["calls_followup"]:,} follow-ups;
six portfolios (PEN, MXN, EUR), {TEAMS * PER_TEAM} collectors in {TEAMS} teams; built in {build_s:.0f} s.
{len(results)} URL × role pairs answered 200, each requested {requests} times after one warm-up (Django's test
client, signed in, no network); {len(unreached)} pairs refused by the scope rule (403/404); {len(errors)} errors.
Target: p95 under {target:,} ms. Slowest: {f"`{slowest[1]}` ({slowest[0]}), median {slowest[2]['median']:.0f} ms, p95 {slowest[2]['p95']:.0f} ms, {slowest[2]['queries']} queries" if slowest else "none"}.
Over target: {", ".join(f"`{u}` ({role}, p95 {r['p95']:.0f} ms)" for role, u, r in over) or "none"}.

| role | URL | median | p95 | queries |
|---|---|---|---|---|
{rows}
"""
    print(section)
    for role, url, error in errors:
        print(f"ERROR {role} {url}: {error}", file=sys.stderr)
    if args.write and not args.smoke:
        write_section(f"{HEADING} ({vendor}", section)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
