"""The data bench_pages.py measures the pages on, built set-based on either database.

INSERT … SELECT over generate_series on PostgreSQL, a recursive CTE on SQLite: the users, six
portfolios, and per debtor the debts, phones, calls, promises, payments and follow-ups the
docstring of bench_pages.py lists; then the figures the periodic jobs store. Not a benchmark
of its own (so not named bench_*: tests/foundation/test_benchmarks.py runs every bench_*.py).
"""

import time
from datetime import datetime, UTC
from zoneinfo import ZoneInfo

import common  # noqa: F401 — sets Django up before any of Django's modules is imported

from django.db import connection  # noqa: E402

TEAMS = 10
PER_TEAM = 20  # 200 collectors: 5,000 accounts each at a million debtors
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
