"""Drill-downs and call review at scale: the supervisor's rows are chosen by their people's ids
(no join per row) and a list longer than the count cap says "more than"."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from calls.models import Call
from collections_crm.lib import paging
from collections_crm.permissions import collector_scope
from tests import factories

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 18, 12, 0, tzinfo=ZoneInfo("America/Lima"))


def test_a_supervisors_work_is_chosen_by_their_peoples_ids(sofia, carla, cris, diego, mateo):
    factories.make_call(debtor=diego, collector=carla)
    factories.make_call(debtor=mateo, collector=cris)  # another team's work

    calls = Call.objects.filter(collector_scope(sofia, "collector"))

    assert [call.collector for call in calls] == [carla]
    assert "JOIN" not in str(calls.query).split("WHERE", 1)[0]


@time_machine.travel(NOON, tick=False)
def test_a_drill_down_longer_than_the_cap_says_more_than(client, sofia, carla, diego, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    for _ in range(4):
        factories.make_call(debtor=diego, collector=carla, started_at=NOON)
    client.force_login(sofia)

    page = client.get(reverse("promises:calls_behind"), {"period": "month"}).content.decode()

    assert "más de 2 filas" in page
    monkeypatch.setattr(paging, "COUNT_CAP", 10_000)
    assert "4 filas" in client.get(reverse("promises:calls_behind"), {"period": "month"}).content.decode()


@time_machine.travel(NOON, tick=False)
def test_a_supervisors_broken_promises_are_found_per_collector_then_sorted_by_due_date(
    client, ana, sofia, carla, carlos, cris, diego, mateo
):
    from datetime import date

    from supervision.selectors import DashboardFilters, Period, promises_behind

    for day, who, debtor in (
        (20, carlos, diego),
        (3, carla, diego),
        (9, cris, mateo),
        (3, carlos, diego),
        (1, carla, diego),
    ):
        factories.make_promise(debtor=debtor, collector=who, due_date=date(2026, 11, day), status="broken")
    month = Period(date(2026, 11, 1), date(2026, 11, 30))

    client.force_login(sofia)
    page = client.get(reverse("promises:promises_behind"), {"status": "broken", "period": "month"}).context["page"]
    assert [(p.due_date.day, p.collector.username) for p in page] == [
        (1, "carla"),
        (3, "carla"),
        (3, "carlos"),
        (20, "carlos"),
    ]
    # Walking the due-date index in order would read every promise due in the month to find the
    # team's: the team's are found by collector first (promise_collector_created_idx), then sorted.
    mine = promises_behind(sofia, period=month, filters=DashboardFilters(), kind="due", status="broken")
    assert "ORDER BY COALESCE" in str(mine.query)
    everyone = promises_behind(ana, period=month, filters=DashboardFilters(), kind="due", status="broken")
    assert "COALESCE" not in str(everyone.query) and everyone.count() == 5
