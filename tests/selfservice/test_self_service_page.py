"""The debtor's own page: from the SMS link, identity confirmed, balance and debts seen, a plan
accepted within the portfolio's limits, the convenio downloaded, a call asked for; every step
on the debtor's timeline, and beyond the limits nothing is agreed."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from calls.models import FollowUp
from documents.models import Document
from documents.services import document_pdf
from promises.models import Arrangement, Message, Promise
from selfservice.models import SelfServiceEvent, SelfServiceLimits
from tests.selfservice.conftest import NATIONAL_ID, WEDNESDAY, path_of


def confirm(client, path, digits=NATIONAL_ID[-4:]):
    return client.post(path + "identity/", {"digits": digits})


def test_the_sms_carries_a_link_to_the_debtors_page(sent_link, ready_debtor):
    link, message = sent_link
    assert (message.channel, message.purpose, message.recipient) == ("sms", "self_service", "+51987654321")
    assert message.body.startswith("Hola Diego")
    assert message.placeholder_values["link"] in message.body
    assert link.expires_at == link.created_at + timedelta(days=7)
    assert SelfServiceEvent.objects.filter(kind="link_sent", debtor=ready_debtor).exists()


def test_before_identity_the_page_reveals_nothing(client, sent_link, ready_debtor):
    _link, message = sent_link
    html = client.get(path_of(message)).content.decode()
    for secret in ("Diego", "Banco Andino", "1000", "1.000", "ACC", NATIONAL_ID):
        assert secret not in html
    assert 'name="digits"' in html


def test_the_debtor_confirms_identity_and_sees_the_balance(client, sent_link, ready_debtor):
    _link, message = sent_link
    path = path_of(message)
    response = confirm(client, path)
    assert response.status_code == 302 and response["Location"] == path
    html = client.get(path).content.decode()
    assert "Diego" in html and "Banco Andino" in html
    assert "1000,00" in html.replace("\xa0", "").replace(".", "")  # Spanish: 1.000,00 PEN
    assert SelfServiceEvent.objects.filter(kind="identity_confirmed").count() == 1


def test_a_three_instalment_plan_within_the_limits_is_made_with_its_convenio(client, sent_link, ready_debtor):
    _link, message = sent_link
    path = path_of(message)
    confirm(client, path)
    response = client.post(path + "plan/", {"count": "3", "first_date": "2026-11-25"})
    assert response.status_code == 302, response.content.decode()[:2000]
    arrangement = Arrangement.objects.get(debtor=ready_debtor)
    rows = list(arrangement.promises.order_by("instalment_number").values_list("due_date", "amount"))
    assert rows == [
        (date(2026, 11, 25), Decimal("333.33")),
        (date(2026, 12, 25), Decimal("333.33")),
        (date(2027, 1, 25), Decimal("333.34")),
    ]
    assert arrangement.approval_status == ""
    convenio = Document.objects.get(kind="agreement", arrangement=arrangement)
    page = client.get(path).content.decode()
    assert convenio.reference in page
    pdf = client.get(path + f"documents/{convenio.pk}/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    kinds = list(SelfServiceEvent.objects.filter(debtor=ready_debtor).values_list("kind", flat=True))
    assert {"plan_accepted", "document_downloaded"} <= set(kinds)


def test_a_plan_beyond_the_pages_limit_is_refused_and_nothing_is_made(client, sent_link, ready_debtor):
    SelfServiceLimits.objects.create(portfolio=ready_debtor.portfolio, max_instalments=3)
    _link, message = sent_link
    path = path_of(message)
    confirm(client, path)
    response = client.post(path + "plan/", {"count": "6", "first_date": "2026-11-25"})
    assert response.status_code == 200
    assert not Arrangement.objects.exists()
    too_late = client.post(path + "plan/", {"count": "3", "first_date": "2027-03-01"})
    assert too_late.status_code == 200
    assert "Elija una fecha" in too_late.content.decode() or not Arrangement.objects.exists()
    assert not Arrangement.objects.exists()


def test_a_promise_for_the_whole_balance(client, sent_link, ready_debtor):
    _link, message = sent_link
    path = path_of(message)
    confirm(client, path)
    assert client.post(path + "promise/", {"due_date": "2026-11-27"}).status_code == 302
    promise = Promise.objects.get(debtor=ready_debtor)
    assert (promise.amount, promise.due_date, promise.collector.username) == (
        Decimal("1000.00"),
        date(2026, 11, 27),
        "carla",
    )
    # With an agreement in progress, nothing more is offered: it would stand beside the first.
    assert client.post(path + "promise/", {"due_date": "2026-11-28"}).status_code == 200
    assert Promise.objects.filter(debtor=ready_debtor).count() == 1


def test_the_settlement_offered_by_the_portfolio(client, sent_link, ready_debtor):
    SelfServiceLimits.objects.create(portfolio=ready_debtor.portfolio, settlement_discount_percent=Decimal("20"))
    _link, message = sent_link
    path = path_of(message)
    confirm(client, path)
    assert "200,00" in client.get(path).content.decode()
    assert client.post(path + "settlement/", {"pay_on": "2026-11-24"}).status_code == 302
    arrangement = Arrangement.objects.get()
    assert (arrangement.kind, arrangement.total_amount, arrangement.discount_amount) == (
        "settlement",
        Decimal("800.00"),
        Decimal("200.00"),
    )


def test_a_debtor_on_hold_cannot_agree_anything_on_the_page(client, sent_link, ready_debtor):
    _link, message = sent_link
    ready_debtor.hold_dispute = True
    ready_debtor.save(update_fields=["hold_dispute"])
    path = path_of(message)
    confirm(client, path)
    assert client.post(path + "promise/", {"due_date": "2026-11-27"}).status_code == 200
    assert not Promise.objects.exists()
    assert SelfServiceEvent.objects.filter(kind="action_refused").exists()


def test_the_debtor_asks_for_a_call_at_a_lawful_moment(client, sent_link, ready_debtor):
    _link, message = sent_link
    path = path_of(message)
    confirm(client, path)
    # 22:00 is past Peru's calling hours: the call falls at the next lawful moment.
    assert (
        client.post(
            path + "callback/", {"day": "2026-11-19", "time": "22:00", "note": "Después del trabajo"}
        ).status_code
        == 302
    )
    follow_up = FollowUp.objects.get(debtor=ready_debtor, reason="callback")
    local = follow_up.due_at.astimezone(WEDNESDAY.tzinfo)
    assert local > datetime(2026, 11, 19, 22, 0, tzinfo=WEDNESDAY.tzinfo)
    assert follow_up.assigned_to.username == "carla" and follow_up.note == "Después del trabajo"


def test_every_step_is_on_the_debtors_timeline(client, carla, sent_link, ready_debtor):
    _link, message = sent_link
    path = path_of(message)
    client.post(path + "identity/", {"digits": "0000"})
    confirm(client, path)
    client.post(path + "plan/", {"count": "3", "first_date": "2026-11-25"})
    client.logout()
    client.force_login(carla)
    html = client.get(reverse("debtors:detail", args=[ready_debtor.pk])).content.decode()
    history = html[html.index('id="timeline"') :]
    for text in (
        "Enlace enviado",
        "Respuesta de identidad incorrecta",
        "Identidad confirmada",
        "Plan de cuotas aceptado",
    ):
        assert text in history
    assert "CONV-2026-" in history


def test_the_link_for_a_document_is_sent_by_whatsapp_only_with_consent(carla, clock, ready_debtor):
    from selfservice.services import link_send

    with pytest.raises(Exception) as refused:
        link_send(debtor=ready_debtor, channel="whatsapp", by=carla, base_url="http://testserver/")
    assert "ningún número con consentimiento" in str(refused.value)
    assert not Message.objects.exists()


def test_the_page_speaks_the_debtors_language_and_switches_on_request(client, sent_link, ready_debtor, settings):
    _link, message = sent_link
    path = path_of(message)
    assert "Últimos 4 dígitos" in client.get(path).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    confirm(client, path)
    html = client.get(path).content.decode()
    assert "Your account with Banco Andino" in html and "1,000.00" in html


def test_a_form_with_bad_input_is_refused_in_place_and_logged(client, sent_link, ready_debtor):
    _link, message = sent_link
    path = path_of(message)
    confirm(client, path)
    response = client.post(path + "promise/", {"due_date": "mañana"})
    assert response.status_code == 200 and "Introduzca una fecha válida" in response.content.decode()
    assert SelfServiceEvent.objects.filter(kind="action_refused", detail__startswith="promise").exists()
    assert not Promise.objects.exists()


def test_a_convenio_accepted_on_the_page_says_so(client, sent_link, ready_debtor):
    _link, message = sent_link
    path = path_of(message)
    client.post(path + "identity/", {"digits": NATIONAL_ID[-4:]})
    client.post(path + "plan/", {"count": "3", "first_date": "2026-11-25"})
    convenio = Document.objects.get(kind="agreement")
    assert convenio.arrangement.acceptance["how"] == "self_service"
    text = pdf_text(document_pdf(convenio))
    assert "Aceptado electrónicamente por el deudor el 2026-11-18 10:00 (America/Lima)" in text
    assert "127.0.0.1" in text


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
