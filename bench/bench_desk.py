"""Benchmark of the collector's desk on PostgreSQL: the queue page and the debtor page, server time.

One command, from the project root (PostgreSQL; the database "test_<name>" is made and dropped):

    DATABASE_URL=postgres://crm:crm@127.0.0.1:5432/collections_crm .venv/bin/python bench/bench_desk.py [--write]

Data: 100,000 debtors in three portfolios (Peru, Mexico, Spain) shared by 20 collectors (5,000
each), one debt and one phone each, 300,000 promises (kept, broken, pending) and 300,000 calls
in the last 30 days. The measured collector has 100 follow-ups due now and 4,900 more accounts,
so the queue holds 200 rows (100 follow-ups, the 100 oldest arrears), shown 25 a page; its first
and last pages are measured. One of their debtors has a
200-entry history (60 calls, 40 promises with their events, 50 payments, 50 messages).

Each page is requested through Django's test client (the whole server side: middleware, session,
views, selectors, templates; no network) REQUESTS times after a warm-up; median and p95 are
reported with the page's query count. Baseline in the same run: a trivial signed-in page (the
change-password form: session, user, a small template), so the ratio shows what the desk costs
beyond Django's own floor on this machine at this moment.
"""

import re
import statistics
import sys
import time
from contextlib import ExitStack, nullcontext
from datetime import datetime
from zoneinfo import ZoneInfo

from common import (
    SMOKE,
    bench_collectors_and_portfolios,
    debtors_insert_generated,
    machine_line,
    require_postgresql,
    throwaway_database,
    write_section,
)

from django.db import connection  # noqa: E402
from desk.views import QUEUE_PAGE_SIZE  # noqa: E402
from debtors.services import debtor_queue_figures_refresh  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

HEADING = "## Collector's desk"
DEBTORS = 100_000
COLLECTORS = 20
PROMISES = 300_000
CALLS = 300_000
FOLLOW_UPS = 100
REQUESTS = 40
WARM_UP = 5
TARGET_MS = 150
CALL_LOG_DEBTORS = 200  # calls logged each way
CALL_LOG_TARGET_MS = 8
if SMOKE:
    DEBTORS, PROMISES, CALLS, FOLLOW_UPS, REQUESTS, WARM_UP = 2_000, 2_000, 2_000, 20, 2, 1
    CALL_LOG_DEBTORS = 10
QUEUE_ROWS = 2 * FOLLOW_UPS  # follow-ups due now, then as many accounts (calls.selectors.QUEUE_LIMIT)
# A Wednesday morning in Lima: most debtors are callable, Spain's are in their afternoon.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/Lima"))


