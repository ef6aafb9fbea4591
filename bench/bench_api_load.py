"""Load test of the API: 50 concurrent dialer clients logging calls for 30 s on loopback.

One command, from the project root (PostgreSQL; the throwaway database is "test_" + its name):

    DATABASE_URL=postgres://crm:crm@127.0.0.1:5432/collections_crm_w8 VAR_DIR=/tmp/bench-api \\
        .venv/bin/python bench/bench_api_load.py [--write] [--seconds 30] [--clients 50] [--workers 4]

1. Creates a throwaway database with 5 collectors (one API token each) and 2,000 debtors in
   a Peruvian portfolio, each with a debt and a phone, in Lima; the preset's calling hours
   are opened to every hour of every day in that database, so that any run's calls are
   allowed (the policy still evaluates every rule).
2. Starts the app under gunicorn (sync workers, DEBUG off, no throttle) on 127.0.0.1.
3. After a 3 s warm-up (not measured), the baseline, same run: the same clients send the cheapest authenticated request,
   `GET /api/v1/follow-ups/` (token, a count and an empty page), for a third of the time.
4. Load: the clients log calls through `POST /api/v1/calls/` (the desk's `call_log`:
   policy check with the debtor row locked, the call, the phone's status, and for a fifth
   of them a promise): 60 % no answer, 10 % busy, 20 % right party with a promise, 10 %
   right party with no commitment and its reason.
5. Reports p50 / p99 latency, throughput, errors (any answer but 201, and failed
   connections) and the ratios to the baseline; with --write, the "API load" section of
   docs/benchmarks.md.
"""

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import time
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    SMOKE,
    free_port,
    gunicorn_start,
    machine_line,
    require_postgresql,
    throwaway_database,
    write_section,
)

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

SECTION = "## API load"
COLLECTORS = 5
DEBTORS = 2000
if SMOKE:
    DEBTORS = 50
ZONE = "America/Lima"


def open_every_hour() -> None:
    """Every hour of every day in this throwaway database's Peruvian preset, holidays a warning:
    the load measured must not depend on when the benchmark runs (on a weekend no zone had
    lawful hours, and the smoke run failed). The policy still evaluates every rule."""
    from calls.models import ContactRule

    rules = ContactRule.objects.filter(policy__code="pe")
    rules.filter(kind="window").update(params={"weekdays": list(range(7)), "start": "00:00", "end": "23:59:59"})
    rules.filter(kind="holidays").update(mode="warn")


