"""The Stripe client against a local fake of Stripe: the bytes we send, what we make of the
answers, and webhook signatures. No database."""

import hashlib
import hmac
import http.client
import json
import socket
import threading
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from selfservice.paylinks.stripe import (
    CheckoutRequest,
    SignatureError,
    StripeError,
    checkout_form,
    checkout_session_create,
    from_minor_units,
    minor_units,
    webhook_event_verify,
    webhook_signature,
)
from tests.selfservice.stripe_fake import FakeStripe

SECRET = "whsec_test_secret"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def stripe_fake():
    with FakeStripe(api_key="sk_test_fake", webhook_secret=SECRET) as fake:
        yield fake


def diego_pays(**changes) -> CheckoutRequest:
    fields = {
        "amount": Decimal("123.45"),
        "currency": "PEN",
        "description": "Pago de deuda #42",
        "success_url": "https://crm.example/pay/abc/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://crm.example/pay/abc",
        "client_reference_id": "promise-42",
        "metadata": {"promise_id": "42", "debtor_id": "7"},
        "idempotency_key": "paylink-42-1",
    }
    return CheckoutRequest(**(fields | changes))


def create(fake: FakeStripe, request: CheckoutRequest, **options):
    options.setdefault("api_key", fake.api_key)
    return checkout_session_create(request, api_base=fake.api_base, **options)


# Amounts in minor units


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("123.45", "PEN", 12345),
        ("123.45", "pen", 12345),
        ("0.50", "USD", 50),
        ("5000", "CLP", 5000),
        ("5000.00", "clp", 5000),
        ("1", "JPY", 1),
        ("5.12", "KWD", 5120),
        ("40.00", "ISK", 4000),
    ],
)
def test_it_converts_amounts_to_stripes_minor_units(amount, currency, expected):
    assert minor_units(Decimal(amount), currency) == expected
    assert from_minor_units(expected, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("10.50", "CLP"), ("1.005", "PEN"), ("5.124", "KWD"), ("40.10", "ISK"), ("NaN", "PEN")],
)
def test_it_refuses_amounts_the_currency_cannot_carry(amount, currency):
    with pytest.raises(ValueError):
        minor_units(Decimal(amount), currency)


def test_from_minor_units_keeps_the_currencys_decimals():
    assert str(from_minor_units(12345, "PEN")) == "123.45"
    assert str(from_minor_units(5000, "CLP")) == "5000"


# The request


def test_it_sends_the_exact_form_stripe_takes_for_a_pen_amount_with_metadata(stripe_fake):
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    request = diego_pays(expires_at=expires_at, customer_email="diego@example.com", locale="es")

    session = create(stripe_fake, request)

    expected = (
        "mode=payment"
        "&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=pen"
        "&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=12345"
        "&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Pago+de+deuda+%2342"
        "&line_items%5B0%5D%5Bquantity%5D=1"
        "&success_url=https%3A%2F%2Fcrm.example%2Fpay%2Fabc%2Fdone%3Fsession%3D%7BCHECKOUT_SESSION_ID%7D"
        "&cancel_url=https%3A%2F%2Fcrm.example%2Fpay%2Fabc"
        "&client_reference_id=promise-42"
        "&metadata%5Bdebtor_id%5D=7"
        "&metadata%5Bpromise_id%5D=42"
        f"&expires_at={int(expires_at.timestamp())}"
        "&customer_email=diego%40example.com"
        "&locale=es"
    ).encode()
    [sent] = stripe_fake.requests
    assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
    assert sent.body == expected
    assert session.id.startswith("cs_test_")
    assert session.url == f"{stripe_fake.api_base}/c/pay/{session.id}"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (12345, "pen")
    stored = stripe_fake.sessions[session.id]
    assert stored["metadata"] == {"debtor_id": "7", "promise_id": "42"}
    assert stored["client_reference_id"] == "promise-42"
    assert stored["expires_at"] == int(expires_at.timestamp())


def test_it_lists_the_fields_in_a_stable_order_leaving_out_empty_ones():
    form = checkout_form(diego_pays(metadata={"b": "2", "a": "1"}, cancel_url="", client_reference_id=""))

    assert [name for name, _ in form] == [
        "mode",
        "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]",
        "line_items[0][price_data][product_data][name]",
        "line_items[0][quantity]",
        "success_url",
        "metadata[a]",
        "metadata[b]",
        "locale",
    ]
    assert dict(form)["locale"] == "auto"


def test_it_sends_a_zero_decimal_currency_as_whole_units(stripe_fake):
    session = create(stripe_fake, diego_pays(amount=Decimal("5000"), currency="CLP"))

    form = dict(urllib.parse.parse_qsl(stripe_fake.requests[0].body.decode()))
    assert form["line_items[0][price_data][currency]"] == "clp"
    assert form["line_items[0][price_data][unit_amount]"] == "5000"
    assert (session.amount_total, session.currency) == (5000, "clp")


