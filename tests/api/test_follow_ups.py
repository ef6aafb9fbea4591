"""The API agrees with the desk: a logged call settles the follow-ups it worked, every commitment
is followed up, and follow-ups are done or moved by hand only with a reason, at lawful moments."""

from datetime import datetime

import pytest
import time_machine

from calls.models import FollowUp, FollowUpEvent
from tests import factories
from tests.api.conftest import LIMA, WEDNESDAY, token_client

EARLIER = datetime(2026, 11, 18, 8, 30, tzinfo=LIMA)


pytestmark = pytest.mark.usefixtures("high_ids")  # ids above 1,000, as on a database in use


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


@pytest.fixture
def carla_api(carla):
    return token_client(carla)


def test_a_logged_call_says_which_follow_ups_it_settled_and_when_the_retry_comes(carla_api, carla, diego):
    due = factories.make_follow_up(debtor=diego, assigned_to=carla, reason="broken_promise", due_at=EARLIER)
    body = {"debtor": diego.pk, "phone": diego.phones.get().pk, "outcome": "voicemail"}
    response = carla_api.post("/api/v1/calls/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["settled_follow_ups"] == [due.pk]
    assert response.json()["retry_after_minutes"] == 240
    due.refresh_from_db()
    assert due.status == "done"
    assert FollowUpEvent.objects.get().call_id == response.json()["id"]


@pytest.mark.parametrize("commitment", ["send_documents", "receive_documents", "consult", "other"])
def test_every_commitment_by_api_takes_its_day_and_is_followed_up(carla_api, diego, commitment):
    body = {
        "debtor": diego.pk,
        "phone": diego.phones.get().pk,
        "outcome": "right_party",
        "commitment": commitment,
        "notes": "Firmará el convenio en la agencia",
    }
    missing = carla_api.post("/api/v1/calls/", body, format="json")
    assert missing.status_code == 400 and "follow_up_on" in missing.json()["errors"]
    response = carla_api.post("/api/v1/calls/", {**body, "follow_up_on": "2026-11-21"}, format="json")
    assert response.status_code == 201, response.content
    follow_up = FollowUp.objects.get(pk=response.json()["follow_up"])
    assert response.json()["follow_up_on"] == "2026-11-21"
    assert (follow_up.reason, follow_up.due_at) == ("commitment", datetime(2026, 11, 23, 7, 0, tzinfo=LIMA))


def test_completing_needs_a_reason(carla_api, carla, diego):
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla, due_at=EARLIER)
    for body in ({}, {"note": "  "}):
        response = carla_api.post(
            f"/api/v1/follow-ups/{follow_up.pk}/complete/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400
        assert response.json()["errors"]["note"] == ["Say why the follow-up is done without a call."]
    assert FollowUp.objects.get(pk=follow_up.pk).status == "open"
    done = carla_api.post(f"/api/v1/follow-ups/{follow_up.pk}/complete/", {"note": "Pagó en agencia"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert FollowUpEvent.objects.get().note == "Pagó en agencia"


def test_moving_by_api_checks_the_contact_policy_and_records_the_change(carla_api, carla, diego):
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla, due_at=EARLIER)
    url = f"/api/v1/follow-ups/{follow_up.pk}/move/"
    night = carla_api.post(url, {"due_at": "2026-11-18T21:30:00-05:00", "note": "Después del trabajo"}, format="json")
    assert night.status_code == 409 and night.json()["code"] == "contact_blocked"
    assert "due_at" in night.json()["errors"]
    naive = carla_api.post(url, {"due_at": "2026-11-19T10:00:00", "note": "Mañana"}, format="json")
    assert naive.status_code == 400
    moved = carla_api.post(url, {"due_at": "2026-11-19T10:00:00-05:00", "note": "Mañana a media mañana"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["due_at"].startswith("2026-11-19T10:00:00")
    event = FollowUpEvent.objects.get()
    assert (event.kind, event.by, event.note) == ("moved", carla, "Mañana a media mañana")

    carla_api.post(f"/api/v1/follow-ups/{follow_up.pk}/complete/", {"note": "Ya pagó"}, format="json")
    closed = carla_api.post(url, {"due_at": "2026-11-20T10:00:00-05:00", "note": "Otra vez"}, format="json")
    assert closed.status_code == 409 and closed.json()["code"] == "not_open"
