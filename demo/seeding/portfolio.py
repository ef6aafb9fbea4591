"""One portfolio's seeding: its debtors, their debts and phones, a chunk at a time, each debtor
then living a story."""

from __future__ import annotations

import functools
import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Model

from collections_crm.lib.timezones import zone_for
from collections_crm.users.models import User
from debtors.models import Debt, Debtor, Phone, Portfolio
from promises import rules as promise_rules
from promises.models import PromiseRules

from .call_history import CallHistoryMixin
from .common import CENT, CHUNK_DEBTORS, ID_RESERVE, Case, Weighted
from .conversations import CONSENT_SOURCES, PHONE_COUNT, PHONE_RELATIONSHIP, PHONE_STATUS, RELATIONSHIP_HINTS
from .identities import BIRTH_REFERENCE_DAY, Person, ascii_upper
from .markets import ENGLISH_FEMALE_NAMES, ENGLISH_MALE_NAMES, ENGLISH_SURNAMES, Market
from .promise_history import PromiseHistoryMixin
from .rows import MODELS_IN_ORDER, ROW_NAMES, BackgroundCopy, IdAllocator, RowWriter
from .stories import (
    ARREARS_RANGES,
    FRESH,
    HELD_STORIES,
    HOLD_RATES,
    MAX_GRACE_DAYS,
    SHOWCASE,
    STORY,
    STORY_MIN_ARREARS,
    UNASSIGNED_EVERY,
    StoriesMixin,
)