def test_it_refuses_cents_in_a_zero_decimal_currency_before_calling_stripe(stripe_fake):
    with pytest.raises(ValueError):
        create(stripe_fake, diego_pays(amount=Decimal("5000.50"), currency="CLP"))
    assert stripe_fake.requests == []


def test_it_authenticates_with_the_bearer_key_and_sends_the_idempotency_key(stripe_fake):
    create(stripe_fake, diego_pays())

    headers = stripe_fake.requests[0].headers
    assert headers["authorization"] == "Bearer sk_test_fake"
    assert headers["idempotency-key"] == "paylink-42-1"
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert "stripe-version" not in headers


def test_it_pins_the_api_version_only_when_asked(stripe_fake):
    create(stripe_fake, diego_pays(), stripe_version="2024-06-20")

    assert stripe_fake.requests[0].headers["stripe-version"] == "2024-06-20"


# Stripe's refusals


def test_a_wrong_key_gives_stripes_message_without_the_key():
    wrong_key = "sk_test_51WrongKeyabcdefghij9876"
    with FakeStripe(api_key="sk_test_right") as fake, pytest.raises(StripeError) as refused:
        create(fake, diego_pays(), api_key=wrong_key)

    error = refused.value
    assert str(error) == "Invalid API Key provided: sk_test_********************9876"
    assert error.status == 401
    assert error.type == "invalid_request_error"
    assert wrong_key not in str(error) and wrong_key not in repr(error.args)


def test_a_retry_with_the_same_idempotency_key_returns_the_same_session(stripe_fake):
    first = create(stripe_fake, diego_pays())
    again = create(stripe_fake, diego_pays())

    assert again.id == first.id
    assert list(stripe_fake.sessions) == [first.id]
    assert len(stripe_fake.requests) == 2


def test_the_same_idempotency_key_with_other_parameters_is_refused(stripe_fake):
    create(stripe_fake, diego_pays())

    with pytest.raises(StripeError) as refused:
        create(stripe_fake, diego_pays(amount=Decimal("100.00")))

    assert refused.value.status == 400
    assert refused.value.type == "idempotency_error"
    assert str(refused.value).startswith("Keys for idempotent requests can only be used with the same parameters")
    assert len(stripe_fake.sessions) == 1


def test_stripes_message_and_parameter_reach_the_caller(stripe_fake):
    too_late = datetime.now(UTC) + timedelta(hours=25)

    with pytest.raises(StripeError) as refused:
        create(stripe_fake, diego_pays(expires_at=too_late))

    assert refused.value.status == 400
    assert refused.value.param == "expires_at"
    assert "less than 24 hours" in str(refused.value)


def test_an_unreachable_stripe_is_a_stripe_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the call: nothing listens there

    with pytest.raises(StripeError) as refused:
        checkout_session_create(diego_pays(), api_key="sk_test_fake", api_base=f"http://127.0.0.1:{port}", timeout=2)

    assert refused.value.status is None
    assert str(refused.value).startswith("Stripe could not be reached")


def post_form(fake: FakeStripe, fields: list[tuple[str, str]]) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{fake.api_base}/v1/checkout/sessions",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Authorization": f"Bearer {fake.api_key}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("line_items[0][price_data][unit_amount]", "123.45", "parameter_invalid_integer"),
        ("line_items[0][price_data][unit_amount]", "0", "parameter_invalid_integer"),
        ("line_items[0][quantity]", "2", "parameter_invalid_integer"),
        ("line_items[0][quantity]", None, "parameter_missing"),
        ("success_url", None, "parameter_missing"),
        ("line_items[0][price_data][currency]", "PEN", None),
        ("mode", "subscription", None),
        ("payment_intent_data[description]", "x", "parameter_unknown"),
    ],
)
def test_the_fake_refuses_what_stripe_refuses(stripe_fake, name, value, code):
    fields = [(key, val) for key, val in checkout_form(diego_pays()) if key != name]
    if value is not None:
        fields.append((name, value))

    status, answer = post_form(stripe_fake, fields)

    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error"
    assert answer["error"].get("code") == code
    assert answer["error"]["param"] == name
    assert stripe_fake.sessions == {}


# The hosted page and the webhook


