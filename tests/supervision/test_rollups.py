"""The dashboard rollups: rebuilt by a job every minute, they match a hand count of the rows."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from collections_crm.users.models import User
from demo.seeding import demo_seed
from promises.models import PaymentRollup, Promise, PromiseRollup, RollupState
from promises.services import payment_record, promise_cancel, promises_flag_lapsed
from supervision import selectors
from supervision.services import promise_rollups_refresh, reporting_zone
from tests import factories
from tests.promises.conftest import LIMA, MONDAY

WEEK = selectors.Period(date(2026, 11, 16), date(2026, 11, 22))


def _rows(model):
    fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
    return sorted(model.objects.values_list(*fields))


def _same_as_live(user, period):
    filters = selectors.DashboardFilters()
    with timezone.override(reporting_zone()):
        live = selectors.promise_figures(user, period, filters)
    return live == selectors.dashboard_figures(user, period, filters)


@pytest.mark.usefixtures("clock")
def test_the_job_catches_up_with_new_promises_status_changes_and_payments(ana, diego, carla, clock):
    kept = factories.make_promise(
        debtor=diego, collector=carla, amount=Decimal("100"), due_date=date(2026, 11, 18), status="kept"
    )
    promise_rollups_refresh()
    assert _same_as_live(ana, WEEK)

    # A minute later: a new promise, one cancelled, a payment that keeps another.
    clock.move_to(MONDAY + timedelta(minutes=1))
    fresh = factories.make_promise(debtor=diego, collector=carla, amount=Decimal("80"), due_date=date(2026, 11, 20))
    other = factories.make_promise(debtor=diego, collector=carla, amount=Decimal("60"), due_date=date(2026, 11, 30))
    promise_cancel(promise=other, by=carla)
    payment_record(
        debtor=diego, amount=Decimal("80"), paid_at=timezone.now(), reference="OP-1", source="manual", recorded_by=ana
    )
    assert not _same_as_live(ana, WEEK)  # the rollups lag until the job runs

    result = promise_rollups_refresh()
    assert not result.full
    assert _same_as_live(ana, WEEK)
    assert _same_as_live(ana, selectors.Period(date(2026, 11, 1), date(2026, 11, 30)))
    figures = {row["currency"]: row for row in selectors.dashboard_figures(ana, WEEK, selectors.DashboardFilters())}
    assert figures["PEN"]["made"]["count"] == 3
    assert figures["PEN"]["collected"] == Decimal("80")
    assert Promise.objects.get(pk=fresh.pk).status == "kept" and kept.pk


@pytest.mark.usefixtures("clock")
def test_running_the_job_twice_changes_nothing(ana, diego, carla):
    factories.make_promise(debtor=diego, collector=carla, due_date=date(2026, 11, 18), status="broken")
    factories.make_payment(debtor=diego, credited_to=carla)
    promise_rollups_refresh()
    before = (_rows(PromiseRollup), _rows(PaymentRollup))
    promise_rollups_refresh()
    promise_rollups_refresh(full=True)
    assert (_rows(PromiseRollup), _rows(PaymentRollup)) == before


def test_the_job_stamps_as_of_and_is_on_the_beat_every_minute(ana, diego, carla):
    moment = datetime(2026, 11, 16, 15, 0, tzinfo=LIMA)
    factories.make_promise(debtor=diego, collector=carla)
    promise_rollups_refresh(now=moment)
    assert RollupState.objects.get().refreshed_at == moment
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-dashboard-rollups"]
    assert entry["task"] == "promises.tasks.refresh_dashboard_rollups" and entry["schedule"] == 60.0


def test_the_task_refreshes_the_rollups(ana, diego, carla):
    from supervision.tasks import refresh_dashboard_rollups

    factories.make_promise(debtor=diego, collector=carla, amount=Decimal("55"))
    result = refresh_dashboard_rollups.apply().get()
    assert result["full"] is True
    assert PromiseRollup.objects.filter(kind="made").get().amount == Decimal("55")


def test_the_lapsed_promises_job_shows_on_the_dashboard_after_the_next_refresh(ana, diego, carla):
    with time_machine.travel(MONDAY, tick=False):
        promise = factories.make_promise(debtor=diego, collector=carla, due_date=date(2026, 11, 16))
        promise_rollups_refresh()
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        promises_flag_lapsed()
        promise_rollups_refresh()
        figures = selectors.dashboard_figures(ana, WEEK, selectors.DashboardFilters())
    assert Promise.objects.get(pk=promise.pk).status == "broken"
    assert figures[0]["broken"]["count"] == 1


# --- The figures against a hand count on the demo data ---------------------------------------

DEMO_NOW = datetime(2026, 11, 18, 11, 0, tzinfo=LIMA)


def _hand_count(user, period, zone) -> dict:
    """Count with plain Python over every row: what the dashboard must say."""
    team_members = {u.pk for u in User.objects.filter(team__supervisor=user)} | {user.pk}
    in_scope = (lambda pk: True) if user.is_crm_admin else (lambda pk: pk in team_members)
    start = datetime.combine(period.start, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    counts = defaultdict(lambda: defaultdict(lambda: [0, Decimal("0")]))
    for promise in Promise.objects.all():
        if not in_scope(promise.collector_id):
            continue
        figures = counts[promise.currency]
        if start <= promise.created_at < end:
            figures["made"][0] += 1
            figures["made"][1] += promise.amount
        if period.start <= promise.due_date <= period.end and promise.status != "cancelled":
            for key in ("due", promise.status):
                figures[key][0] += 1
                figures[key][1] += promise.amount
    collected = defaultdict(Decimal)
    from promises.models import Payment

    for payment in Payment.objects.all():
        if payment.credited_to_id and in_scope(payment.credited_to_id) and start <= payment.paid_at < end:
            collected[payment.currency] += payment.amount
    return {"counts": counts, "collected": collected}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dashboard_figures_match_a_hand_count_on_the_demo_data(client):
    with time_machine.travel(DEMO_NOW, tick=False):
        demo_seed(debtor_count=150, now=DEMO_NOW)
        promise_rollups_refresh()
        sofia = User.objects.get(username="sofia")
        ana = User.objects.get(username="ana")
        zone = reporting_zone()
        for user in (sofia, ana):
            client.force_login(user)
            for params, period in (
                ({"period": "month"}, selectors.Period(date(2026, 11, 1), date(2026, 11, 30))),
                (
                    {"period": "range", "start": "2026-08-01", "end": "2026-11-30"},
                    selectors.Period(date(2026, 8, 1), date(2026, 11, 30)),
                ),
            ):
                page = {
                    row["currency"]: row for row in client.get(reverse("promises:dashboard"), params).context["figures"]
                }
                hand = _hand_count(user, period, zone)
                assert page, "the demo data has promises in the period"
                for currency, row in page.items():
                    counted = hand["counts"][currency]
                    for key in ("made", "due", "kept", "partially_kept", "broken", "pending"):
                        assert (row[key]["count"], row[key]["amount"]) == tuple(counted[key]), (user, currency, key)
                    assert row["collected"] == hand["collected"][currency]
                    resolved = sum(counted[s][0] for s in ("kept", "partially_kept", "broken"))
                    if resolved:
                        assert row["kept_rate_count"] == pytest.approx(counted["kept"][0] / resolved)
                assert set(page) == {c for c, v in hand["counts"].items() if any(x[0] for x in v.values())} | {
                    c for c, v in hand["collected"].items() if v
                }


@pytest.mark.usefixtures("clock")
def test_calls_logged_after_a_run_count_after_the_next(sofia, diego, carla, clock):
    from calls.models import Call

    factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY)
    promise_rollups_refresh()
    clock.move_to(MONDAY + timedelta(minutes=1))
    factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.NO_ANSWER)

    def carla_row():
        rows = selectors.collector_performance(sofia, WEEK, selectors.DashboardFilters(), zone=reporting_zone())
        return next(row for row in rows if row["collector"] == carla)

    assert (carla_row()["calls"], carla_row()["right_party"]) == (1, 1)
    promise_rollups_refresh()
    assert (carla_row()["calls"], carla_row()["right_party"]) == (2, 1)


def test_promises_inserted_without_an_event_are_still_counted(ana, diego, carla):
    # An import may write promises in bulk; the job finds new ones by id, not only by event.
    promise_rollups_refresh()
    promise = factories.make_promise(debtor=diego, collector=carla, amount=Decimal("70"), due_date=date(2026, 11, 18))
    promise.events.all().delete()
    promise_rollups_refresh()
    assert PromiseRollup.objects.get(kind="made").amount == Decimal("70")
    assert PromiseRollup.objects.get(kind="due").amount == Decimal("70")
