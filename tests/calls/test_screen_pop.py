"""Screen pop, the dialer's call id on the call, dispositions mapped through the admin's table,
and recording addresses posted by the dialer."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from calls.models import Call, DialerDisposition
from tests import factories
from tests.api.conftest import token_client

LIMA = ZoneInfo("America/Lima")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN = "dialer-token-0123456789"


@pytest.fixture
def hook(settings, carla):
    settings.DIALER_WEBHOOK_TOKEN = TOKEN
    carla.dialer_agent_user, carla.dialer_extension = "6666", "201"
    carla.save()


def test_a_pop_opens_the_debtor_who_holds_the_number_with_the_dialers_call_id(client, carla, diego):
    client.force_login(carla)
    response = client.get("/desk/pop/", {"phone": "+51987654321", "call_id": "V1118100000123"})
    page = reverse("debtors:detail", args=[diego.pk])
    assert response.status_code == 302 and response["Location"] == f"{page}?dialer_call_id=V1118100000123"

    html = client.get(response["Location"]).content.decode()
    assert 'name="dialer_call_id" value="V1118100000123"' in html
    with time_machine.travel(WEDNESDAY, tick=False):
        data = {"phone": diego.phones.get().pk, "outcome": "no_answer", "dialer_call_id": "V1118100000123"}
        client.post(reverse("calls:log", args=[diego.pk]), data, **HTMX)
    assert Call.objects.get().dialer_call_id == "V1118100000123"


def test_a_pop_reads_a_national_number_in_the_portfolios_country(client, carla, diego):
    client.force_login(carla)
    assert client.get("/desk/pop/", {"phone": "987 654 321"})["Location"] == reverse("debtors:detail", args=[diego.pk])
    assert client.get("/desk/pop/", {"phone": "0051987654321"}).status_code == 302


def test_several_holders_are_offered_and_nobody_outside_the_scope(client, carla, portfolio, diego, mateo):
    sister = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Ana Díaz Quispe")
    factories.make_phone(debtor=sister)  # the same number as Diego's
    factories.make_phone(debtor=mateo)  # Mateo is Cristina's: carla must not see him
    client.force_login(carla)
    page = client.get("/desk/pop/", {"phone": "+51987654321", "call_id": "A77"}).content.decode()
    assert "Ana Díaz Quispe" in page and "Diego Díaz Quispe" in page and "Mateo" not in page
    assert f"{reverse('debtors:detail', args=[sister.pk])}?dialer_call_id=A77" in page


def test_an_unknown_or_unreadable_number_says_so(client, carla, diego):
    client.force_login(carla)
    unknown = client.get("/desk/pop/", {"phone": "+51911000111"})
    assert unknown.status_code == 200 and "Ninguno de sus deudores tiene +51911000111." in unknown.content.decode()
    unreadable = client.get("/desk/pop/", {"phone": "llamada"})
    assert unreadable.status_code == 400 and "no es un número de teléfono" in unreadable.content.decode()


def test_the_api_twin_lists_the_holders_in_scope(carla, carlos, diego):
    rows = token_client(carla).get("/api/v1/screen-pop/", {"phone": "+51987654321"}).json()
    assert rows["numbers"] == ["+51987654321"]
    assert [(row["id"], row["full_name"]) for row in rows["debtors"]] == [(diego.pk, "Diego Díaz Quispe")]
    assert token_client(carlos).get("/api/v1/screen-pop/", {"phone": "+51987654321"}).json()["debtors"] == []
    unreadable = token_client(carla).get("/api/v1/screen-pop/", {"phone": "x"})
    assert unreadable.status_code == 200 and unreadable.json() == {"numbers": [], "debtors": []}
    assert token_client(carla).get("/api/v1/screen-pop/").status_code == 400


def _post_hook(client, dialer="vicidial", **fields):
    data = {
        "token": TOKEN,
        "call_id": "V1",
        "disposition": "NA",
        "phone": "987654321",
        "phone_code": "51",
        "agent": "6666",
        **fields,
    }
    with time_machine.travel(WEDNESDAY, tick=False):
        return client.get(f"/hooks/dialer/{dialer}/", data)


def test_a_vicidial_disposition_logs_the_attempt_as_the_table_says(client, diego, carla, sofia, hook):
    response = _post_hook(client, recording_url="https://dialer.example/rec/V1.mp3")

    assert response.status_code == 201, response.content
    call = Call.objects.get()
    assert (call.debtor, call.collector, call.outcome, call.dialer_call_id) == (diego, carla, "no_answer", "V1")
    assert call.recording_url == "https://dialer.example/rec/V1.mp3" and call.policy_decision == "allowed"
    client.force_login(sofia)
    review = client.get(reverse("review:call", args=[call.pk])).content.decode()
    assert 'href="https://dialer.example/rec/V1.mp3"' in review and "Escuchar en el marcador" in review
    again = _post_hook(client)
    assert again.status_code == 200 and again.json()["status"] == "attached" and Call.objects.count() == 1


def test_a_recording_posted_later_attaches_to_the_collectors_call(client, diego, carla, hook):
    factories.make_call(debtor=diego, collector=carla, outcome="right_party", dialer_call_id="V9")
    response = _post_hook(client, call_id="V9", disposition="SALE", recording_url="https://dialer.example/V9.wav")
    assert response.status_code == 200
    call = Call.objects.get()
    assert (call.outcome, call.recording_url) == ("right_party", "https://dialer.example/V9.wav")


def test_a_code_the_table_does_not_know_is_left_for_the_collector(client, diego, hook):
    response = _post_hook(client, disposition="SALE")
    assert response.status_code == 202 and response.json()["status"] == "unmapped" and not Call.objects.exists()
    DialerDisposition.objects.create(dialer="vicidial", code="SALE", outcome="busy")
    assert _post_hook(client, disposition="sale").status_code == 201


def test_asterisk_names_the_debtor_and_the_extension(client, diego, carla, hook):
    response = _post_hook(
        client, dialer="asterisk", disposition="BUSY", agent="201", phone="+51987654321", debtor_id=str(diego.pk)
    )
    assert response.status_code == 201 and Call.objects.get().outcome == "busy"


def test_a_blocked_attempt_is_not_logged_and_answered_409(client, diego, hook):
    diego.hold_cease = True
    diego.save()
    response = _post_hook(client)
    assert response.status_code == 409 and not Call.objects.exists()


def test_the_hook_needs_the_token(client, diego, hook):
    assert _post_hook(client, token="wrong").status_code == 403
    assert not Call.objects.exists()


def test_the_dispositions_of_both_dialers_are_seeded(db):
    seeded = dict(DialerDisposition.objects.values_list("code", "outcome").filter(dialer="vicidial"))
    assert seeded["NA"] == "no_answer" and seeded["B"] == "busy" and seeded["A"] == "voicemail"
    assert DialerDisposition.objects.get(dialer="asterisk", code="NOANSWER").outcome == "no_answer"


def test_the_api_logs_a_call_with_the_dialers_id_and_recording(carla, diego):
    body = {
        "debtor": diego.pk,
        "phone": diego.phones.get().pk,
        "outcome": "no_answer",
        "dialer_call_id": "V555",
        "recording_url": "https://dialer.example/V555.mp3",
    }
    with time_machine.travel(WEDNESDAY, tick=False):
        response = token_client(carla).post("/api/v1/calls/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["dialer_call_id"], response.json()["recording_url"]) == (
        "V555",
        "https://dialer.example/V555.mp3",
    )
    assert Call.objects.get().dialer_call_id == "V555"