class PortfolioSeeder(StoriesMixin, PromiseHistoryMixin, CallHistoryMixin):
    """Writes one portfolio's debtors and their history, a chunk of debtors at a time."""

    def __init__(
        self, *, market: Market, portfolio: Portfolio, collectors: list[User], now: datetime, rng: random.Random
    ):
        self.market = market
        self.portfolio = portfolio
        self.collectors = collectors
        self.now = now
        self.rng = rng
        self.rows_created: Counter = Counter()
        self.next_collector = 0
        self.writers = {model: RowWriter(model, connection, now) for model in MODELS_IN_ORDER}
        self.copier = BackgroundCopy(connection) if connection.vendor == "postgresql" else None
        # The connection serves one statement at a time: a COPY in flight finishes first.
        self.ids = IdAllocator(
            connection, block=2 * ID_RESERVE if self.copier else CHUNK_DEBTORS, before_query=self.finish
        )
        if self.copier:
            self.ids.top_up(MODELS_IN_ORDER, minimum=ID_RESERVE)
        self.rows: dict[type[Model], list[dict]] = {model: [] for model in MODELS_IN_ORDER}
        self.zone = Weighted(market.time_zones)
        self.zones = {name: zone_for(name) for name, _ in market.time_zones}
        self.today = {name: now.astimezone(zone).date() for name, zone in self.zones.items()}
        self.product = Weighted((product, product.weight) for product in market.products)
        # The portfolio's promise rules (defaults when it has none), as promise_create applies them.
        rules = PromiseRules.objects.filter(portfolio=portfolio).first() or PromiseRules(portfolio=portfolio)
        # promise_create lets a promise override the grace; the demo keeps it short so
        # its stories (made, due, lapsed, judged) fit in the weeks they are given.
        self.grace_days = min(rules.grace_days, MAX_GRACE_DAYS)
        self.thresholds = functools.partial(
            promise_rules.thresholds_for,
            tolerance_percent=rules.tolerance_percent,
            tolerance_amount=rules.tolerance_amount,
            partial_minimum_percent=rules.partial_minimum_percent,
        )
        # Arrears ranges a story can use, by the story's minimum.
        self.arrears = {
            minimum: Weighted(
                ((max(low, minimum), high), weight) for low, high, weight in ARREARS_RANGES if high >= minimum
            )
            for minimum in set(STORY_MIN_ARREARS.values())
        }

    def seed_chunk(self, start: int, stop: int) -> None:
        """Generate debtors [start, stop) with their history, then write them table by table."""
        for index in range(start, stop):
            self._add_debtor(index)
        rows, self.rows = self.rows, {model: [] for model in MODELS_IN_ORDER}
        for model, model_rows in rows.items():
            self.rows_created[ROW_NAMES[model]] += len(model_rows)
        if self.copier:
            statements = [(self.writers[m].copy_sql, self.writers[m].copy_data(r)) for m, r in rows.items() if r]
            self.copier.wait()
            self.ids.top_up(MODELS_IN_ORDER, minimum=ID_RESERVE)
            self.copier.submit(statements)
        else:
            for model, model_rows in rows.items():
                self.writers[model].insert(model_rows)

    def finish(self) -> None:
        """Wait for the last chunk to be written (and raise if writing it failed)."""
        if self.copier:
            self.copier.wait()

    def _add(self, model: type[Model], **values) -> dict:
        """A new row of `model` with its id already known."""
        row = {"id": self.ids.take(model), **values}
        self.rows[model].append(row)
        return row

    # --- Debtor, debts, phones ----------------------------------------------------------

    def _add_debtor(self, index: int) -> None:
        rng, market = self.rng, self.market
        person = self._person()
        zone_name = self.zone.pick(rng)
        zone, today = self.zones[zone_name], self.today[zone_name]

        collector = None
        if index % UNASSIGNED_EVERY != UNASSIGNED_EVERY - 1:
            collector = self.collectors[self.next_collector % len(self.collectors)]
            self.next_collector += 1
        holds = {}
        if index >= len(SHOWCASE):
            holds = {name: True for name, rate in HOLD_RATES if rng.random() < rate}
        if collector is None:
            story = FRESH
        elif index < len(SHOWCASE):
            story = SHOWCASE[index]
        elif holds:
            story = rng.choice(HELD_STORIES)
        else:
            story = STORY.pick(rng)

        arrears = rng.randint(*self.arrears[STORY_MIN_ARREARS[story]].pick(rng))
        # Placed with the agency the day after the oldest debt fell due: all history is later.
        placed_at = datetime.combine(today - timedelta(days=arrears - 1), time(7), tzinfo=zone)
        debtor = self._add(
            Debtor,
            portfolio_id=self.portfolio.pk,
            external_id=f"{market.external_prefix}-{index + 1:07d}",
            national_id=market.national_id(rng, person),
            full_name=person.full_name,
            email=self._email(person) if rng.random() < 0.55 else "",
            time_zone=zone_name,
            language=person.language,
            assigned_to_id=collector.pk if collector else None,
            created_at=placed_at,
            updated_at=placed_at,
            **holds,
        )
        debts = self._debts(debtor, today, arrears, placed_at)
        own_phones, other_phones = self._phones(debtor, zone_name, placed_at)
        if collector is None:
            return
        case = Case(
            debtor=debtor,
            collector=collector,
            zone=zone,
            today=today,
            debts=debts,
            own_phones=own_phones,
            other_phones=other_phones,
            span=arrears - 1,
        )
        getattr(self, f"_story_{story}")(case)

    def _person(self) -> Person:
        rng, market = self.rng, self.market
        female = rng.random() < 0.5
        born = BIRTH_REFERENCE_DAY - timedelta(days=rng.randint(21 * 365, 75 * 365))
        language = "es"
        if rng.random() < market.english_rate:
            language = "en"
            if market.country == "ES":
                # Foreign residents in Spain: English names, one surname, an NIE.
                given = rng.choice(ENGLISH_FEMALE_NAMES if female else ENGLISH_MALE_NAMES)
                return Person(given, (rng.choice(ENGLISH_SURNAMES),), female, born, language)
        given = rng.choice(market.female_names if female else market.male_names)
        return Person(given, (rng.choice(market.surnames), rng.choice(market.surnames)), female, born, language)

    def _email(self, person: Person) -> str:
        rng = self.rng
        first = ascii_upper(person.given_names.split()[0]).replace("Ñ", "N").lower()
        last = ascii_upper(person.surnames[0]).replace("Ñ", "N").lower()
        suffix = str(rng.randint(1, 99)) if rng.random() < 0.6 else ""
        local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}"))
        return f"{local}{suffix}@{rng.choice(self.market.email_domains)}"

    def _debts(self, debtor: dict, today: date, arrears: int, placed_at: datetime) -> list[dict]:
        rng, market = self.rng, self.market
        debts = []
        for number in range(1, 3 if rng.random() < 0.2 else 2):
            product = self.product.pick(rng)
            # Most debts are small: a triangular draw leaning to the low end of the range.
            original = Decimal(int(rng.triangular(product.low, product.high, product.low) * 100)) / 100
            balance = max((original * Decimal(rng.uniform(0.35, 1.0))).quantize(CENT), CENT)
            days_overdue = arrears if number == 1 else rng.randint(1, arrears)
            debts.append(
                self._add(
                    Debt,
                    debtor_id=debtor["id"],
                    account_reference=f"{product.code}-{debtor['external_id'][3:]}-{number}",
                    product=product.name,
                    original_amount=original,
                    balance=balance,
                    currency=market.currency,
                    due_date=today - timedelta(days=days_overdue),
                    created_at=placed_at,
                    updated_at=placed_at,
                )
            )
        return debts

    def _phones(self, debtor: dict, zone: str, placed_at: datetime) -> tuple[list[dict], list[dict]]:
        """1–3 numbers: the debtor's own mobile first, then a landline or a third party's."""
        rng, market = self.rng, self.market
        own, others, seen = [], [], set()
        for position in range(PHONE_COUNT.pick(rng)):
            relationship = Phone.Relationship.OWN
            if position:
                relationship = PHONE_RELATIONSHIP.pick(rng)
            kind = Phone.Kind.MOBILE
            if relationship == Phone.Relationship.EMPLOYER:
                kind, number = Phone.Kind.WORK, market.landline(rng, zone)
            elif position and relationship == Phone.Relationship.OWN and rng.random() < 0.6:
                kind, number = Phone.Kind.HOME, market.landline(rng, zone)
            else:
                number = market.mobile(rng, zone)
            if number in seen:
                continue
            seen.add(number)
            phone = {
                "debtor_id": debtor["id"],
                "number": number,
                "kind": kind,
                "relationship": relationship,
                "status": PHONE_STATUS.pick(rng),
                "created_at": placed_at,
            }
            if relationship != Phone.Relationship.OWN:
                person = self._person()
                phone["contact_name"] = (
                    f"{person.given_names} {person.surnames[0]} ({RELATIONSHIP_HINTS[relationship]})"
                )
            elif kind == Phone.Kind.MOBILE:
                self._consents(phone)
            (own if relationship == Phone.Relationship.OWN else others).append(self._add(Phone, **phone))
        return own, others

    def _consents(self, phone: dict) -> None:
        """Some debtors agreed to SMS or WhatsApp; a consent always records its source and date."""
        rng = self.rng
        if rng.random() < 0.3:
            phone["sms_consent"] = True
            phone["sms_consent_source"] = rng.choice(CONSENT_SOURCES)
            phone["sms_consent_at"] = self.now - timedelta(days=rng.randint(30, 900), minutes=rng.randrange(1440))
        if rng.random() < 0.2:
            phone["whatsapp_consent"] = True
            phone["whatsapp_consent_source"] = rng.choice(CONSENT_SOURCES)
            phone["whatsapp_consent_at"] = self.now - timedelta(days=rng.randint(30, 900), minutes=rng.randrange(1440))
