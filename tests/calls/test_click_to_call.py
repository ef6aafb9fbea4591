"""Click-to-call: the contact policy first, then the install's dialer places the call from the
collector's phone; fakes of VICIdial's Agent API and Asterisk's AMI check what we send."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.calls.dialer_fakes import FakeAmi, FakeVicidial

LIMA = ZoneInfo("America/Lima")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
NIGHT = datetime(2026, 11, 18, 23, 0, tzinfo=LIMA)
SUCCESS = "SUCCESS: external_dial function set - 987654321|6666|51|YES|NO|YES||1795014000||||\n"


@pytest.fixture
def vicidial(settings, carla):
    fake = FakeVicidial(SUCCESS)
    settings.DIALER, settings.VICIDIAL_URL = "vicidial", fake.url
    settings.VICIDIAL_API_USER, settings.VICIDIAL_API_PASS, settings.VICIDIAL_SOURCE = "crmapi", "s3cr3t", "crm"
    carla.dialer_agent_user = "6666"
    carla.save()
    yield fake
    fake.close()


@pytest.fixture
def asterisk(settings, carla):
    fake = FakeAmi(username="crm", secret="ami-secret")
    settings.DIALER, settings.ASTERISK_AMI_HOST, settings.ASTERISK_AMI_PORT = "asterisk", "127.0.0.1", fake.port
    settings.ASTERISK_AMI_USERNAME, settings.ASTERISK_AMI_SECRET = "crm", "ami-secret"
    settings.ASTERISK_CHANNEL, settings.ASTERISK_CONTEXT = "PJSIP/{extension}", "from-internal"
    settings.ASTERISK_DIAL_PREFIX, settings.ASTERISK_CALLER_NAME = "", "CRM"
    carla.dialer_extension = "201"
    carla.save()
    yield fake
    fake.close()


def _dial(client, user, debtor, *, at=WEDNESDAY):
    client.force_login(user)
    phone = debtor.phones.get()
    with time_machine.travel(at, tick=True):
        return client.post(reverse("calls:dial", args=[debtor.pk, phone.pk]), follow=True)


def _notice(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def test_a_click_asks_vicidial_to_dial_from_the_collectors_agent_session(client, carla, diego, vicidial):
    response = _dial(client, carla, diego)

    assert vicidial.requests == [
        "/agc/api.php?source=crm&user=crmapi&pass=s3cr3t&agent_user=6666&function=external_dial"
        "&value=987654321&phone_code=51&search=YES&preview=NO&focus=YES"
    ]
    assert "Marcando +51 987 654 321: su teléfono (6666) suena primero." in _notice(response)


def test_a_blocked_number_never_reaches_the_dialer(client, carla, diego, vicidial):
    diego.hold_cease = True
    diego.save()

    response = _dial(client, carla, diego)

    assert vicidial.requests == []
    notice = _notice(response)
    assert notice.startswith("No se marcó: la política de contacto no permite esta llamada ahora.")


def test_after_hours_nothing_dials(client, carla, diego, vicidial):
    response = _dial(client, carla, diego, at=NIGHT)
    assert vicidial.requests == []
    assert "No se marcó" in _notice(response)


@pytest.mark.parametrize(
    "answer,expected",
    [
        (
            "ERROR: agent_user is not logged in - 6666\n",
            "No ha iniciado sesión en VICIdial: inicie sesión en su pantalla de agente e inténtelo de nuevo.",
        ),
        (
            "ERROR: Invalid Username/Password: |crmapi|s3cr3t|0|0||\n",
            "El marcador rechazó el usuario de API del CRM: pida a un administrador que revise su configuración.",
        ),
        (
            "NOTICE: defined dial_ingroup not found - X\nERROR: group_alias is not valid - 6666|TESTING\n",
            "El marcador rechazó la llamada: group_alias is not valid.",
        ),
    ],
)
def test_vicidials_refusals_are_said_plainly_and_never_echo_the_password(
    client, carla, diego, vicidial, answer, expected
):
    vicidial.answer = answer
    notice = _notice(_dial(client, carla, diego))
    assert expected in notice and "s3cr3t" not in notice


def test_a_collector_without_an_agent_user_is_told_so(client, carla, diego, vicidial):
    carla.dialer_agent_user = ""
    carla.save()
    notice = _notice(_dial(client, carla, diego))
    assert vicidial.requests == [] and "No tiene usuario de agente de VICIdial" in notice


def test_a_click_originates_through_asterisk_from_the_collectors_extension(client, carla, diego, asterisk):
    response = _dial(client, carla, diego)

    login, originate, logoff = asterisk.actions
    action_id = re.search(rb"ActionID: (crm-[0-9a-f]{16})\r\n", originate).group(1).decode()
    assert (
        login
        == (
            f"Action: Login\r\nActionID: {action_id}-login\r\nUsername: crm\r\nSecret: ami-secret\r\nEvents: off\r\n\r\n"
        ).encode()
    )
    assert (
        originate
        == (
            f"Action: Originate\r\nActionID: {action_id}\r\nChannel: PJSIP/201\r\nContext: from-internal\r\n"
            "Exten: 51987654321\r\nPriority: 1\r\nCallerID: CRM <51987654321>\r\nTimeout: 30000\r\nAsync: true\r\n"
            f"Variable: CRM_DEBTOR_ID={diego.pk}\r\nVariable: CRM_PHONE_ID={diego.phones.get().pk}\r\n\r\n"
        ).encode()
    )
    assert logoff == b"Action: Logoff\r\n\r\n"
    assert "Marcando +51 987 654 321: su teléfono (201) suena primero." in _notice(response)


def test_asterisk_refusing_the_login_or_the_call_is_said(client, carla, diego, asterisk, settings):
    settings.ASTERISK_AMI_SECRET = "wrong"
    assert "rechazó el usuario AMI del CRM" in _notice(_dial(client, carla, diego))
    settings.ASTERISK_AMI_SECRET = "ami-secret"
    asterisk.originate_response = "Error"
    assert "El marcador rechazó la llamada: Originate failed." in _notice(_dial(client, carla, diego))


def test_a_blocked_number_never_reaches_asterisk(client, carla, diego, asterisk):
    diego.hold_dispute = True
    diego.save()
    _dial(client, carla, diego)
    assert asterisk.actions == []


def test_without_a_dialer_the_page_offers_tel_links(client, carla, diego):
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    assert 'href="tel:+51987654321"' in page and "dial-form" not in page
    assert "No hay un marcador configurado" in _notice(_dial(client, carla, diego))


def test_with_a_dialer_the_page_offers_a_dial_button(client, carla, diego, vicidial):
    client.force_login(carla)
    page = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    url = reverse("calls:dial", args=[diego.pk, diego.phones.get().pk])
    assert f'action="{url}"' in page and 'href="tel:' not in page


def test_someone_outside_the_debtors_scope_cannot_dial(client, carlos, diego, vicidial):
    client.force_login(carlos)
    response = client.post(reverse("calls:dial", args=[diego.pk, diego.phones.get().pk]))
    assert response.status_code == 404 and vicidial.requests == []
    assert client.get(reverse("calls:dial", args=[diego.pk, diego.phones.get().pk])).status_code == 405
