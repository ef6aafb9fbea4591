"""What every part of the demo seeder shares: chunk sizes, weighted draws, the case being written."""

from __future__ import annotations

import bisect
import itertools
import random
import zoneinfo
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from collections_crm.users.models import User

# Debtors generated, held in memory and written together.
CHUNK_DEBTORS = 5000
# Ids kept in reserve per table between chunks on PostgreSQL: more rows than a chunk
# makes of any table (a chunk that needs more reserves more, at the cost of a wait).
ID_RESERVE = 5 * CHUNK_DEBTORS
CENT = Decimal("0.01")


class Weighted:
    """Values with weights, picked with one draw (random.choices re-sums the weights on every call)."""

    def __init__(self, pairs):
        pairs = list(pairs)
        self.values = tuple(value for value, _ in pairs)
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass
class Case:
    """One debtor while their story is being written."""

    debtor: dict
    collector: User
    zone: zoneinfo.ZoneInfo
    today: date
    debts: list[dict]
    own_phones: list[dict]
    other_phones: list[dict]
    span: int  # days of arrears: no call is older than this
    payments: int = 0
