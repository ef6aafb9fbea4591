"""Benchmark of the contact-policy engine (calls.policy).

One command, from the project root:

    DEBUG=1 VAR_DIR=/tmp/bench-policy .venv/bin/python bench/bench_contact_policy.py [--write]

It creates a throwaway database (SQLite's in memory, or one of its own on DATABASE_URL's server), fills it with a realistic ledger, prints the figures and, with --write,
replaces the "Contact policy" section of docs/benchmarks.md.

Measured:
1. one verdict (`check_contact`, policy cache warm) for a debtor with a busy ledger;
2. a 50-debtor queue page with `check_contact_many` (verdicts + next_allowed_at), queries counted;
3. a naive baseline in the same run: each debtor checked on its own with one query per rule
   (no cache), and next_allowed_at found by re-checking each day's opening.
"""

import os
import platform
import statistics
import sys
import time
import zoneinfo
from datetime import date, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_crm.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from common import SMOKE, throwaway_database, write_section  # noqa: E402

PAGE = 5 if SMOKE else 50
SECTION = "## Contact policy"


def build_data():
    from calls.models import Call
    from collections_crm.users.models import Role
    from collections_crm.users.services import user_create
    from debtors.models import Creditor, Debt, Debtor, Phone, Portfolio

    collector = user_create(username="bench", password="bench-password-42", role=Role.COLLECTOR)
    creditor = Creditor.objects.create(name="Bench Bank")
    portfolios = [
        Portfolio.objects.create(
            name=f"Bench {preset}",
            creditor=creditor,
            country=country,
            currency=currency,
            default_time_zone=zone,
            contact_policy_preset=preset,
        )
        for preset, country, currency, zone in (
            ("us_regf", "US", "USD", "America/New_York"),
            ("cl", "CL", "CLP", "America/Santiago"),
            ("co", "CO", "COP", "America/Bogota"),
            ("pe", "PE", "PEN", "America/Lima"),
        )
    ]
    at = datetime(2026, 3, 4, 15, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))  # a Wednesday, mid-morning in the Americas
    debtors, calls = [], []
    outcomes = ["no_answer", "no_answer", "voicemail", "busy", "right_party", "no_answer", "third_party"]
    for index in range(PAGE):
        portfolio = portfolios[index % len(portfolios)]
        debtor = Debtor.objects.create(
            portfolio=portfolio,
            external_id=f"B-{index:05d}",
            full_name=f"Bench {index}",
            time_zone=portfolio.default_time_zone,
        )
        debtors.append(debtor)
        debt = Debt.objects.create(
            debtor=debtor,
            account_reference=f"A-{index}",
            original_amount=1000,
            balance=900,
            currency=portfolio.currency,
            due_date=date(2025, 12, 1),
        )
        Phone.objects.create(debtor=debtor, number=f"+1212555{index:04d}")
        Phone.objects.create(debtor=debtor, number=f"+1212556{index:04d}", relationship="relative")
        # A busy ledger: ~5 attempts a day over the last 9 days, and 120 older ones.
        for hours_back in list(range(2, 9 * 24, 5)) + list(range(10 * 24, 130 * 24, 24)):
            calls.append(
                Call(
                    debtor=debtor,
                    collector=collector,
                    debt=debt,
                    channel="voice",
                    started_at=at - timedelta(hours=hours_back),
                    outcome=outcomes[(index + hours_back) % len(outcomes)],
                )
            )
    Call.objects.bulk_create(calls, batch_size=2000)
    return at, debtors, len(calls)


