"""`manage.py seed_demo`: logins, three portfolios and a history that obeys the product's rules."""

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, time
from decimal import Decimal
from io import StringIO

import phonenumbers
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Sum
from django.utils import translation

from calls.models import Call, FollowUp
from collections_crm.users.models import Role, Team, User
from debtors.models import AgingBucket, Debt, Debtor, Phone, Portfolio
from demo import seeding as demo
from promises.models import Arrangement, Payment, PaymentAllocation, Promise, PromiseEvent
from tests.factories import lapse_moment

# A Tuesday afternoon in Madrid, late morning in Lima and Mexico City.
NOW = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
DEBTORS = 60
SEEDED_MODELS = (Debtor, Debt, Phone, Call, Arrangement, Promise, PromiseEvent, Payment, PaymentAllocation, FollowUp)


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = True  # pytest-django turns it off; seed_demo is a development command
    # The demo logins are created with a real password; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def seeded(db, demo_settings):
    with time_machine.travel(NOW, tick=False):
        output = StringIO()
        call_command("seed_demo", debtors=DEBTORS, stdout=output)
        yield output.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (User, Team, Portfolio, *SEEDED_MODELS)}


def test_it_creates_the_demo_logins_with_their_roles_and_team(seeded):
    users = {user.username: user for user in User.objects.select_related("team")}
    lima = Team.objects.get(name="Lima")

    assert users["ana"].role == Role.ADMIN and users["ana"].is_staff
    assert users["sofia"].role == Role.SUPERVISOR and lima.supervisor == users["sofia"]
    for name in ("carla", "carlos", "camila"):
        assert users[name].role == Role.COLLECTOR
        assert users[name].team == lima
    assert all(user.check_password(demo.DEMO_PASSWORD) for user in users.values())


def test_it_prints_the_logins_and_their_password(seeded):
    assert "/accounts/login/" in seeded
    for name in ("ana", "sofia", "carla", "carlos", "camila"):
        assert re.search(rf"^\s+{name}\s+{demo.DEMO_PASSWORD}\s", seeded, re.MULTILINE)


def test_it_fills_one_portfolio_per_market(seeded):
    portfolios = {p.country: p for p in Portfolio.objects.select_related("creditor")}

    assert set(portfolios) == {"PE", "MX", "ES"}
    assert (portfolios["PE"].currency, portfolios["PE"].default_time_zone, portfolios["PE"].contact_policy_preset) == (
        "PEN",
        "America/Lima",
        "pe",
    )
    assert (portfolios["MX"].currency, portfolios["MX"].contact_policy_preset) == ("MXN", "mx_fin")
    assert (portfolios["ES"].currency, portfolios["ES"].contact_policy_preset) == ("EUR", "es")
    assert len({p.creditor_id for p in portfolios.values()}) == 3
    assert Debtor.objects.count() == DEBTORS
    zones = defaultdict(set)
    for country, zone in Debtor.objects.values_list("portfolio__country", "time_zone"):
        zones[country].add(zone)
    assert zones["PE"] == {"America/Lima"}
    assert zones["MX"] <= {"America/Mexico_City", "America/Tijuana", "America/Cancun"}
    assert zones["ES"] <= {"Europe/Madrid", "Atlantic/Canary"}
    assert not Debt.objects.exclude(currency=F("debtor__portfolio__currency")).exists()


def test_debtors_have_spanish_names_and_mostly_speak_spanish(seeded):
    for full_name in Debtor.objects.exclude(language="en").values_list("full_name", flat=True):
        assert len(full_name.split()) >= 3, full_name  # given name(s) and two surnames
    languages = Counter(Debtor.objects.values_list("language", flat=True))
    assert languages["es"] > 0.9 * DEBTORS


