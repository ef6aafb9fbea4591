"""Tokens an admin issues and revokes; the browser session with CSRF; per-user throttles."""

import re

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from collections_crm.users.models import ApiToken
from collections_crm.users.services import api_token_digest, api_token_issue, api_token_revoke
from tests import factories


def bearer(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_token_reaches_the_api_and_only_its_digest_is_stored(carla, diego):
    token, key = api_token_issue(user=carla, name="Dialer Lima")
    response = bearer(key).get("/api/v1/debtors/")
    token.refresh_from_db()
    assert response.status_code == 200 and response.json()["count"] == 1
    assert token.key_digest == api_token_digest(key) and key not in token.key_digest and key.startswith(token.prefix)
    assert token.last_used_at is not None


def test_the_token_keyword_may_also_be_token(carla):
    _token, key = api_token_issue(user=carla, name="Dialer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/debtors/").status_code == 200


def test_a_revoked_token_or_an_inactive_user_is_refused_with_401(carla, carlos):
    token, key = api_token_issue(user=carla, name="Dialer")
    _other, other_key = api_token_issue(user=carlos, name="Old")
    api_token_revoke(token=token)
    carlos.is_active = False
    carlos.save()
    for candidate in (key, other_key, "crm_not-a-token"):
        response = bearer(candidate).get("/api/v1/debtors/")
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_anonymous_callers_get_401(db):
    response = APIClient().get("/api/v1/debtors/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_the_browser_session_works_and_writes_need_the_csrf_token(carla, diego):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(carla)
    assert browser.get("/api/v1/debtors/").status_code == 200
    without = browser.patch(f"/api/v1/debtors/{diego.pk}/", {"hold_dispute": True}, content_type="application/json")
    assert without.status_code == 403 and without.json()["code"] == "permission_denied"
    # In the user's language (Spanish by default), saying what to do; not DRF's "CSRF Failed".
    assert without.json()["detail"].startswith("Falta el código de seguridad de la página")
    browser.get("/")  # any page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    with_token = browser.patch(
        f"/api/v1/debtors/{diego.pk}/", {"hold_dispute": True}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert with_token.status_code == 200


def test_an_admin_issues_a_token_sees_it_once_and_revokes_it(ana, carla):
    admin = Client()
    admin.force_login(ana)
    response = admin.post("/admin/users/apitoken/add/", {"user": carla.pk, "name": "Dialer Lima"}, follow=True)
    page = response.content.decode()
    key = re.search(r"<code>(crm_[A-Za-z0-9_-]+)</code>", page).group(1)
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.created_by) == (carla, "Dialer Lima", ana)
    assert bearer(key).get("/api/v1/debtors/").status_code == 200
    # The key is not on any later page.
    assert key not in admin.get("/admin/users/apitoken/").content.decode()
    assert key not in admin.get(f"/admin/users/apitoken/{token.pk}/change/").content.decode()
    admin.post("/admin/users/apitoken/", {"action": "revoke_selected", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == ana
    assert bearer(key).get("/api/v1/debtors/").status_code == 401


def test_a_new_tokens_key_never_travels_in_a_cookie(ana, carla):
    """Django's cookie message storage signs its cookie but does not encrypt it: a key shown
    through it would sit readable in the browser's cookie jar and in every proxy's log."""
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    admin = Client()
    admin.force_login(ana)
    issued = admin.post("/admin/users/apitoken/add/", {"user": carla.pk, "name": "Dialer Lima"})
    assert issued.status_code == 302
    assert "messages" not in issued.cookies
    request = HttpRequest()
    request.COOKIES = {name: morsel.value for name, morsel in issued.cookies.items()}
    assert list(CookieStorage(request)) == []  # nothing to read there, signed or not
    shown = admin.get(issued["Location"])
    key = re.search(r"<code>(crm_[A-Za-z0-9_-]+)</code>", shown.content.decode()).group(1)
    assert all(key not in morsel.value for morsel in (*issued.cookies.values(), *shown.cookies.values()))
    assert "messages" not in shown.cookies
    # Shown once: the next page no longer has it.
    assert key not in admin.get(issued["Location"]).content.decode()


def test_last_used_is_written_at_most_once_a_minute(carla, diego, django_assert_num_queries):
    factories.make_follow_up(debtor=diego, assigned_to=carla)
    token, key = api_token_issue(user=carla, name="Dialer")
    client = bearer(key)
    client.get("/api/v1/follow-ups/")
    with django_assert_num_queries(3):  # token, count, page: no write
        client.get("/api/v1/follow-ups/")
    ApiToken.objects.update(last_used_at=timezone.now() - timezone.timedelta(minutes=2))
    with django_assert_num_queries(4):
        client.get("/api/v1/follow-ups/")


@pytest.fixture
def throttled(settings):
    settings.API_THROTTLE_USER = "3/min"
    # A private in-memory cache: clearing a Redis cache would flush the broker's database too.
    settings.CACHES = {
        **settings.CACHES,
        "api_throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle-tests"},
    }
    caches["api_throttle"].clear()
    yield
    caches["api_throttle"].clear()


def test_each_user_has_their_own_request_limit(throttled, carla, carlos):
    _token, carla_key = api_token_issue(user=carla, name="Dialer")
    _token, carlos_key = api_token_issue(user=carlos, name="Dialer")
    carla_api, carlos_api = bearer(carla_key), bearer(carlos_key)
    answers = [carla_api.get("/api/v1/follow-ups/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert carlos_api.get("/api/v1/follow-ups/").status_code == 200
    limited = carla_api.get("/api/v1/follow-ups/")
    assert limited.json()["code"] == "throttled" and int(limited.headers["Retry-After"]) > 0


def test_a_read_is_answered_even_when_the_last_used_write_cannot_be_made(carla, diego, monkeypatch, caplog):
    # SQLite answers "database is locked" to a writer that waited past its busy timeout.
    from django.db import OperationalError
    from django.db.models import QuerySet

    token, key = api_token_issue(user=carla, name="Dialer")

    def locked(self, **values):
        if self.model is ApiToken:
            raise OperationalError("database is locked")
        return real_update(self, **values)

    real_update = QuerySet.update
    monkeypatch.setattr(QuerySet, "update", locked)
    response = bearer(key).get("/api/v1/debtors/")

    assert response.status_code == 200 and response.json()["count"] == 1
    assert "could not record the use of API token" in caplog.text
    monkeypatch.setattr(QuerySet, "update", real_update)
    token.refresh_from_db()
    assert token.last_used_at is None  # recorded by the next request instead
