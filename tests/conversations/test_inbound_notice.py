"""An open debtor page learns within seconds that the debtor wrote."""

from datetime import timedelta

import pytest
from django.urls import reverse

from tests.conversations.conftest import WEDNESDAY, twilio_post, twilio_sms

pytestmark = pytest.mark.usefixtures("providers", "clock")


def test_the_page_asks_and_hears_of_messages_since_it_was_shown(client, diego, carla, clock):
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    url = reverse("calls:inbound_since", args=[diego.pk])
    assert f'hx-get="{url}?after=' in page and 'hx-trigger="every 15s"' in page
    asked = client.get(url, {"after": WEDNESDAY.isoformat()}).content.decode()
    assert "hx-trigger" in asked and "escribió" not in asked
    clock.move_to(WEDNESDAY + timedelta(minutes=1))
    twilio_post(client, twilio_sms("SM5001", "¿Me pueden llamar?"))
    twilio_post(client, twilio_sms("SM5002", "Es urgente"))
    heard = client.get(url, {"after": WEDNESDAY.isoformat()}).content.decode()
    assert "El deudor escribió 2 mensajes nuevos" in heard and "Es urgente" in heard and "hx-trigger" not in heard


def test_a_moment_that_is_not_one_means_from_now(client, diego, carla):
    client.force_login(carla)
    response = client.get(reverse("calls:inbound_since", args=[diego.pk]), {"after": "ayer"})
    assert response.status_code == 200 and "hx-trigger" in response.content.decode()


def test_another_teams_collector_learns_nothing(client, diego, cris):
    client.force_login(cris)
    assert client.get(reverse("calls:inbound_since", args=[diego.pk])).status_code == 404