def test_debtors_are_shared_round_robin_with_a_few_left_unassigned(seeded):
    collectors = set(User.objects.filter(role=Role.COLLECTOR).values_list("pk", flat=True))
    for portfolio in Portfolio.objects.all():
        assignees = list(portfolio.debtors.order_by("external_id").values_list("assigned_to", flat=True))
        unassigned = [index for index, assignee in enumerate(assignees) if assignee is None]
        assert unassigned == [index for index in range(len(assignees)) if index % 20 == 19]
        per_collector = Counter(assignee for assignee in assignees if assignee is not None)
        assert set(per_collector) <= collectors
        assert max(per_collector.values()) - min(per_collector.values()) <= 1


def test_national_ids_have_their_countrys_shape(seeded):
    for country, national_id in Debtor.objects.values_list("portfolio__country", "national_id"):
        if country == "PE":
            assert re.fullmatch(r"\d{8}", national_id)
        elif country == "MX":
            assert re.fullmatch(r"[A-Z]{4}\d{6}[HM][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[A-Z0-9]\d", national_id)
            assert national_id[-1] == demo.curp_check_digit(national_id[:17])
        else:
            number = "XYZ".index(national_id[0]) if national_id[0] in "XYZ" else None
            digits = f"{number}{national_id[1:8]}" if number is not None else national_id[:8]
            assert re.fullmatch(r"[0-9XYZ]\d{7}[A-Z]", national_id)
            assert national_id[-1] == demo.SPAIN_NIF_LETTERS[int(digits) % 23]


def test_the_check_characters_match_published_examples():
    assert demo.curp_check_digit("BOXW310820HNERXN0") == "9"
    assert demo.SPAIN_NIF_LETTERS[12345678 % 23] == "Z"


def test_every_phone_is_a_valid_number_of_its_debtors_country(seeded):
    phones = Phone.objects.select_related("debtor__portfolio")
    assert phones.count() >= DEBTORS
    for phone in phones:
        number = phonenumbers.parse(str(phone.number))
        assert phonenumbers.is_valid_number(number), phone.number
        assert phonenumbers.region_code_for_number(number) == phone.debtor.portfolio.country
        if phone.sms_consent:
            assert phone.sms_consent_source and phone.sms_consent_at
        if phone.whatsapp_consent:
            assert phone.whatsapp_consent_source and phone.whatsapp_consent_at
    assert not Debtor.objects.exclude(phones__relationship=Phone.Relationship.OWN).exists()
    assert Phone.objects.exclude(relationship=Phone.Relationship.OWN).exclude(contact_name="").exists()
    assert Phone.objects.filter(sms_consent=True).exists()


def test_debts_fall_in_every_aging_bucket(seeded):
    today = NOW.date()
    buckets = {debt.aging_bucket(today) for debt in Debt.objects.filter(balance__gt=0)}
    assert buckets >= {
        AgingBucket.D1_30,
        AgingBucket.D31_60,
        AgingBucket.D61_90,
        AgingBucket.D91_180,
        AgingBucket.D180_PLUS,
    }
    assert not Debt.objects.filter(balance__gt=F("original_amount")).exists()


def test_promises_reach_every_status_and_their_events_tell_the_same_story(seeded):
    promises = Promise.objects.select_related("debtor").prefetch_related("events")
    assert {promise.status for promise in promises} == set(Promise.Status.values)
    for promise in promises:
        events = sorted(promise.events.all(), key=lambda event: (event.at, event.pk))
        assert (events[0].from_status, events[0].to_status) == ("", Promise.Status.PENDING)
        assert events[0].at == promise.created_at
        assert promise.lapses_at == lapse_moment(promise.due_date, promise.grace_days, promise.debtor.time_zone)
        if promise.status == Promise.Status.PENDING:
            assert len(events) == 1
            assert promise.resolved_at is None
            assert promise.lapses_at > NOW
        else:
            assert len(events) == 2
            assert (events[1].from_status, events[1].to_status) == (Promise.Status.PENDING, promise.status)
            assert events[1].at == promise.resolved_at
            assert promise.created_at <= promise.resolved_at <= NOW
        if promise.status in (Promise.Status.KEPT, Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN):
            assert promise.lapses_at <= NOW
    assert not PromiseEvent.objects.filter(from_status=F("to_status")).exists()