def build() -> dict:
    params = {
        **bench_collectors_and_portfolios(COLLECTORS),
        "now": NOW,
        "debtors": DEBTORS,
        "promises": PROMISES,
        "calls": CALLS,
        "follow_ups": FOLLOW_UPS,
    }
    with connection.cursor() as cursor:
        params["d0"] = debtors_insert_generated(cursor, params)
        cursor.execute(
            """
            INSERT INTO debtors_debt (debtor_id, account_reference, product, original_amount, balance, currency, due_date,
                created_at, updated_at)
            SELECT d.id, 'ACC-' || d.id, 'Tarjeta', 2000, 100 + d.id %% 1900, 'PEN', %(now)s::date - (10 + d.id %% 400)::int, %(now)s, %(now)s
            FROM debtors_debtor d
            """,
            params,
        )
        debtor_queue_figures_refresh(where="true")  # the queue's stored figures, as the import leaves them
        cursor.execute(
            """
            INSERT INTO debtors_phone (debtor_id, number, kind, relationship, contact_name, status, sms_consent,
                sms_consent_source, sms_consent_at, whatsapp_consent, whatsapp_consent_source, whatsapp_consent_at, created_at)
            SELECT d.id, '+519' || lpad((10000000 + d.id)::text, 8, '0'), 'mobile', 'own', '', 'valid', false, '', NULL,
                   false, '', NULL, %(now)s
            FROM debtors_debtor d
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO promises_promise (debtor_id, collector_id, amount, currency, due_date, grace_days, lapses_at,
                kept_threshold, partial_threshold, status, resolved_at, created_at)
            SELECT %(d0)s + (g %% %(debtors)s), %(c0)s + (g %% %(ncollectors)s), 200, 'PEN', %(now)s::date + (g %% 60 - 30)::int, 2,
                   %(now)s - interval '28 days' + (g %% 60) * interval '1 day', 200, 100,
                   CASE g %% 3 WHEN 0 THEN 'kept' WHEN 1 THEN 'broken' ELSE 'pending' END,
                   CASE WHEN g %% 3 = 2 THEN NULL ELSE %(now)s - interval '5 days' END, %(now)s - interval '40 days'
            FROM generate_series(1, %(promises)s) AS g
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO calls_call (debtor_id, collector_id, channel, direction, started_at, outcome, stance, stance_reason,
                commitment, no_commitment_reason, notes, created_at, local_time, local_time_zone, policy_code,
                policy_decision, override_reason)
            SELECT %(d0)s + (g * 7 %% %(debtors)s), %(c0)s, 'voice', 'outbound', %(now)s - (g %% 43200) * interval '1 minute',
                   CASE WHEN g %% 4 = 0 THEN 'right_party' ELSE 'no_answer' END, '', '', '', '', '', %(now)s, '', '', '', '', ''
            FROM generate_series(1, %(calls)s) AS g
            """,
            params,
        )
        # The measured collector's follow-ups due now, and closed ones of other collectors as noise.
        cursor.execute(
            """
            INSERT INTO calls_followup (debtor_id, assigned_to_id, due_at, reason, subject_key, status, note,
                created_by_job, created_at, closed_at)
            SELECT d.id, d.assigned_to_id, %(now)s - (row_number() OVER (ORDER BY d.id)) * interval '1 minute',
                   CASE WHEN d.id %% 2 = 0 THEN 'broken_promise' ELSE 'callback' END, 'bench:' || d.id,
                   CASE WHEN d.assigned_to_id = %(c0)s AND d.id < %(d0)s + %(follow_ups)s * %(ncollectors)s THEN 'open' ELSE 'done' END,
                   '', 'bench', %(now)s,
                   CASE WHEN d.assigned_to_id = %(c0)s AND d.id < %(d0)s + %(follow_ups)s * %(ncollectors)s THEN NULL ELSE %(now)s END
            FROM debtors_debtor d WHERE d.id %% 5 = 0 OR d.assigned_to_id = %(c0)s AND d.id < %(d0)s + %(follow_ups)s * %(ncollectors)s
            """,
            params,
        )
        cursor.execute("SELECT count(*) FROM calls_followup WHERE assigned_to_id = %(c0)s AND status = 'open'", params)
        params["open_follow_ups"] = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM debtors_debtor WHERE assigned_to_id = %(c0)s", params)
        params["story"] = cursor.fetchone()[0]
        # The debtor with a 200-entry history.
        cursor.execute(
            """
            INSERT INTO calls_call (debtor_id, collector_id, channel, direction, started_at, outcome, stance, stance_reason,
                commitment, no_commitment_reason, notes, created_at, local_time, local_time_zone, policy_code,
                policy_decision, override_reason)
            SELECT %(story)s, %(c0)s, 'voice', 'outbound', %(now)s - g * interval '2 days', 'right_party', '', '', 'promise',
                   '', 'Nota de la llamada ' || g, %(now)s, '', '', '', '', ''
            FROM generate_series(1, 60) AS g;
            INSERT INTO promises_promise (debtor_id, collector_id, amount, currency, due_date, grace_days, lapses_at,
                kept_threshold, partial_threshold, status, resolved_at, created_at)
            SELECT %(story)s, %(c0)s, 150, 'PEN', %(now)s::date - (g * 3)::int, 0, %(now)s - g * interval '3 days', 150, 75,
                   CASE g %% 2 WHEN 0 THEN 'kept' ELSE 'broken' END, %(now)s - g * interval '3 days', %(now)s - g * interval '4 days'
            FROM generate_series(1, 40) AS g;
            INSERT INTO promises_promiseevent (promise_id, from_status, to_status, at, cause, note)
            SELECT p.id, 'pending', p.status, p.resolved_at, 'job', '' FROM promises_promise p WHERE p.debtor_id = %(story)s AND p.amount = 150;
            INSERT INTO promises_payment (debtor_id, amount, currency, paid_at, reference, source, created_at)
            SELECT %(story)s, 75, 'PEN', %(now)s - g * interval '3 days', 'BENCH-' || g, 'import', %(now)s
            FROM generate_series(1, 50) AS g;
            INSERT INTO promises_message (debtor_id, channel, purpose, recipient, language, subject, body, idempotency_key,
                status, send_after, attempts, provider_message_id, last_error, created_at, sent_at,
                template_name, template_params, placeholder_values)
            SELECT %(story)s, 'sms', 'reminder', '+51910000001', 'es', '', 'Recordatorio ' || g, 'bench:' || g, 'sent',
                   %(now)s - g * interval '3 days', 1, 'file:' || g, '', %(now)s - g * interval '3 days', %(now)s - g * interval '3 days',
                   '', '[]', '{}'
            FROM generate_series(1, 50) AS g;
            """,
            params,
        )
        cursor.execute("ANALYZE")
    from collections_crm.users.models import User

    params["collector"] = User.objects.get(pk=params["c0"])
    return params


