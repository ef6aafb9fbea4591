"""The self-service page's defences: expired, altered, revoked, locked and other debtors' links
open nothing; five wrong answers lock a link; identity lives in a session rotated when it is
confirmed, ending after 15 idle minutes or on sign-out; one client is rate-limited; every
request is logged; and the pages stay out of caches and referrers."""

from datetime import timedelta

from django.core import signing
from django.utils import timezone

from collections_crm.users.models import Role
from collections_crm.users.services import user_create
from selfservice.models import SelfServiceEvent, SelfServiceLink
from selfservice.services import link_revoke, link_send
from selfservice.tokens import SALT, link_token
from tests import factories
from tests.conftest import PASSWORD
from tests.selfservice.conftest import NATIONAL_ID, path_of

RIGHT = NATIONAL_ID[-4:]


def account_shown(response) -> bool:
    return "Banco Andino" in response.content.decode()


def test_an_expired_link_opens_nothing(client, clock, sent_link):
    link, message = sent_link
    clock.shift(timedelta(days=7, seconds=1))
    response = client.get(path_of(message))
    assert response.status_code == 410
    assert client.post(path_of(message) + "identity/", {"digits": RIGHT}).status_code == 410
    assert SelfServiceEvent.objects.filter(kind="refused", detail="expired").exists()


def test_an_altered_token_opens_nothing(client, sent_link):
    link, message = sent_link
    path = path_of(message)
    token = path.split("/")[2]
    forged = signing.dumps({"l": link.pk, "d": link.debtor_id + 1}, salt="another.salt")
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged, "x" * 40):
        response = client.get(f"/s/{bad}/")
        assert response.status_code == 404
        assert "Banco Andino" not in response.content.decode()
    assert SelfServiceEvent.objects.filter(kind="refused", detail="unreadable", debtor__isnull=True).count() == 3


def test_a_token_naming_another_debtors_link_opens_nothing(client, clock, sent_link, portfolio, carla):
    link, _message = sent_link
    other = factories.make_debtor(
        portfolio=portfolio, assigned_to=carla, full_name="Otra Persona", national_id="11112222"
    )
    # Correctly signed, but the link it names is not that debtor's.
    mixed = signing.dumps({"l": link.pk, "d": other.pk}, salt=SALT)
    assert client.get(f"/s/{mixed}/").status_code == 404


def test_a_revoked_link_stops_working_even_in_an_open_session(client, sent_link, carla):
    link, message = sent_link
    path = path_of(message)
    client.post(path + "identity/", {"digits": RIGHT})
    assert account_shown(client.get(path))
    link_revoke(link=link, by=carla)
    response = client.get(path)
    assert response.status_code == 410 and not account_shown(response)


def test_a_session_confirmed_for_one_link_does_not_open_another(client, clock, sent_link, portfolio, carla):
    _link, message = sent_link
    client.post(path_of(message) + "identity/", {"digits": RIGHT})
    other = factories.make_debtor(
        portfolio=portfolio, assigned_to=carla, full_name="Otra Persona", national_id="11112222"
    )
    factories.make_debt(debtor=other)
    other_link = SelfServiceLink.objects.create(
        debtor=other, created_by=carla, expires_at=timezone.now() + timedelta(days=3)
    )
    response = client.get(f"/s/{link_token(other_link)}/")
    assert "Otra Persona" not in response.content.decode() and 'name="digits"' in response.content.decode()


def test_five_wrong_answers_lock_the_link(client, sent_link):
    link, message = sent_link
    path = path_of(message)
    for _attempt in range(4):
        assert client.post(path + "identity/", {"digits": "0000"}).status_code == 200
    assert client.post(path + "identity/", {"digits": "0000"}).status_code == 403
    link.refresh_from_db()
    assert link.failed_attempts == 5 and link.locked_at is not None
    # Even the right answer no longer opens it.
    assert client.post(path + "identity/", {"digits": RIGHT}).status_code == 410
    assert not account_shown(client.get(path))
    assert SelfServiceEvent.objects.filter(kind="identity_failed").count() == 5
    assert SelfServiceEvent.objects.filter(kind="locked").count() == 1


def test_the_session_id_changes_when_identity_is_confirmed(client, sent_link):
    _link, message = sent_link
    path = path_of(message)
    client.get(path)
    client.session.save()
    before = client.cookies["sessionid"].value
    client.post(path + "identity/", {"digits": RIGHT})
    assert client.cookies["sessionid"].value != before


def test_fifteen_idle_minutes_end_the_session(client, clock, sent_link):
    _link, message = sent_link
    path = path_of(message)
    client.post(path + "identity/", {"digits": RIGHT})
    clock.shift(timedelta(minutes=14))
    assert account_shown(client.get(path))
    clock.shift(timedelta(minutes=16))
    assert not account_shown(client.get(path))


def test_signing_out_ends_the_session(client, sent_link):
    _link, message = sent_link
    path = path_of(message)
    client.post(path + "identity/", {"digits": RIGHT})
    client.post(path + "sign-out/")
    assert not account_shown(client.get(path))
    assert SelfServiceEvent.objects.filter(kind="signed_out").exists()


def test_actions_need_a_confirmed_identity(client, sent_link):
    _link, message = sent_link
    path = path_of(message)
    response = client.post(path + "promise/", {"due_date": "2026-11-27"})
    assert 'name="digits"' in response.content.decode()
    from promises.models import Promise

    assert not Promise.objects.exists()


def test_one_client_is_rate_limited(client, sent_link, settings):
    _link, message = sent_link
    path = path_of(message)
    statuses = [client.get(path).status_code for _n in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    assert SelfServiceEvent.objects.filter(kind="rate_limited").exists()


def test_identity_answers_are_limited_per_client_across_links(client, clock, ready_debtor, carla):
    paths = []
    for _n in range(3):
        _link, message = link_send(debtor=ready_debtor, channel="sms", by=carla, base_url="http://testserver/")
        paths.append(path_of(message))
    answers = [client.post(paths[n // 4] + "identity/", {"digits": "0000"}).status_code for n in range(11)]
    assert answers[10] == 429


def test_every_request_is_logged_with_the_client(client, sent_link):
    _link, message = sent_link
    path = path_of(message)
    client.get(path, HTTP_USER_AGENT="Mozilla/5.0 (Android 14)")
    event = SelfServiceEvent.objects.get(kind="opened")
    assert (event.ip, event.user_agent, event.path) == ("127.0.0.1", "Mozilla/5.0 (Android 14)", path)


def test_the_pages_stay_out_of_caches_and_referrers(client, sent_link):
    _link, message = sent_link
    response = client.get(path_of(message))
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]


def test_staff_outside_the_debtors_scope_cannot_send_or_revoke_links(client, clock, ready_debtor, sent_link):
    link, _message = sent_link
    cris = user_create(username="otro", password=PASSWORD, role=Role.COLLECTOR, first_name="Otro")
    client.force_login(cris)
    assert client.post(f"/calls/debtors/{ready_debtor.pk}/self-service/", {"channel": "sms"}).status_code == 404
    assert client.post(f"/calls/debtors/{ready_debtor.pk}/self-service/{link.pk}/revoke/").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None and SelfServiceLink.objects.count() == 1


def test_a_link_needs_a_national_id_to_ask_for(client, clock, diego, carla):
    client.force_login(carla)
    diego.phones.update(sms_consent=True, sms_consent_source="Contrato", sms_consent_at=diego.created_at)
    response = client.post(f"/calls/debtors/{diego.pk}/self-service/", {"channel": "sms"}, follow=True)
    assert response.status_code == 200
    assert not SelfServiceLink.objects.exists()
