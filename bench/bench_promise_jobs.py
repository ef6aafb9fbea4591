"""Benchmark of the promise jobs on PostgreSQL: flagging lapsed promises and scheduling
follow-ups for the broken ones, each beside a naive per-row loop as the baseline.

One command, from the project root (PostgreSQL; the database "test_<name>" is made and dropped):

    DATABASE_URL=postgres://crm:crm@127.0.0.1:5432/collections_crm .venv/bin/python bench/bench_promise_jobs.py [--write]

Data: 100,000 debtors in three portfolios (Peru, Mexico, Spain), 1,000,000 promises of
which 50,000 (5 %) are pending past their grace (one in fifty of those half paid), 450,000
pending and not yet due, 500,000 resolved long ago; 200,000 calls in the last week.

1. `promises_flag_lapsed` over the whole table (the job), then the same 50,000 promises
   reset and judged by a loop of `save()` + one event each (the baseline);
2. `follow_ups_schedule` for the 50,000 newly broken promises, each at its debtor's next
   lawful moment, then a naive loop on a 2,000-promise sample (`check_contact` and
   `FollowUp.objects.create` per promise), scaled to 50,000.
"""

import statistics
import sys
import time
from datetime import datetime
from decimal import Decimal
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

from django.db import connection, transaction  # noqa: E402

HEADING = "## Promise jobs"
DEBTORS = 100_000
PROMISES = 1_000_000
LAPSED = 50_000
CALLS = 200_000
RUNS = 3
if SMOKE:
    DEBTORS, PROMISES, LAPSED, CALLS, RUNS = 1_000, 10_000, 500, 2_000, 1
# A Wednesday morning in Lima: most debtors are callable, some are not (Spain's evening).
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/Lima"))


def build() -> None:
    params = {
        **bench_collectors_and_portfolios(5),
        "now": NOW,
        "debtors": DEBTORS,
        "promises": PROMISES,
        "lapsed": LAPSED,
        "calls": CALLS,
    }
    with connection.cursor() as cursor:
        params["d0"] = debtors_insert_generated(cursor, params)
        # 1M promises: the first 50k lapsed and pending, then 450k pending in the future, then 500k resolved.
        cursor.execute(
            """
            INSERT INTO promises_promise (debtor_id, collector_id, amount, currency, due_date, grace_days, lapses_at,
                kept_threshold, partial_threshold, status, resolved_at, created_at)
            SELECT %(d0)s + (g %% %(debtors)s), %(c0)s + (g %% %(ncollectors)s), 200, 'PEN',
                   CASE WHEN g <= %(lapsed)s THEN (%(now)s::date - 5) WHEN g <= 500000 THEN (%(now)s::date + 10 + g %% 30)
                        ELSE (%(now)s::date - 60 - g %% 200) END,
                   2,
                   CASE WHEN g <= %(lapsed)s THEN %(now)s - interval '2 days' WHEN g <= 500000 THEN %(now)s + interval '12 days'
                        ELSE %(now)s - interval '50 days' END,
                   200, 100,
                   CASE WHEN g <= 500000 THEN 'pending' WHEN g %% 2 = 0 THEN 'kept' ELSE 'broken' END,
                   CASE WHEN g <= 500000 THEN NULL ELSE %(now)s - interval '50 days' END,
                   %(now)s - interval '20 days'
            FROM generate_series(1, %(promises)s) AS g
            """,
            params,
        )
        cursor.execute("SELECT min(id) FROM promises_promise")
        params["pr0"] = cursor.fetchone()[0]
        # One lapsed promise in fifty is half paid: it ends partially kept.
        cursor.execute(
            """
            INSERT INTO promises_payment (debtor_id, amount, currency, paid_at, reference, source, created_at)
            SELECT %(d0)s + (g %% %(debtors)s), 100, 'PEN', %(now)s - interval '4 days', 'BENCH-' || g, 'import', %(now)s
            FROM generate_series(1, %(lapsed)s / 50) AS g
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO promises_paymentallocation (payment_id, promise_id, amount)
            SELECT pay.id, %(pr0)s + (row_number() OVER (ORDER BY pay.id) - 1) * 50, 100
            FROM promises_payment pay
            """,
            params,
        )
        # A number to call for every debtor: a retry after an unanswered call needs a usable one.
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
            INSERT INTO calls_call (debtor_id, collector_id, channel, direction, started_at, outcome, stance, stance_reason,
                commitment, no_commitment_reason, notes, created_at, local_time, local_time_zone, policy_code,
                policy_decision, override_reason)
            SELECT %(d0)s + (g * 7 %% %(debtors)s), %(c0)s, 'voice', 'outbound', %(now)s - (g %% 10080) * interval '1 minute',
                   CASE WHEN g %% 4 = 0 THEN 'right_party' ELSE 'no_answer' END, '', '', '', '', '', %(now)s, '', '', '', '', ''
            FROM generate_series(1, %(calls)s) AS g
            """,
            params,
        )
        cursor.execute("ANALYZE")


def reset_lapsed() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM promises_promiseevent WHERE cause = 'job'")
        cursor.execute(
            "UPDATE promises_promise SET status = 'pending', resolved_at = NULL WHERE lapses_at <= %s AND resolved_at >= %s",
            [NOW, NOW],
        )
        # Like a real table between job runs: dead rows from the baseline's updates cleaned up.
        cursor.execute("VACUUM ANALYZE promises_promise")


def naive_flag() -> int:
    """What a Django team writes first: a loop of save() and one event per promise."""
    from django.db.models import Sum

    from promises.models import Promise, PromiseEvent

    count = 0
    with transaction.atomic():
        for promise in Promise.objects.filter(status="pending", lapses_at__lte=NOW).annotate(
            paid=Sum("allocations__amount")
        ):
            paid = promise.paid or Decimal("0")
            promise.status = (
                "kept"
                if paid >= promise.kept_threshold
                else "partially_kept"
                if paid >= promise.partial_threshold
                else "broken"
            )
            promise.resolved_at = NOW
            promise.save(update_fields=["status", "resolved_at"])
            PromiseEvent.objects.create(
                promise=promise, from_status="pending", to_status=promise.status, at=NOW, cause="job"
            )
            count += 1
    return count


def naive_schedule(sample: int) -> int:
    from calls.models import FollowUp
    from calls.policy import check_contact
    from promises.models import Promise

    created = 0
    with transaction.atomic():
        for promise in Promise.objects.filter(status="broken", resolved_at=NOW).select_related("debtor")[:sample]:
            if FollowUp.objects.filter(promise=promise, reason="broken_promise").exists():
                continue
            verdict = check_contact(promise.debtor, "voice", NOW)
            due_at = NOW if verdict.allowed else verdict.next_allowed_at
            if due_at is None:
                continue
            FollowUp.objects.create(
                debtor=promise.debtor,
                assigned_to_id=promise.debtor.assigned_to_id,
                due_at=due_at,
                reason="broken_promise",
                subject_key=f"promise:{promise.pk}",
                promise=promise,
                created_by_job="naive",
            )
            created += 1
        transaction.set_rollback(True)
    return created


def timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - started, value


def main() -> None:
    require_postgresql()
    from calls.services import follow_ups_schedule
    from promises.services import promises_flag_lapsed

    with throwaway_database():
        build_seconds, _ = timed(build)
        print(f"data built in {build_seconds:.1f} s")
        naive_seconds, naive_count = timed(naive_flag)
        print(f"naive flag: {naive_count} promises in {naive_seconds:.2f} s")
        # The machine is noisy: each job runs RUNS times on the same data, the median is reported.
        flag_runs = []
        for run in range(RUNS):
            reset_lapsed()
            seconds, flagged = timed(lambda: promises_flag_lapsed(now=NOW))
            flag_runs.append(seconds)
            print(
                f"set-based flag, run {run + 1}: {flagged.total} promises ({flagged.broken} broken) in {seconds:.2f} s"
            )
        flag_seconds = statistics.median(flag_runs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM promises_promiseevent WHERE cause = 'job'")
            events = cursor.fetchone()[0]
        sample = 100 if SMOKE else 2000
        naive_sched_seconds, naive_created = timed(naive_schedule, sample)
        per_row = naive_sched_seconds / max(naive_created, 1)
        print(
            f"naive schedule: {naive_created} follow-ups in {naive_sched_seconds:.2f} s ({per_row * 1000:.2f} ms each)"
        )
        schedule_runs = []
        for run in range(RUNS):
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM calls_followup")
            seconds, scheduled = timed(lambda: follow_ups_schedule(now=NOW))
            schedule_runs.append(seconds)
            print(
                f"set-based schedule, run {run + 1}: {scheduled.broken_promises} broken-promise follow-ups, {scheduled.retries} retries, {scheduled.no_lawful_moment} held, in {seconds:.2f} s"
            )
        schedule_seconds = statistics.median(schedule_runs)
        rerun_seconds, rerun = timed(lambda: follow_ups_schedule(now=NOW))
        print(f"rerun: {rerun.broken_promises + rerun.retries} new follow-ups in {rerun_seconds:.2f} s")

    naive_scaled = per_row * scheduled.broken_promises
    section = f"""{HEADING}

