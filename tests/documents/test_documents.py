"""Agreements in writing: the convenio when an arrangement stands (made within the limits, or
approved), the statement of account on demand, the paid-in-full letter when a debt reaches
zero, the settlement letter when a settlement is kept; each stored with the SHA-256 of its
bytes, read by whoever may see the debtor, and e-mailed as an attachment."""

import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from collections_crm.users.models import Role
from collections_crm.users.services import user_create
from debtors.models import BalanceChange, Creditor
from documents.models import Document, Letterhead
from documents.services import document_pdf
from promises.models import ArrangementLimits
from promises.services import arrangement_approve, messages_send_due, payment_record
from tests.calls.call_log_helpers import WEDNESDAY, log
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def letterhead(diego):
    return Letterhead.objects.create(
        creditor=diego.portfolio.creditor,
        legal_name="Banco Andino S.A.A.",
        tax_id="RUC 20100047218",
        address="Av. Larco 101, Miraflores, Lima",
        place="Lima",
        legal_text_es="Este convenio se rige por las leyes del Perú.",
        legal_text_en="This agreement is governed by the laws of Peru.",
    )


@pytest.fixture
def phone(diego):
    return diego.phones.get()


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def plan(debtor, collector, phone, count=3):
    details = {"count": count, "first_date": date(2026, 11, 30), "frequency": "monthly", "total": "900"}
    return log(debtor, collector, phone, outcome="right_party", commitment="instalments", instalments=details)


def test_a_plan_within_the_limits_gets_its_convenio(diego, carla, phone, letterhead):
    diego.national_id = "45871236"
    diego.save(update_fields=["national_id"])
    arrangement = plan(diego, carla, phone).arrangement
    convenio = Document.objects.get(kind="agreement", arrangement=arrangement)
    assert convenio.reference == f"CONV-2026-{convenio.pk:07d}"
    assert [row["amount"] for row in convenio.facts["arrangement"]["schedule"]] == ["300.00", "300.00", "300.00"]
    text = text_of(document_pdf(convenio))
    for expected in ("Diego Díaz Quispe", "45871236", "Banco Andino S.A.A.", "RUC 20100047218", convenio.reference):
        assert expected in text
    assert "300,00" in text and "30 de noviembre de 2026" in text  # Diego's Spanish
    assert "leyes del Perú" in text


def test_the_pdf_is_stored_once_and_its_digest_kept(diego, carla, phone, letterhead):
    convenio = Document.objects.get(arrangement=plan(diego, carla, phone).arrangement)
    first = document_pdf(convenio)
    convenio.refresh_from_db()
    assert convenio.sha256 == hashlib.sha256(first).hexdigest() and convenio.size == len(first)
    assert document_pdf(convenio) == first


def test_a_tampered_copy_is_not_served(client, diego, carla, phone, letterhead):
    convenio = Document.objects.get(arrangement=plan(diego, carla, phone).arrangement)
    document_pdf(convenio)
    convenio.refresh_from_db()
    with open(convenio.pdf.path, "ab") as stored:
        stored.write(b"% altered")
    client.force_login(carla)
    response = client.get(reverse("documents:download", args=[convenio.pk]))
    assert response.status_code == 409 and convenio.reference in response.content.decode()


def test_a_plan_awaiting_approval_gets_its_convenio_when_approved(diego, carla, sofia, phone):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_instalments=2)
    arrangement = plan(diego, carla, phone).arrangement
    assert arrangement.approval_status == "pending"
    assert not Document.objects.exists()
    arrangement_approve(arrangement=arrangement, by=sofia)
    convenio = Document.objects.get(kind="agreement")
    assert convenio.facts["arrangement"]["approved_by"] == "Sofía Supervisora"


