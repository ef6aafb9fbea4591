"""Signing in, out, changing and resetting passwords; throttled failures; role homes."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD


def _sign_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_sign_in_page_is_in_spanish_by_default(client, db):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert '<html lang="es">' in page.content.decode()
    assert "Iniciar sesión" in page.content.decode()


def test_english_is_one_click_away(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True)
    assert '<html lang="en">' in response.content.decode()
    assert "Sign in" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "lands_on"),
    [("carla", "home"), ("sofia", "promises:dashboard"), ("ana", "debtors:portfolios")],
)
def test_each_role_lands_on_its_home_page(client, request, persona, lands_on):
    request.getfixturevalue(persona)
    response = _sign_in(client, persona)
    assert response.status_code == 302
    home = client.get(response["Location"])
    if lands_on != "home":
        assert home.status_code == 302 and home["Location"] == reverse(lands_on)
        home = client.get(home["Location"])
    assert home.status_code == 200


def test_a_collector_lands_on_their_queue(client, carla, diego):
    _sign_in(client, "carla")
    page = client.get(reverse("home")).content.decode()
    assert "Mi cola" in page and diego.full_name in page


def test_a_wrong_password_is_refused_with_a_message(client, carla):
    response = _sign_in(client, "carla", "not the password")
    assert response.status_code == 200
    assert "no coinciden" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_user_out_for_a_while(client, carla, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "carla", "guess")
    locked = _sign_in(client, "carla")  # even the right password is refused now
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "bloqueado" in locked.content.decode()


def test_a_language_chosen_before_signing_in_becomes_the_users_preference(client, carla):
    client.post(reverse("set_language"), {"language": "en"})
    _sign_in(client, "carla")
    carla.refresh_from_db()
    assert carla.language == "en"
    assert "My queue" in client.get(reverse("home")).content.decode()


def test_the_saved_language_is_used_at_sign_in(client, carla):
    carla.language = "en"
    carla.save()
    response = _sign_in(client, "carla")
    assert response.cookies["django_language"].value == "en"


def test_signing_out_ends_the_session(client, carla):
    client.force_login(carla)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_changing_the_password(client, carla):
    client.force_login(carla)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase 2027",
            "new_password2": "a new long passphrase 2027",
        },
    )
    assert response.status_code == 302
    carla.refresh_from_db()
    assert carla.check_password("a new long passphrase 2027")


def test_password_reset_sends_a_link_by_email(client, carla):
    carla.email = "carla@example.com"
    carla.save()
    response = client.post(reverse("password_reset"), {"email": "carla@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_a_user_chooses_their_language_and_time_zone(client, carla):
    client.force_login(carla)
    response = client.post(reverse("preferences"), {"language": "en", "time_zone": "Europe/Madrid"}, follow=True)
    carla.refresh_from_db()
    assert (carla.language, carla.time_zone) == ("en", "Europe/Madrid")
    assert "Your preferences were saved." in response.content.decode()


def test_an_unknown_time_zone_is_refused_and_nothing_changes(client, carla):
    client.force_login(carla)
    response = client.post(reverse("preferences"), {"language": "en", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Mars/Olympus" in response.content.decode()  # the error names the bad value
    carla.refresh_from_db()
    assert carla.time_zone == "America/Lima"
