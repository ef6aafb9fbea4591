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
from datetime import timedelta

from common import kept_database, machine_line, throwaway_database, write_section

from django.db import connection  # noqa: E402
from pages_data import (
    NOW,
    PASSWORD,
    PER_TEAM,
    TEAMS,
    build,
    days_from_now,
    few_objects,
    minutes_ago,
    moment_days_from_now,
    rebuilt,
    series,
    stored_figures_refresh,
)

HEADING = "## Pages at scale"
SIZES = {"postgresql": 1_000_000, "sqlite": 200_000}
TARGET_MS = {"postgresql": 300, "sqlite": 1000}
SMOKE_DEBTORS = 400
REQUESTS = 10

# This script's names, those of the data now built in pages_data included, stay importable from here.
__all__ = [
    "HEADING",
    "NOW",
    "PASSWORD",
    "PER_TEAM",
    "REQUESTS",
    "SIZES",
    "SMOKE_DEBTORS",
    "TARGET_MS",
    "TEAMS",
    "build",
    "days_from_now",
    "few_objects",
    "main",
    "measure",
    "minutes_ago",
    "moment_days_from_now",
    "percentile",
    "rebuilt",
    "series",
    "stored_figures_refresh",
    "urls",
]


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