def test_payments_are_allocated_to_the_promises_they_keep(seeded):
    paid = dict(
        PaymentAllocation.objects.values("promise").annotate(total=Sum("amount")).values_list("promise", "total")
    )
    for promise in Promise.objects.all():
        total = paid.get(promise.pk, Decimal("0"))
        if promise.status == Promise.Status.KEPT:
            assert total >= promise.kept_threshold
        elif promise.status == Promise.Status.PARTIALLY_KEPT:
            assert promise.partial_threshold <= total < promise.kept_threshold
        else:
            assert total == 0
    for promise in Promise.objects.filter(status=Promise.Status.KEPT).prefetch_related("allocations__payment"):
        # Kept when the payment that completes it is recorded, not before.
        assert max(a.payment.created_at for a in promise.allocations.all()) == promise.resolved_at
    for payment in Payment.objects.prefetch_related("allocations__promise"):
        assert payment.source == Payment.Source.DEMO
        if payment.reference.startswith("DEMO-CUOTAS-"):
            # The strategy test's planted lift: paid without a promise, by debtors with none
            # pending, credited to their collector (the dashboards count credited payments).
            assert not payment.allocations.all()
            assert payment.credited_to_id is not None
            continue
        assert sum(a.amount for a in payment.allocations.all()) == payment.amount
        for allocation in payment.allocations.all():
            assert payment.credited_to_id == allocation.promise.collector_id
            assert allocation.promise.created_at <= payment.paid_at < allocation.promise.lapses_at


def test_arrangements_follow_their_instalments(seeded):
    arrangements = Arrangement.objects.prefetch_related("promises")
    assert arrangements.filter(kind=Arrangement.Kind.INSTALMENTS).exists()
    for arrangement in arrangements:
        instalments = sorted(arrangement.promises.all(), key=lambda promise: promise.instalment_number)
        assert [p.instalment_number for p in instalments] == list(range(1, len(instalments) + 1))
        assert sum(p.amount for p in instalments) == arrangement.total_amount
        statuses = [p.status for p in instalments]
        if arrangement.status == Arrangement.Status.COMPLETED:
            assert set(statuses) == {Promise.Status.KEPT}
        elif arrangement.status == Arrangement.Status.BROKEN:
            missed = next(i for i, s in enumerate(statuses) if s != Promise.Status.KEPT)
            assert statuses[missed] in (Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN)
            assert set(statuses[missed + 1 :]) <= {Promise.Status.CANCELLED}
        else:
            assert Promise.Status.PENDING in statuses


def test_calls_follow_the_trade_rules(seeded):
    calls = Call.objects.select_related("debtor")
    assert {call.outcome for call in calls} >= {Call.Outcome.RIGHT_PARTY, Call.Outcome.NO_ANSWER}
    assert {call.commitment for call in calls} >= {
        Call.Commitment.PROMISE,
        Call.Commitment.INSTALMENTS,
        Call.Commitment.CALLBACK,
        Call.Commitment.NONE,
    }
    for call in calls:
        assert call.collector_id == call.debtor.assigned_to_id
        assert call.started_at < NOW
        assert bool(call.stance) == bool(call.stance_reason)
        if call.commitment == Call.Commitment.NONE:
            assert call.no_commitment_reason
        if call.commitment == Call.Commitment.CALLBACK:
            assert call.callback_at
        if call.outcome != Call.Outcome.RIGHT_PARTY:
            assert not call.stance and not call.commitment
    assert Call.objects.exclude(stance="").exists()


