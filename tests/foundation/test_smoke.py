from django.urls import reverse


def test_collector_home_shows_their_queue(client, carla, diego):
    client.force_login(carla)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Diego Díaz Quispe" in response.content.decode()