def naive_allowed(debtor, channel, at):
    """The baseline: fresh policy rows and one query per rule, for one moment."""
    from calls.models import Call, ContactPolicy
    from calls.policy import holiday_calendar
    from debtors.models import Phone, Portfolio

    portfolio = Portfolio.objects.get(pk=debtor.portfolio_id)
    policy = (
        ContactPolicy.objects.filter(code=portfolio.contact_policy_preset, is_active=True).order_by("-version").first()
    )
    zone = zoneinfo.ZoneInfo(debtor.time_zone)
    local = at.astimezone(zone)
    today = local.date()
    midnight = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    windows, allowed = [], True
    for rule in policy.rules.all():
        channels = rule.channels or ["voice", "sms", "whatsapp", "email", "visit"]
        if channel not in channels:
            continue
        params = rule.params
        outbound = Call.objects.filter(debtor=debtor, direction="outbound", channel__in=channels)
        if rule.kind == "window":
            windows.append(
                local.weekday() in params["weekdays"] and params["start"] <= local.strftime("%H:%M") < params["end"]
            )
        elif rule.kind == "holidays" and today in holiday_calendar(params["country"], "", today.year):
            allowed = False
        elif rule.kind == "cap":
            start = {"day": midnight, "week": midnight - timedelta(days=today.weekday())}.get(
                params["period"], midnight - timedelta(days=params.get("days", 7) - 1)
            )
            counted = outbound.filter(started_at__gte=start, started_at__lt=midnight + timedelta(days=1))
            if params.get("counts") == "contact":
                counted = counted.filter(outcome__in=["right_party", "third_party"])
            elif params.get("counts") == "reached_number":
                counted = counted.exclude(outcome__in=["busy", "disconnected"])
            allowed &= counted.count() < params["max"]
        elif rule.kind == "quiet_after_conversation":
            allowed &= not Call.objects.filter(
                debtor=debtor, outcome="right_party", started_at__gte=midnight - timedelta(days=params["days"] - 1)
            ).exists()
        elif rule.kind == "min_gap":
            allowed &= not outbound.filter(started_at__gte=midnight - timedelta(days=params["days"] - 1)).exists()
        elif rule.kind == "single_channel_per_week":
            week = midnight - timedelta(days=today.weekday())
            first = (
                Call.objects.filter(debtor=debtor, outcome="right_party", started_at__gte=week)
                .order_by("started_at")
                .first()
            )
            if first:
                allowed &= (
                    not Call.objects.filter(debtor=debtor, started_at__gte=first.started_at)
                    .exclude(channel=channel)
                    .exists()
                )
        elif rule.kind == "authorised_channels":
            allowed &= debtor.channel_authorisations.filter(channel=channel, revoked_at__isnull=True).exists()
    if channel in ("sms", "whatsapp"):
        allowed &= Phone.objects.filter(debtor=debtor, relationship="own", **{f"{channel}_consent": True}).exists()
    return allowed and (not windows or any(windows))


def naive_verdict(debtor, channel, at):
    if any(
        getattr(debtor, name)
        for name in (
            "hold_cease",
            "hold_dispute",
            "hold_lawsuit",
            "hold_insolvency",
            "hold_deceased",
            "hold_do_not_contact",
        )
    ):
        return False, None
    if naive_allowed(debtor, channel, at):
        return True, at
    zone = zoneinfo.ZoneInfo(debtor.time_zone)
    day = at.astimezone(zone).date()
    for offset in range(1, 15):
        for start in ("07:00", "08:00", "09:00"):
            candidate = datetime.combine(
                day + timedelta(days=offset), datetime.strptime(start, "%H:%M").time(), tzinfo=zone
            )
            if naive_allowed(debtor, channel, candidate):
                return False, candidate
    return False, None


def timed(function, repeat):
    repeat = 1 if SMOKE else repeat
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000, min(samples) * 1000


