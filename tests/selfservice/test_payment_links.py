"""Payment links: the debtor pays an instalment on Stripe's Checkout page (a local fake that
checks our requests against Stripe's format), and Stripe's signed notice records the payment
once through payment_record, which keeps the instalment; forged or replayed notices change
nothing. The development provider does the same without any provider."""

import urllib.parse
from decimal import Decimal

import pytest

from promises.models import Payment, Promise
from selfservice.models import PaymentLink, SelfServiceEvent
from tests.selfservice.conftest import NATIONAL_ID, path_of
from tests.selfservice.stripe_fake import FakeStripe


@pytest.fixture
def stripe(settings):
    with FakeStripe(api_key="sk_test_crm", webhook_secret="whsec_crm") as fake:
        settings.PAYMENT_PROVIDER = "stripe"
        settings.STRIPE_API_BASE = fake.api_base
        settings.STRIPE_API_KEY = fake.api_key
        settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
        yield fake


@pytest.fixture
def with_plan(client, sent_link):
    _link, message = sent_link
    path = path_of(message)
    client.post(path + "identity/", {"digits": NATIONAL_ID[-4:]})
    assert client.post(path + "plan/", {"count": "3", "first_date": "2026-11-25"}).status_code == 302
    first = Promise.objects.get(instalment_number=1)
    return path, first


def start_payment(client, path, promise):
    return client.get(path + f"pay/{promise.pk}/")


def test_paying_an_instalment_opens_a_checkout_session_in_stripes_format(client, stripe, with_plan):
    path, first = with_plan
    response = start_payment(client, path, first)
    session_id, session = next(iter(stripe.sessions.items()))
    assert response.status_code == 302 and response["Location"] == session["url"]
    request = stripe.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.headers["authorization"] == "Bearer sk_test_crm"
    link = PaymentLink.objects.get()
    assert request.headers["idempotency-key"] == f"paylink-{link.pk}"
    form = urllib.parse.parse_qsl(request.body.decode(), keep_blank_values=True, strict_parsing=True)
    fields = dict(form)
    assert [name for name, _value in form[:6]] == [
        "mode",
        "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]",
        "line_items[0][price_data][product_data][name]",
        "line_items[0][quantity]",
        "success_url",
    ]
    assert fields["mode"] == "payment"
    assert fields["line_items[0][price_data][currency]"] == "pen"
    assert fields["line_items[0][price_data][unit_amount]"] == "33333"
    assert fields["metadata[payment_link]"] == str(link.pk)
    assert fields["success_url"].endswith(path + "paid/") and fields["cancel_url"].endswith(path)
    assert fields["customer_email"] == "diego@example.pe" and fields["locale"] == "es"
    assert (link.provider, link.provider_id, link.amount) == ("stripe", session_id, Decimal("333.33"))
    # A second click hands out the same open page rather than a second one.
    assert start_payment(client, path, first)["Location"] == session["url"]
    assert len(stripe.sessions) == 1


def test_stripes_notice_records_the_payment_once_and_keeps_the_instalment(client, stripe, with_plan):
    path, first = with_plan
    start_payment(client, path, first)
    session_id = next(iter(stripe.sessions))
    payload, signature = stripe.complete(session_id)
    post = {"content_type": "application/json", "HTTP_STRIPE_SIGNATURE": signature}
    response = client.post("/hooks/payments/stripe/", payload, **post)
    assert (response.status_code, response.content) == (200, b"recorded")
    payment = Payment.objects.get()
    assert (payment.amount, payment.source, payment.reference) == (
        Decimal("333.33"),
        "payment_link",
        stripe.sessions[session_id]["payment_intent"],
    )
    first.refresh_from_db()
    assert first.status == Promise.Status.KEPT
    assert PaymentLink.objects.get().status == "paid"
    assert SelfServiceEvent.objects.filter(kind="payment_received").count() == 1
    # Stripe delivers at least once: the same notice again records nothing more.
    again = client.post("/hooks/payments/stripe/", payload, **post)
    assert (again.status_code, again.content) == (200, b"repeated")
    assert Payment.objects.count() == 1


def test_forged_notices_record_nothing(client, stripe, with_plan):
    path, first = with_plan
    start_payment(client, path, first)
    session_id = next(iter(stripe.sessions))
    payload, signature = stripe.complete(session_id)
    tampered = payload.replace(b'"amount_total": 33333', b'"amount_total": 99999')
    assert tampered != payload
    for body, header in ((tampered, signature), (payload, "t=1,v1=" + "0" * 64), (payload, "")):
        response = client.post(
            "/hooks/payments/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        assert response.status_code == 400
    assert not Payment.objects.exists()


def test_a_notice_for_a_page_we_did_not_make_is_acknowledged_and_ignored(client, stripe, with_plan, settings):
    from selfservice.paylinks.stripe import CheckoutRequest, checkout_session_create

    session = checkout_session_create(
        CheckoutRequest(
            amount=Decimal("10"),
            currency="PEN",
            description="Otro",
            success_url="https://example.com/ok",
            cancel_url="",
            client_reference_id="x",
            metadata={},
            idempotency_key="someone-else",
        ),
        api_key=stripe.api_key,
        api_base=stripe.api_base,
    )
    payload, signature = stripe.complete(session.id)
    response = client.post(
        "/hooks/payments/stripe/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert (response.status_code, response.content) == (200, b"unknown")
    assert not Payment.objects.exists()


def test_stripe_refusing_the_session_is_told_to_the_debtor(client, stripe, with_plan, settings):
    path, first = with_plan
    settings.STRIPE_API_KEY = "sk_test_wrong"
    response = start_payment(client, path, first)
    assert response.status_code == 302 and response["Location"].endswith("#agreement")
    page = client.get(path).content.decode()
    assert "sk_test_wrong" not in page
    assert PaymentLink.objects.get().status == "expired"


def test_the_development_provider_pays_at_a_click(client, with_plan, settings):
    settings.PAYMENT_PROVIDER, settings.DEBUG = "file", True
    path, first = with_plan
    response = start_payment(client, path, first)
    page_url = response["Location"]
    assert page_url.startswith("/pay/dev/")
    assert client.post(page_url).status_code == 302
    first.refresh_from_db()
    assert first.status == Promise.Status.KEPT
    assert Payment.objects.get().source == "payment_link"


def test_the_development_page_does_not_exist_in_production(client, with_plan, settings):
    settings.PAYMENT_PROVIDER = "file"
    path, first = with_plan
    page_url = start_payment(client, path, first)["Location"]
    settings.DEBUG = False
    assert client.post(page_url).status_code == 404
    assert not Payment.objects.exists()


def test_only_the_installs_provider_may_record_payments(client, stripe, with_plan):
    from django.utils import timezone

    from selfservice.paylinks.providers import FileProvider

    path, first = with_plan
    start_payment(client, path, first)
    # A development notice, correctly signed with the site's key, while Stripe is the provider.
    body = FileProvider.notice("file-1", Decimal("333.33"), "PEN", timezone.now())
    response = client.post("/hooks/payments/file/", body, content_type="text/plain")
    assert response.status_code == 404
    assert client.post("/hooks/payments/paypal/", b"{}", content_type="application/json").status_code == 404
    assert not Payment.objects.exists()
