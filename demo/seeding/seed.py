"""The seed_demo run: logins, then each market's portfolio filled in a transaction of its own."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from collections_crm.users.models import User
from debtors.models import Creditor, Portfolio
from debtors.services import debtor_queue_figures_refresh
from scoring.services import portfolio_score

from .agreements import agreements_seed
from .common import CHUNK_DEBTORS
from .logins import COLLECTOR_USERNAMES, DEMO_LOGINS, demo_users_ensure
from .markets import MARKETS, debtor_counts
from .portfolio import PortfolioSeeder
from .rows import lock_tables_for_seeding
from .strategies import challenger_lift_plant, strategies_seed

DEMO_SEED = 2026
DEFAULT_DEBTOR_COUNT = 3000


@dataclass
class SeedReport:
    users_created: int = 0
    users_existing: int = 0
    portfolios_created: int = 0
    portfolios_existing: int = 0
    debtors_existing: int = 0
    rows_created: Counter = field(default_factory=Counter)  # "debtors", "calls"… → rows
    users: dict[str, User] = field(default_factory=dict)


def demo_seed(
    *,
    debtor_count: int,
    now: datetime | None = None,
    seed: int = DEMO_SEED,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Create the demo logins, the three portfolios and `debtor_count` debtors with history.

    1. Get or create the logins (admin, supervisor, team Lima, three collectors).
    2. Get or create each market's creditor and portfolio.
    3. A portfolio that already has debtors is kept as it is; the others are filled in
       one transaction each, so an interrupted run leaves a portfolio full or empty,
       and the next run fills exactly the empty ones.
    4. Each portfolio draws from its own random stream (seed + country), so a skipped
       portfolio does not change the data of the next one.
    """
    now = now or timezone.now()
    report = SeedReport()
    report.users, report.users_created = demo_users_ensure()
    report.users_existing = len(DEMO_LOGINS) - report.users_created
    collectors = [report.users[name] for name in COLLECTOR_USERNAMES]

    for market, count in zip(MARKETS, debtor_counts(debtor_count), strict=True):
        creditor, _ = Creditor.objects.get_or_create(name=market.creditor)
        portfolio, created = Portfolio.objects.get_or_create(
            creditor=creditor,
            name=market.portfolio,
            defaults={
                "country": market.country,
                "currency": market.currency,
                "default_time_zone": market.default_time_zone,
                "contact_policy_preset": market.preset,
            },
        )
        report.portfolios_created += created
        report.portfolios_existing += not created
        agreements_seed(creditor=creditor, portfolio=portfolio, country=market.country)
        own_transaction = not connection.in_atomic_block
        with transaction.atomic():
            lock_tables_for_seeding(connection, check_foreign_keys_now=own_transaction)
            # Counted under the lock: a concurrent run has either finished this portfolio or not begun it.
            existing = portfolio.debtors.count()
            if existing:
                report.debtors_existing += existing
                continue
            seeder = PortfolioSeeder(
                market=market,
                portfolio=portfolio,
                collectors=collectors,
                now=now,
                rng=random.Random(f"{seed}:{market.country}"),
            )
            try:
                for start in range(0, count, CHUNK_DEBTORS):
                    stop = min(start + CHUNK_DEBTORS, count)
                    seeder.seed_chunk(start, stop)
                    if progress:
                        progress(f"{portfolio.name}: {stop:,} of {count:,} debtors")
            finally:
                seeder.finish()
            # Rows were written as plain rows: the queue's stored figures, in one statement.
            debtor_queue_figures_refresh(where="portfolio_id = %s", params=[portfolio.pk])
            # The payment scores the nightly job would give, so that the demo shows them at
            # once; the scoring assigns the test's arms, the lift is planted, and the scores
            # are made again with the payments it added.
            strategies_seed(portfolio, now)
            portfolio_score(portfolio=portfolio, now=now)
            if challenger_lift_plant(portfolio, now, random.Random(f"{seed}:{market.country}:test")):
                portfolio_score(portfolio=portfolio, now=now)
            report.rows_created.update(seeder.rows_created)
    return report