def measure():
    from calls.policy import check_contact, check_contact_many, policy_cache_clear

    at, debtors, call_count = build_data()
    busiest = debtors[0]  # us_regf, 7-in-7 blocked: next_allowed_at is searched
    check_contact(busiest, "voice", at)
    one_median, one_min = timed(lambda: check_contact(busiest, "voice", at), 500)
    with CaptureQueriesContext(connection) as one_queries:
        verdict = check_contact(busiest, "voice", at)
    from calls.policy import debtor_snapshot, evaluate, policies_for_portfolios
    from calls.policy.loading import _ledger_for

    policy = policies_for_portfolios([busiest.portfolio_id])[busiest.portfolio_id]
    ledger = _ledger_for([busiest.pk], at - timedelta(days=policy.lookback_days))[busiest.pk]
    snapshot = debtor_snapshot(busiest)
    pure_median, pure_min = timed(lambda: evaluate(policy, snapshot, "voice", at, ledger), 2000)

    check_contact_many(debtors, "voice", at)
    page_median, page_min = timed(lambda: check_contact_many(debtors, "voice", at), 50)
    with CaptureQueriesContext(connection) as page_queries:
        verdicts = check_contact_many(debtors, "voice", at)
    policy_cache_clear()
    with CaptureQueriesContext(connection) as cold_queries:
        check_contact_many(debtors, "voice", at)

    naive_median, naive_min = timed(lambda: [naive_verdict(debtor, "voice", at) for debtor in debtors], 3)
    naive_queries = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: naive_queries.append(sql) or execute(sql, params, many, context)
    ):
        naive = [naive_verdict(debtor, "voice", at) for debtor in debtors]

    blocked = sum(1 for v in verdicts.values() if not v.allowed)
    agree = sum(1 for debtor, (allowed, _next) in zip(debtors, naive) if verdicts[debtor.pk].allowed == allowed)
    return {
        "database": connection.vendor,
        "calls": call_count,
        "one_median": one_median,
        "one_min": one_min,
        "one_queries": len(one_queries),
        "pure_median": pure_median,
        "pure_min": pure_min,
        "ledger_size": len(ledger),
        "one_codes": ", ".join(verdict.codes) or "allowed",
        "page_median": page_median,
        "page_min": page_min,
        "page_queries": len(page_queries),
        "cold_queries": len(cold_queries),
        "blocked": blocked,
        "naive_median": naive_median,
        "naive_min": naive_min,
        "naive_queries": len(naive_queries),
        "agree": agree,
        "ratio": naive_median / page_median,
    }


def report(figures) -> str:
    return f"""{SECTION}

Measured by `bench/bench_contact_policy.py` on {date.today():%Y-%m-%d}; machine: 2 vCPU, Debian 12
({platform.python_implementation()} {platform.python_version()}, Django {django.get_version()}, {figures["database"]}).
Data: {PAGE} debtors in four portfolios (us_regf, cl, co, pe), {figures["calls"]:,} calls (≈5 a day over the
last 9 days per debtor, plus 120 older each); the policy cache is warm unless said otherwise.

| measurement | median | best | queries |
|---|---|---|---|
| one verdict, `check_contact` (US debtor over the 7-in-7 cap, next_allowed_at searched: {figures["one_codes"]}) | {figures["one_median"]:.2f} ms | {figures["one_min"]:.2f} ms | {figures["one_queries"]} |
| of which the rules alone, `evaluate` on snapshots ({figures["ledger_size"]} attempts in the ledger, no database) | {figures["pure_median"]:.3f} ms | {figures["pure_min"]:.3f} ms | 0 |
| 50-debtor queue page, `check_contact_many` (verdicts + next_allowed_at; {figures["blocked"]} blocked) | {figures["page_median"]:.2f} ms | {figures["page_min"]:.2f} ms | {figures["page_queries"]} ({figures["cold_queries"]} with a cold policy cache) |
| naive baseline, same page: per debtor, policy rows + one query per rule, each following day's openings re-checked (14 days) | {figures["naive_median"]:.2f} ms | {figures["naive_min"]:.2f} ms | {figures["naive_queries"]} |

Queue page: **{figures["ratio"]:.0f}× faster** than the naive baseline, with a constant number of queries
(the baseline agrees on {figures["agree"]}/{PAGE} allowed/blocked verdicts; it ignores per-debt scope and DST gaps).
Target for one verdict: < 2 ms.
"""


def main() -> None:
    setup_test_environment()
    # Not the suite's "test_<name>": its own database, so it may run beside the tests.
    with throwaway_database():
        figures = measure()
    section = report(figures)
    print(section)
    if "--write" in sys.argv and not SMOKE:
        write_section(SECTION, section)
        print("Written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
