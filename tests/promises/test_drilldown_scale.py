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