def scores_insert(data: dict) -> None:
    """Every debtor scored, half of each portfolio under each of two strategies (weights 1.5 and
    0.8, a contact cost): the queue then ranks by expected recovery, as after the nightly job."""
    from promises.models import Strategy

    for portfolio_id in (data["p0"], data["p1"], data["p2"]):
        Strategy.objects.create(portfolio_id=portfolio_id, name="Llamada", queue_weight="1.5", contact_cost="2")
        Strategy.objects.create(portfolio_id=portfolio_id, name="Mensaje", queue_weight="0.8")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO debtors_debtorscore (debtor_id, portfolio_id, probability, model_version, reasons, scored_at,
                segment_id, segment_name, strategy_id, strategy_name, test_id, test_arm)
            SELECT d.id, d.portfolio_id, ((d.id * 7919) %% 1000) / 1000.0, 'bench', '[]', %(now)s,
                   NULL, 'Bench', s.id, s.name, NULL, ''
            FROM debtors_debtor d
            JOIN promises_strategy s ON s.portfolio_id = d.portfolio_id
                AND s.name = CASE WHEN d.id %% 2 = 0 THEN 'Llamada' ELSE 'Mensaje' END;
            ANALYZE debtors_debtorscore;
            """,
            data,
        )


def measure(client, url: str) -> dict:
    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200, url
    connection.queries_log.clear()  # a full log (maxlen) would make every count read 0
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[int(len(timings) * 0.95) - 1],
        "queries": len(queries),
        "sql_ms": sum(float(query["time"]) for query in queries.captured_queries) * 1000,
        "slowest": sorted(queries.captured_queries, key=lambda query: -float(query["time"]))[:2],
        "html": response.content.decode(),
    }


def measure_call_log(data: dict) -> dict:
    """`call_log`'s service time (no HTTP): a plain unanswered call, then a call with a promise,
    on CALL_LOG_DEBTORS of the collector's Peruvian debtors; the same calls logged with the former
    validation (`full_clean()`: a SELECT per constraint and foreign key) alternate with ours, so
    both see the same machine."""
    from datetime import date
    from decimal import Decimal
    from unittest import mock

    from calls import services as call_services
    from calls.services import attempts as call_attempts
    from debtors.models import Debtor
    from promises.services import commitments as promise_services  # where save_checked is looked up

    def former_validation(instance, **_options) -> None:
        instance.full_clean()
        instance.save()

    debtors = list(
        Debtor.objects.filter(assigned_to_id=data["c0"], portfolio_id=data["p0"])
        .exclude(pk=data["story"])
        .prefetch_related("phones")
        .order_by("pk")[: 2 * CALL_LOG_DEBTORS]
    )
    timings = {"ours": {"plain": [], "promise": []}, "former": {"plain": [], "promise": []}}
    statements = {}
    for n, debtor in enumerate(debtors):
        way = "ours" if n % 2 == 0 else "former"
        phone = debtor.phones.all()[0]
        for kind, fields in (
            ("plain", {"outcome": "no_answer"}),
            (
                "promise",
                {
                    "outcome": "right_party",
                    "commitment": "promise",
                    "promise_amount": Decimal("150"),
                    "promise_date": date(2026, 11, 25),
                },
            ),
        ):
            with ExitStack() as patches:
                if way == "former":
                    patches.enter_context(mock.patch.object(call_attempts, "save_checked", former_validation))
                    patches.enter_context(mock.patch.object(promise_services, "save_checked", former_validation))
                # Statements counted on the first call of each kind; the debug cursor that counts
                # them would slow the timed calls down (the more statements, the more).
                counting = (way, kind) not in statements
                with CaptureQueriesContext(connection) if counting else nullcontext() as queries:
                    started = time.perf_counter()
                    try:
                        call_services.call_log(debtor=debtor, collector=data["collector"], phone=phone, **fields)
                    except call_services.ContactBlocked:
                        continue  # a debtor on hold (the data has some): nothing to time
                    elapsed = (time.perf_counter() - started) * 1000
                if counting:
                    statements[way, kind] = len(queries)
                    if "--statements" in sys.argv and way == "ours":
                        print(f"== call_log, {kind}")
                        for query in queries.captured_queries:
                            print(f"   {query['sql'][:400]}")
                else:
                    timings[way][kind].append(elapsed)
    return {
        (way, kind): {"median": statistics.median(values), "statements": statements[way, kind], "n": len(values)}
        for way, kinds in timings.items()
        for kind, values in kinds.items()
    }


def profile(client, urls: list[str]) -> None:
    """--profile: where the server time goes, per page (cProfile, cumulative and own time)."""
    import cProfile
    import pstats

    for url in urls:
        for _ in range(WARM_UP):
            client.get(url)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            client.get(url)
        profiler.disable()
        print(f"== {url}")
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    require_postgresql()
    import time_machine
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    # The test client's host name; not setup_test_environment(), whose instrumented template
    # rendering (a signal and a context copy per template) would inflate the figures.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with throwaway_database():
        started = time.perf_counter()
        data = build()
        print(
            f"data built in {time.perf_counter() - started:.1f} s; {data['open_follow_ups']} follow-ups due for the collector"
        )
        client = Client()
        client.force_login(data["collector"])
        # The clock stands still at NOW for verdicts and "due now"; it ticks so that timings are real.
        with time_machine.travel(NOW, tick=True):
            if "--profile" in sys.argv:
                profile(client, [reverse("home"), reverse("debtors:detail", args=[data["story"]])])
                return
            results = {
                "baseline": measure(client, reverse("password_change")),
                "queue": measure(client, reverse("home")),
                "queue_last": measure(client, f"{reverse('home')}?page={-(-QUEUE_ROWS // QUEUE_PAGE_SIZE)}"),
                "debtor": measure(client, reverse("debtors:detail", args=[data["story"]])),
            }
            scores_insert(data)
            results["queue_scored"] = measure(client, reverse("home"))
            logging = measure_call_log(data)
    queue_rows = len(re.findall(r'<td><a href="/debtors/\d+/"', results["queue"]["html"]))
    last_rows = len(re.findall(r'<td><a href="/debtors/\d+/"', results["queue_last"]["html"]))
    timeline_entries = results["debtor"]["html"].count('<li class="timeline-')
    base = results["baseline"]["median"]
    rows = []
    for key, label in (
        ("baseline", "baseline: change-password page (session, user, small form)"),
        ("queue", f"queue, first page: {queue_rows} of {QUEUE_ROWS} rows"),
        ("queue_last", f"queue, last page: {last_rows} of {QUEUE_ROWS} rows"),
        ("queue_scored", "queue, first page, every debtor scored: ranked by expected recovery"),
        ("debtor", f"debtor page, {timeline_entries}-entry history"),
    ):
        result = results[key]
        ratio = "1×" if key == "baseline" else f"{result['median'] / base:.1f}×"
        verdict = "" if key == "baseline" else (" ✔" if result["p95"] < TARGET_MS else " ✘ over target")
        rows.append(
            f"| {label} | {result['median']:.1f} ms | {result['p95']:.1f} ms{verdict} | {result['queries']} | {result['sql_ms']:.0f} ms | {ratio} |"
        )
        print(rows[-1])
        if "--explain" in sys.argv:
            for query in result["slowest"]:
                print(f"   {float(query['time']) * 1000:.1f} ms: {query['sql'][:300]}")
    log_rows = []
    for kind, label in (("plain", "an unanswered call"), ("promise", "a call with a promise")):
        ours, former = logging["ours", kind], logging["former", kind]
        label = f"{label} ({ours['n']} + {former['n']} calls)"
        verdict = " ✔" if ours["median"] <= CALL_LOG_TARGET_MS else " ✘ over target"
        log_rows.append(
            f"| `call_log`, {label} | {ours['median']:.1f} ms{verdict} ({ours['statements']} statements) | "
            f"{former['median']:.1f} ms ({former['statements']} statements) | {former['median'] / ours['median']:.1f}× |"
        )
        print(log_rows[-1])
    section = "\n".join(
        [
            HEADING,
            "",
            "`bench/bench_desk.py`: server time through Django's test client (middleware, session, views,",
            f"selectors, templates), {REQUESTS} requests after {WARM_UP} warm-up ones, on PostgreSQL with",
            f"{DEBTORS:,} debtors, {PROMISES:,} promises and {CALLS:,} calls; the collector holds {DEBTORS // COLLECTORS:,}",
            f"accounts and {data['open_follow_ups']} follow-ups due now. Target: under {TARGET_MS} ms (p95) for the",
            f"queue ({QUEUE_ROWS} rows, {QUEUE_PAGE_SIZE} a page) and the debtor page with a 200-entry history, in a fixed number of queries",
            "(pinned in tests/calls/test_desk_scale.py; 3 fewer here: the compiled contact policy is cached).",
            "",
            machine_line(),
            "",
            "| page | median | p95 | queries | SQL (one request) | × baseline |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "How: the queue ranks accounts by expected recovery (probability × the open balance stored on",
            "each debtor × the strategy's queue weight − its contact cost), debtors not scored yet after, by the",
            "arrears date stored on each debtor. It reads the collector's 5,000 entries of `debtor_queue_rank_idx`",
            "(kept by the services that change debts, checked nightly) and each one's score by primary key, the",
            "strategies' weights inlined, and keeps the top 100, instead of summing the 5,000-account book; the",
            "rows' own figures are computed live. (Ranking by the stored arrears date alone, before scores, read 100 index entries:",
            "14 ms of SQL on the first page on 2026-12-04; a join to the scores let PostgreSQL hash the",
            "whole score table, 100,000 rows here, 46 ms, and growing with every portfolio.)",
            f'Every page ranks and judges the whole {QUEUE_ROWS}-row queue (its order is "next debtor"\'s)',
            f"and renders its {QUEUE_PAGE_SIZE} rows from the template; a history entry's texts (labels, amounts,",
            "both clocks) are looked up once per page and the template prints them in one shape for every kind,",
            "contact-policy windows are worked out once per policy, and the call form's radio groups are",
            "rendered once per context and language.",
            "",
            f"Logging a call, service time without HTTP, median of {CALL_LOG_DEBTORS} calls each way on the same data, the",
            "two ways alternating. Before: `full_clean()` re-checked every check constraint and foreign key with a",
            "query of its own. Now the service checks what a user can get wrong, with its own messages, and the",
            "INSERT enforces the constraints (a violation is still a message, never a 500). A promise reads the",
            "portfolio, its promise rules, its arrangement limits and the debtor's balance in one query (four before)",
            f"and is made inside call_log's transaction, without a savepoint of its own. Target: {CALL_LOG_TARGET_MS} ms.",
            "",
            "| service | now | former validation (same run) | ratio |",
            "|---|---|---|---|",
            *log_rows,
            "",
        ]
    )
    if "--write" in sys.argv and not SMOKE:
        write_section(HEADING, section)
        print("written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