def test_every_collector_has_follow_ups_due_today(seeded):
    open_follow_ups = FollowUp.objects.filter(status=FollowUp.Status.OPEN)
    assert {f.reason for f in open_follow_ups} == {FollowUp.Reason.BROKEN_PROMISE, FollowUp.Reason.CALLBACK}
    for follow_up in open_follow_ups:
        subject = f"promise:{follow_up.promise_id}" if follow_up.promise_id else f"call:{follow_up.call_id}"
        assert follow_up.subject_key == subject
        assert follow_up.assigned_to_id == follow_up.debtor.assigned_to_id
    end_of_today = datetime.combine(NOW.date(), time(23, 59), tzinfo=UTC)
    due_today = open_follow_ups.filter(due_at__lte=end_of_today).values("assigned_to__username").annotate(n=Count("pk"))
    assert {row["assigned_to__username"] for row in due_today} == {"carla", "carlos", "camila"}


def test_every_owing_debtor_is_scored_with_its_reasons(seeded):
    """The demo shows payment scores at once, without waiting for the nightly job."""
    from debtors.models import DebtorScore

    owing = Debtor.objects.filter(open_balance__gt=0)
    scores = DebtorScore.objects.filter(debtor__in=owing)
    assert scores.count() == owing.count() > 0
    assert all(score.reasons for score in scores[:50])
    assert {score.portfolio_id for score in scores} == set(Portfolio.objects.values_list("pk", flat=True))


def test_the_demo_shows_segments_strategies_and_a_test_with_its_interval(db, demo_settings, client):
    """A supervisor sees which strategy treats each debtor and which of two recovers more (on
    900 debtors: the arms of a 60-debtor demo are too small to tell anything apart)."""
    from debtors.models import DebtorScore
    from scoring.experiments import strategy_test_results
    from scoring.models import StrategyTest

    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", debtors=900, stdout=StringIO())

    scores = DebtorScore.objects.filter(debtor__open_balance__gt=0)
    assert not scores.filter(strategy_id__isnull=True).exists()  # the last segment takes the rest
    planted = Payment.objects.filter(reference__startswith="DEMO-CUOTAS-")
    assert planted.exists() and not planted.filter(credited_to__isnull=True).exists()
    assert {row.segment_name for row in scores} >= {"Pagadores probables", "Mora temprana", "Mora avanzada"}
    tests = StrategyTest.objects.filter(status=StrategyTest.Status.RUNNING)
    assert tests.count() == Portfolio.objects.count()
    with time_machine.travel(NOW, tick=False):
        results = [strategy_test_results(test) for test in tests]
    for result in results:
        assert result.champion.debtors > 20 and result.challenger.debtors > 20
        assert result.per_debtor_difference is not None
        assert result.per_debtor_difference.low < result.per_debtor_difference.estimate
    # The planted lift shows where the arms are large enough to tell.
    assert any(result.per_debtor_difference.clear and result.per_debtor_difference.estimate > 0 for result in results)
    client.force_login(User.objects.get(username="sofia"))
    page = client.get(f"/promises/strategies/tests/{tests[0].pk}/").content.decode()
    assert "Cobrado por deudor" in page and "intervalo de confianza del 95" in page


def test_running_it_twice_creates_nothing_more(seeded, demo_settings):
    before = row_counts()
    output = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", debtors=DEBTORS, stdout=output)
    assert row_counts() == before
    assert f"debtors 0 created, {DEBTORS} already there" in output.getvalue()
    assert "users 0 created, 5 already there" in output.getvalue()


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with translation.override("en"), pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo", debtors=10, stdout=StringIO())
    assert not User.objects.exists()


def test_force_runs_it_with_debug_off(db, demo_settings):
    demo_settings.DEBUG = False
    call_command("seed_demo", debtors=0, force=True, stdout=StringIO())
    assert User.objects.count() == 5
    assert Portfolio.objects.count() == 3


def test_it_refuses_a_negative_number_of_debtors(db, demo_settings):
    with translation.override("en"), pytest.raises(CommandError, match="zero or more"):
        call_command("seed_demo", debtors=-1, stdout=StringIO())


def test_debtors_are_split_over_the_markets_without_losing_any():
    assert demo.debtor_counts(60) == [24, 21, 15]
    assert sum(demo.debtor_counts(1_000_001)) == 1_000_001
