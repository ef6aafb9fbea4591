"""Issue 21's "done when", end to end in Chromium: from the desk a collector sends the debtor a
link; on a phone-size browser with JavaScript off, the debtor confirms identity, accepts a
three-instalment plan within the limits, downloads the signed convenio and pays the first
instalment on Stripe's page (a local fake); the payment keeps the instalment and the whole story
is on the collector's timeline."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from collections_crm.lib.timezones import debtor_local_today
from promises.models import Message, Payment, Promise
from tests import factories
from tests.selfservice.stripe_fake import FakeStripe

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "es-PE"}


@pytest.fixture
def stripe(settings, live_server):
    with FakeStripe(webhook_url=f"{live_server.url}/hooks/payments/stripe/") as fake:
        settings.PAYMENT_PROVIDER = "stripe"
        settings.STRIPE_API_BASE, settings.STRIPE_API_KEY = fake.api_base, fake.api_key
        settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
        yield fake


@pytest.fixture
def diego(carla):
    debtor = factories.make_debtor(
        full_name="Diego Díaz Quispe", assigned_to=carla, national_id="45871236", email="diego@example.pe"
    )
    factories.make_debt(debtor=debtor, balance=Decimal("900.00"))
    factories.make_phone(
        debtor=debtor,
        number="+51987654321",
        sms_consent=True,
        sms_consent_source="Contrato, cláusula 12",
        sms_consent_at=timezone.now() - timedelta(days=30),
    )
    return debtor


def test_the_debtor_arranges_and_pays_on_a_phone(page, browser, sign_in, live_server, carla, diego, stripe, tmp_path):
    # The collector sends the link from the debtor page.
    sign_in(carla)
    page.goto(f"{live_server.url}/debtors/{diego.pk}/")
    page.locator("#documents summary").click()
    page.locator("#self-service-channel").select_option("sms")
    page.get_by_role("button", name="Enviar enlace").click()
    expect(page.get_by_text("El enlace sale hacia el deudor")).to_be_visible()
    sms = Message.objects.get(purpose="self_service")
    link = re.search(r"https?://\S+/s/\S+/", sms.body).group(0)
    assert link.startswith(live_server.url)

    # The debtor opens it on a phone, JavaScript off.
    phone = browser.new_context(**PHONE, java_script_enabled=False)
    debtor_page = phone.new_page()
    debtor_page.goto(link)
    expect(debtor_page.get_by_text("confirme quién es")).to_be_visible()
    expect(debtor_page.get_by_text("Diego")).to_have_count(0)  # nothing before identity
    debtor_page.get_by_label("Últimos 4 dígitos de su documento de identidad").fill("1236")
    debtor_page.get_by_role("button", name="Continuar").click()
    expect(debtor_page.get_by_role("heading", name="Hola, Diego Díaz Quispe")).to_be_visible()
    assert debtor_page.evaluate("document.documentElement.scrollWidth") <= 390

    # A three-instalment plan, the first payment in a week.
    debtor_page.locator("summary", has_text="Pagar en cuotas mensuales").click()
    debtor_page.get_by_label(re.compile("3 pagos mensuales de 300,00")).check()
    first = debtor_local_today(diego) + timedelta(days=7)
    debtor_page.get_by_label("Primer pago el").fill(first.isoformat())
    debtor_page.get_by_role("button", name="Aceptar este plan").click()
    expect(debtor_page.get_by_text("Su plan de pagos está vigente")).to_be_visible()
    expect(debtor_page.locator(".ss-schedule li")).to_have_count(3)

    # The convenio, in writing.
    convenio = debtor_page.locator("#documents a", has_text="Convenio de pago")
    with debtor_page.expect_download() as download:
        convenio.click()
    pdf = tmp_path / "convenio.pdf"
    download.value.save_as(pdf)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Convenio de pago CONV-" in text and "Diego Díaz Quispe" in text and "300,00" in text

    # The first instalment, paid on the provider's page.
    debtor_page.get_by_role("link", name="Pagar ahora").first.click()
    expect(debtor_page.get_by_text("300.00")).to_be_visible()  # the fake's checkout page
    debtor_page.get_by_role("button", name="Pay").click()
    expect(debtor_page.get_by_text("Su pago aparecerá aquí")).to_be_visible()
    expect(debtor_page.locator(".ss-schedule li")).to_have_count(2)
    assert stripe.webhook_responses == [200]
    payment = Payment.objects.get()
    assert (payment.source, payment.amount) == ("payment_link", Decimal("300.00"))
    assert Promise.objects.get(instalment_number=1).status == "kept"
    phone.close()

    # The whole story on the collector's timeline.
    page.goto(f"{live_server.url}/debtors/{diego.pk}/")
    history = page.locator("#timeline")
    for text in (
        "Enlace enviado",
        "Identidad confirmada",
        "Plan de cuotas aceptado",
        "Documento descargado",
        "Pago en línea iniciado",
        "Pago en línea recibido",
        "Pago de 300,00",
    ):
        expect(history.get_by_text(text).first).to_be_visible()
    expect(history.get_by_text(re.compile("Convenio de pago CONV-"))).to_be_visible()