def test_whoever_may_see_the_debtor_reads_its_documents(client, diego, carla, sofia, phone, letterhead):
    convenio = Document.objects.get(arrangement=plan(diego, carla, phone).arrangement)
    url = reverse("documents:download", args=[convenio.pk])
    for user in (carla, sofia):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
    outsider = user_create(username="otro", password=PASSWORD, role=Role.COLLECTOR, first_name="Otro")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_the_statement_of_account_lists_debts_payments_and_promises(client, diego, carla, phone, letterhead):
    plan(diego, carla, phone)
    payment_record(debtor=diego, amount=Decimal("300"), paid_at=WEDNESDAY, reference="OP-77", source="manual")
    client.force_login(carla)
    response = client.post(reverse("documents:statement", args=[diego.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#documents")
    statement = Document.objects.get(kind="statement")
    assert statement.source == "desk" and statement.created_by == carla
    text = text_of(client.get(reverse("documents:download", args=[statement.pk])).content)
    assert "OP-77" in text and "700,00" in text  # the balance after the payment


def test_a_debt_paid_to_zero_gets_its_paid_in_full_letter(diego, carla, letterhead):
    debt = diego.debts.get()
    payment_record(debtor=diego, amount=Decimal("400"), paid_at=WEDNESDAY, reference="OP-1", source="manual")
    assert not Document.objects.filter(kind="paid_in_full").exists()
    payment_record(debtor=diego, amount=Decimal("600"), paid_at=WEDNESDAY, reference="OP-2", source="manual")
    letter = Document.objects.get(kind="paid_in_full")
    assert letter.debt == debt and letter.reference.startswith("CND-2026-")
    assert debt.account_reference in text_of(document_pdf(letter))
    # A later payment (a duplicate transfer) issues no second letter.
    payment_record(debtor=diego, amount=Decimal("10"), paid_at=WEDNESDAY, reference="OP-3", source="manual")
    assert Document.objects.filter(kind="paid_in_full").count() == 1


def test_a_kept_settlement_settles_the_debt_and_gets_its_letter(diego, carla, phone, letterhead):
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_discount_percent=Decimal("30"))
    settlement = {"total": "750", "first_date": date(2026, 11, 30)}
    arrangement = log(
        diego, carla, phone, outcome="right_party", commitment="settlement", settlement=settlement
    ).arrangement
    assert Document.objects.get(kind="agreement").facts["arrangement"]["discount"] == "250.00"
    payment_record(debtor=diego, amount=Decimal("750"), paid_at=WEDNESDAY, reference="OP-9", source="manual")
    debt = diego.debts.get()
    assert debt.balance == Decimal("0.00")
    change = BalanceChange.objects.get(debt=debt, source="settlement")
    assert (change.old_balance, change.new_balance) == (Decimal("250.00"), Decimal("0.00"))
    letter = Document.objects.get(kind="settlement_satisfied", arrangement=arrangement)
    assert "750,00" in text_of(document_pdf(letter))
    # Settled, not paid: no paid-in-full letter for the forgiven part.
    assert not Document.objects.filter(kind="paid_in_full").exists()


def test_a_document_is_e_mailed_as_an_attachment(client, diego, carla, phone, letterhead):
    diego.email = "diego@example.pe"
    diego.save(update_fields=["email"])
    convenio = Document.objects.get(arrangement=plan(diego, carla, phone).arrangement)
    client.force_login(carla)
    assert client.post(reverse("documents:email", args=[convenio.pk])).status_code == 302
    messages_send_due()
    sent = mail.outbox[-1]
    assert sent.to == ["diego@example.pe"]
    (name, content, mimetype) = sent.attachments[0]
    assert (name, mimetype) == (f"{convenio.reference}.pdf", "application/pdf")
    convenio.refresh_from_db()
    assert hashlib.sha256(content).hexdigest() == convenio.sha256


def test_e_mailing_without_an_address_says_so(client, diego, carla, phone):
    convenio = Document.objects.get(arrangement=plan(diego, carla, phone).arrangement)
    client.force_login(carla)
    page = client.post(reverse("documents:email", args=[convenio.pk]), follow=True).content.decode()
    assert "correo" in page or "e-mail address" in page
    assert not mail.outbox


def test_a_letter_without_a_letterhead_uses_the_creditors_name(diego, carla, phone):
    assert not Creditor.objects.filter(letterhead__isnull=False).exists()
    convenio = Document.objects.get(arrangement=plan(diego, carla, phone).arrangement)
    assert "Banco Andino" in text_of(document_pdf(convenio))


def test_the_debtor_page_lists_the_documents_and_the_timeline_links_them(client, diego, carla, phone):
    convenio = Document.objects.get(arrangement=plan(diego, carla, phone).arrangement)
    client.force_login(carla)
    html = client.get(reverse("debtors:detail", args=[diego.pk])).content.decode()
    download = reverse("documents:download", args=[convenio.pk])
    assert html.count(f'href="{download}"') == 2  # the documents box and the history


def test_a_broker_out_of_reach_leaves_the_letter_for_later(
    diego, carla, phone, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from documents import tasks

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.render_document, "delay", down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        arrangement = plan(diego, carla, phone).arrangement
    assert callbacks  # the render was asked for, and its failure did not reach the call
    convenio = Document.objects.get(arrangement=arrangement)
    assert convenio.sha256 == ""
    from documents.services import documents_render_pending

    assert documents_render_pending() == 1
    convenio.refresh_from_db()
    assert len(convenio.sha256) == 64