def test_paying_on_the_page_completes_the_session_and_posts_a_signed_webhook():
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Content-Type"], self.headers["Stripe-Signature"], body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    webhook_url = f"http://127.0.0.1:{receiver.server_address[1]}/stripe/webhook"
    try:
        with FakeStripe(webhook_secret=SECRET, webhook_url=webhook_url) as fake:
            session = create(fake, diego_pays())
            page_path = urllib.parse.urlsplit(session.url).path
            connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlsplit(fake.api_base).port)
            connection.request("GET", page_path)
            page = connection.getresponse().read().decode()
            connection.request("POST", page_path)
            paid = connection.getresponse()
            paid.read()
            connection.close()
    finally:
        receiver.shutdown()
        receiver.server_close()

    assert "Pago de deuda #42" in page and "PEN 123.45" in page
    assert '<form method="post"' in page and ">Pay</button>" in page
    assert paid.status == 303
    assert paid.getheader("Location") == f"https://crm.example/pay/abc/done?session={session.id}"
    assert fake.webhook_responses == [200]
    [(content_type, signature, body)] = received
    assert content_type.startswith("application/json")
    event = webhook_event_verify(body, signature, SECRET)
    assert (event["object"], event["type"], event["livemode"]) == ("event", "checkout.session.completed", False)
    assert event["id"].startswith("evt_")
    paid_session = event["data"]["object"]
    assert (paid_session["id"], paid_session["status"], paid_session["payment_status"]) == (
        session.id,
        "complete",
        "paid",
    )
    assert paid_session["payment_intent"].startswith("pi_test_")
    assert paid_session["client_reference_id"] == "promise-42"
    assert fake.sessions[session.id]["status"] == "complete"


def test_complete_returns_the_event_and_header_without_delivering(stripe_fake):
    session = create(stripe_fake, diego_pays())

    payload, signature = stripe_fake.complete(session.id)

    event = webhook_event_verify(payload, signature, SECRET)
    assert event["data"]["object"]["metadata"] == {"debtor_id": "7", "promise_id": "42"}
    assert event["data"]["object"]["amount_total"] == 12345
    assert stripe_fake.webhook_responses == []


# Webhook signatures


def signed(payload: bytes, secret: str = SECRET, timestamp: int = NOW) -> str:
    return webhook_signature(payload, secret, timestamp)


PAYLOAD = b'{\n  "id": "evt_1",\n  "object": "event",\n  "type": "checkout.session.completed"\n}'


def test_the_signature_is_stripes_hmac_of_timestamp_dot_payload():
    digest = hmac.new(SECRET.encode(), f"{NOW}.".encode() + PAYLOAD, hashlib.sha256).hexdigest()

    assert signed(PAYLOAD) == f"t={NOW},v1={digest}"


def test_it_accepts_a_good_signature():
    assert webhook_event_verify(PAYLOAD, signed(PAYLOAD), SECRET, now=NOW + 10) == {
        "id": "evt_1",
        "object": "event",
        "type": "checkout.session.completed",
    }


def test_it_refuses_a_tampered_payload():
    tampered = PAYLOAD.replace(b"evt_1", b"evt_2")

    with pytest.raises(SignatureError):
        webhook_event_verify(tampered, signed(PAYLOAD), SECRET, now=NOW)


def test_it_refuses_another_secrets_signature():
    with pytest.raises(SignatureError):
        webhook_event_verify(PAYLOAD, signed(PAYLOAD, secret="whsec_other"), SECRET, now=NOW)


@pytest.mark.parametrize("now", [NOW + 301, NOW - 301])
def test_it_refuses_a_timestamp_outside_the_tolerance(now):
    with pytest.raises(SignatureError, match="tolerance"):
        webhook_event_verify(PAYLOAD, signed(PAYLOAD), SECRET, now=now)


def test_it_accepts_a_timestamp_at_the_edge_of_the_tolerance():
    assert webhook_event_verify(PAYLOAD, signed(PAYLOAD), SECRET, now=NOW + 300)["id"] == "evt_1"


def test_a_signed_old_timestamp_cannot_be_replaced_by_a_fresh_one():
    old = signed(PAYLOAD, timestamp=NOW - 3600)
    replayed = old.replace(f"t={NOW - 3600}", f"t={NOW}")

    with pytest.raises(SignatureError):
        webhook_event_verify(PAYLOAD, replayed, SECRET, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"v1={'0' * 64}",
        f"t=abc,v1={'0' * 64}",
        f"t={NOW},t={NOW},v1={'0' * 64}",
        f"t={NOW}",
        f"t={NOW},v0={'0' * 64}",
        f"t={NOW},,v1={'0' * 64}",
        f"t={NOW},v1=ñ",
    ],
)
def test_it_refuses_a_malformed_header(header):
    with pytest.raises(SignatureError):
        webhook_event_verify(PAYLOAD, header, SECRET, now=NOW)


@pytest.mark.parametrize("good_first", [True, False])
def test_it_accepts_a_header_with_several_v1_when_one_matches(good_first):
    good = signed(PAYLOAD).split(",v1=")[1]
    rotated = signed(PAYLOAD, secret="whsec_old").split(",v1=")[1]
    first, second = (good, rotated) if good_first else (rotated, good)
    header = f"t={NOW},v1={first},v1={second},v0={'f' * 64}"

    assert webhook_event_verify(PAYLOAD, header, SECRET, now=NOW)["id"] == "evt_1"


def test_it_refuses_a_header_whose_several_v1_all_fail():
    rotated = signed(PAYLOAD, secret="whsec_old").split(",v1=")[1]
    header = f"t={NOW},v1={rotated},v1={'0' * 64}"

    with pytest.raises(SignatureError):
        webhook_event_verify(PAYLOAD, header, SECRET, now=NOW)