def build_data() -> list[dict]:
    """Collectors with tokens, and their debtors (bulk inserts); returns one work list per collector."""
    from collections_crm.users.models import Role
    from collections_crm.users.services import api_token_issue, user_create
    from debtors.models import Creditor, Debt, Debtor, Phone, Portfolio
    from debtors.services import debtor_queue_figures_refresh

    creditor = Creditor.objects.create(name="Bench Bank")
    portfolio = Portfolio.objects.create(
        name="Bench PE",
        creditor=creditor,
        country="PE",
        currency="PEN",
        default_time_zone="America/Lima",
        contact_policy_preset="pe",
    )
    open_every_hour()
    zone = ZONE
    work = []
    for number in range(COLLECTORS):
        collector = user_create(username=f"dialer{number}", password="bench-password-42", role=Role.COLLECTOR)
        _token, key = api_token_issue(user=collector, name="bench dialer")
        debtors = Debtor.objects.bulk_create(
            Debtor(
                portfolio=portfolio,
                external_id=f"B{number}-{i:05d}",
                full_name=f"Deudor {number}-{i}",
                time_zone=zone,
                assigned_to=collector,
            )
            for i in range(DEBTORS // COLLECTORS)
        )
        Debt.objects.bulk_create(
            Debt(
                debtor=d,
                account_reference=f"A-{d.pk}",
                original_amount=1000,
                balance=1000,
                currency="PEN",
                due_date=datetime(2026, 6, 1).date(),
            )
            for d in debtors
        )
        debtor_queue_figures_refresh(debtor_ids=[d.pk for d in debtors])  # bulk_create skips save()
        phones = Phone.objects.bulk_create(Phone(debtor=d, number=f"+5198{d.pk % 10_000_000:07d}") for d in debtors)
        work.append({"key": key, "targets": [(phone.debtor_id, phone.pk) for phone in phones]})
    return work, zone


def start_gunicorn(port: int, workers: int, database_name: str):
    db = settings.DATABASES["default"]
    env = {
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{database_name}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "API_THROTTLE_USER": "off",
        "LOG_LEVEL": "ERROR",
        "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files (the API serves none)
    }
    return gunicorn_start(port, workers, env, ready_path="/api/schema/")


def call_body(debtor_id: int, phone_id: int, local_today) -> dict:
    roll = random.random()
    body = {"debtor": debtor_id, "phone": phone_id}
    if roll < 0.6:
        return {**body, "outcome": "no_answer"}
    if roll < 0.7:
        return {**body, "outcome": "busy"}
    if roll < 0.9:
        return {
            **body,
            "outcome": "right_party",
            "commitment": "promise",
            "promise_amount": "150.00",
            "promise_date": (local_today + timedelta(days=7)).isoformat(),
        }
    return {**body, "outcome": "right_party", "commitment": "none", "no_commitment_reason": "Will call back himself"}


async def run_clients(base: str, work: list[dict], clients: int, seconds: float, mode: str, local_today) -> dict:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    stop = time.monotonic() + seconds

    async def client(index: int) -> None:
        own = work[index % len(work)]
        targets = own["targets"][index // len(work) :: max(1, clients // len(work))] or own["targets"]
        headers = {"Authorization": f"Bearer {own['key']}", "Accept-Language": "en"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            turn = 0
            while time.monotonic() < stop:
                debtor_id, phone_id = targets[turn % len(targets)]
                turn += 1
                started = time.perf_counter()
                try:
                    if mode == "baseline":
                        response = await http.get("/api/v1/follow-ups/")
                    else:
                        response = await http.post("/api/v1/calls/", json=call_body(debtor_id, phone_id, local_today))
                    label = str(response.status_code)
                except httpx.HTTPError as error:
                    label = type(error).__name__
                latencies.append(time.perf_counter() - started)
                statuses[label] = statuses.get(label, 0) + 1

    began = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.monotonic() - began
    ordered = sorted(latencies)
    ok = "200" if mode == "baseline" else "201"
    return {
        "requests": len(latencies),
        "throughput": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "errors": sum(count for label, count in statuses.items() if label != ok),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="write the results to docs/benchmarks.md")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--smoke", action="store_true", help="2 clients, 1 worker, 1 s; exits non-zero on any error")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.clients, args.workers, args.write = 1.5, 2, 1, False
    require_postgresql()  # the load test needs concurrent writers

    load_average = os.getloadavg()[0]
    with throwaway_database():
        work, zone = build_data()
        local_today = datetime.now(zoneinfo.ZoneInfo(zone)).date()
        connection.close()  # gunicorn's workers take the database from here
        port = free_port()
        server = start_gunicorn(port, args.workers, settings.DATABASES["default"]["NAME"])
        try:
            base = f"http://127.0.0.1:{port}"
            # Warm-up, not measured: every worker imports the views and opens its connection.
            asyncio.run(run_clients(base, work, args.clients, 3, "baseline", local_today))
            baseline = asyncio.run(run_clients(base, work, args.clients, args.seconds / 3, "baseline", local_today))
            load = asyncio.run(run_clients(base, work, args.clients, args.seconds, "calls", local_today))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        from calls.models import Call
        from promises.models import Promise

        logged, promised = Call.objects.count(), Promise.objects.count()

    rows = [
        ("baseline: `GET /api/v1/follow-ups/` (token, count, empty page)", baseline),
        ("`POST /api/v1/calls/` (call_log: policy, call, phone status, 20 % with a promise)", load),
    ]
    print(f"debtor zone {zone}; {args.clients} clients, gunicorn {args.workers} sync workers")
    for name, result in rows:
        print(
            f"{name}: {result['requests']} requests, {result['throughput']:.1f} req/s, "
            f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, errors {result['errors']} {result['statuses']}"
        )
    p50_ratio = load["p50"] / baseline["p50"]
    throughput_ratio = baseline["throughput"] / load["throughput"]
    print(
        f"calls logged {logged}, promises made {promised}; p50 ×{p50_ratio:.1f} and throughput ÷{throughput_ratio:.1f} vs baseline"
    )
    if args.smoke and (load["errors"] or baseline["errors"] or not logged):
        sys.exit(f"smoke: errors {load['statuses']} {baseline['statuses']}, {logged} calls logged")
    if not args.write:
        return
    table = "\n".join(
        f"| {name} | {r['requests']:,} | {r['throughput']:.0f} req/s | {r['p50']:.0f} ms | {r['p99']:.0f} ms | {r['errors']} |"
        for name, r in rows
    )
    write_section(
        SECTION,
        f"""{SECTION}

Measured by `bench/bench_api_load.py` on {machine_line()}.
{args.clients} concurrent clients (asyncio + httpx, one process) against gunicorn with {args.workers} sync workers on
127.0.0.1, DEBUG off, throttling off; PostgreSQL throwaway database with 2,000 debtors of 5 collectors (one token
each). Baseline for {args.seconds / 3:.0f} s, then calls for {args.seconds:.0f} s, in the same run; the clients share
the 2 cores with the server and the database.

| requests | sent | throughput | p50 | p99 | errors |
|---|---|---|---|---|---|
{table}

Logging a call costs {p50_ratio:.1f}× the baseline's median latency and {throughput_ratio:.1f}× its throughput
({logged:,} calls logged, {promised:,} promises made; answers other than 201 and failed connections count as
errors: {load["errors"]}). With 50 clients on {args.workers} workers the latencies are mostly waiting in line:
a worker spends about {args.workers / load["throughput"] * 1000:.0f} ms on a call and
{args.workers / baseline["throughput"] * 1000:.0f} ms on the baseline request. The machine's load average was
{load_average:.1f} when the run started (other people's work on the same 2 cores): read the ratios, not the times.
""",
    )


if __name__ == "__main__":
    main()
