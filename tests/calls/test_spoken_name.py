"""Names written surname first ("Apaza Ñahui, Nelly") are read aloud given name first, and
stored as the creditor wrote them."""

import io

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from debtors.importing.loading import portfolio_get_or_create, portfolio_import
from debtors.models import Debtor, name_as_spoken
from promises.models import Message
from tests import factories
from tests.calls.conftest import local

WEDNESDAY = local("2026-11-18 10:00", "America/Lima")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Apaza Ñahui, Nelly", "Nelly Apaza Ñahui"),
        ("APAZA ÑAHUI , NELLY ROSA", "NELLY ROSA APAZA ÑAHUI"),
        ("Pérez, Juan A.", "Juan A. Pérez"),
        ("Nelly Apaza Ñahui", "Nelly Apaza Ñahui"),  # already in speaking order
        ("APAZA ÑAHUI NELLY", "APAZA ÑAHUI NELLY"),  # no comma: which words are surnames cannot be told
        ("Inversiones Andinas, S.A.C.", "Inversiones Andinas, S.A.C."),
        ("Constructora Norte, S.A. de C.V.", "Constructora Norte, S.A. de C.V."),
        ("Comercial Sur, SRL", "Comercial Sur, SRL"),
        ("Acme, Inc.", "Acme, Inc."),
        ("Lote 5, Mz. B", "Lote 5, Mz. B"),
        ("Apaza,", "Apaza,"),
        ("Uno, Dos, Tres", "Uno, Dos, Tres"),
    ],
)
def test_a_name_written_surname_first_is_spoken_given_name_first(written, spoken):
    assert name_as_spoken(written) == spoken


@pytest.fixture
def nelly(db, portfolio, carla):
    debtor = factories.make_debtor(
        portfolio=portfolio, assigned_to=carla, full_name="Apaza Ñahui, Nelly", language="en"
    )
    factories.make_debt(debtor=debtor)
    phone = factories.make_phone(debtor=debtor, number="+51911222333")
    phone.sms_consent, phone.sms_consent_source, phone.sms_consent_at = True, "contrato", WEDNESDAY
    phone.save()
    return debtor


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_call_screen_reads_back_the_name_given_name_first(client, carla, nelly):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(carla)

    page = client.get(reverse("debtors:detail", args=[nelly.pk])).content.decode()
    assert "make sure you are talking to Nelly Apaza Ñahui before you mention any debt" in page

    phone = nelly.phones.get()
    data = {
        "phone": phone.pk,
        "outcome": "right_party",
        "commitment": "promise",
        "promise_amount": "400",
        "promise_date": "2026-11-27",
    }
    html = client.post(reverse("calls:log", args=[nelly.pk]), data, **HTMX).content.decode()
    read_back = html[html.index('class="read-back"') :]
    assert "Nelly Apaza Ñahui, let me repeat what we have agreed today" in read_back

    client.post(reverse("calls:summary_send", args=[nelly.calls.get().pk]), {"channel": "sms"}, **HTMX)
    assert Message.objects.get().body.startswith("Hello Nelly, this is what we agreed today")
    nelly.refresh_from_db()
    assert nelly.full_name == "Apaza Ñahui, Nelly"  # stored as the creditor wrote it


def test_an_apellidos_y_nombres_column_keeps_the_name_as_written(db, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    lima = portfolio_get_or_create(portfolio="Tarjetas", creditor="Banco Andino", country="PE")
    content = (
        "Código;Apellidos y Nombres;Saldo;Fecha de vencimiento\r\nC-1;Apaza Ñahui, Nelly;100,00;31/08/2026\r\n"
    ).encode("latin-1")

    portfolio_import(file=io.BytesIO(content), portfolio=lima)

    nelly = Debtor.objects.get()
    assert (nelly.full_name, nelly.spoken_name) == ("Apaza Ñahui, Nelly", "Nelly Apaza Ñahui")


def test_a_payment_reminder_greets_the_debtor_by_the_given_name(carla, nelly):
    from promises.services import render_reminder

    promise = factories.make_promise(debtor=nelly, collector=carla)
    _subject, body = render_reminder(promise=promise, channel="sms")

    assert body.startswith("Hello Nelly, a reminder from")