Measured by `bench/bench_promise_jobs.py` on {machine_line()}.
Figures are medians of {RUNS} runs on the same data (the machine is noisy). Data: {DEBTORS:,} debtors in three portfolios (pe, mx_fin, es), {PROMISES:,} promises of which
{LAPSED:,} (5 %) pending past their grace (one in fifty half paid), {CALLS:,} calls in the last week.

| job | this code | naive baseline (same run) | ratio | target |
|---|---|---|---|---|
| `flag_lapsed_promises`: {flagged.total:,} judged ({flagged.broken:,} broken, {flagged.partially_kept:,} partially kept), {events:,} events | {flag_seconds:.2f} s (runs: {", ".join(f"{r:.2f}" for r in flag_runs)}) | loop of `save()` + event: {naive_seconds:.1f} s | {naive_seconds / flag_seconds:.0f}× | < 3 s |
| `schedule_follow_ups`: {scheduled.broken_promises:,} broken-promise follow-ups and {scheduled.retries:,} retries after unanswered calls, each at the debtor's next lawful moment ({scheduled.no_lawful_moment:,} debtors on hold skipped) | {schedule_seconds:.2f} s (runs: {", ".join(f"{r:.2f}" for r in schedule_runs)}) | per promise `check_contact` + `create`: {per_row * 1000:.2f} ms each on a {sample:,} sample → ≈ {naive_scaled:.0f} s for {scheduled.broken_promises:,} | {naive_scaled / schedule_seconds:.0f}× | < 10 s |
| `schedule_follow_ups` run again (finds nothing new) | {rerun_seconds:.2f} s | | | |

The flag is one `UPDATE … RETURNING` inside a CTE that also inserts the events; the schedule
reads the broken promises without a follow-up in one query, computes lawful moments in
chunks of 2,000 debtors (debtors with an empty ledger in the same zone and policy share one
answer) and inserts with `ON CONFLICT DO NOTHING`.
"""
    print(section)
    if "--write" in sys.argv and not SMOKE:
        write_section(HEADING, section)


if __name__ == "__main__":
    main()
