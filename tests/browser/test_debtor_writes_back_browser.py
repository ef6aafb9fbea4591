"""The debtor answers a reminder while the collector has their page open: within seconds the page
says so, and the message is in the history and first in the queue (issue 20's "done when")."""

import base64
import hashlib
import hmac
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import expect

from tests import factories

TOKEN = "browser-twilio-token"
ACCOUNT = "AC" + "4" * 32


@pytest.fixture
def twilio(settings, live_server, monkeypatch):
    settings.TWILIO_AUTH_TOKEN, settings.TWILIO_ACCOUNT_SID = TOKEN, ACCOUNT
    settings.MESSAGING_WEBHOOK_BASE_URL = live_server.url
    # Ask every second rather than every 15: the test waits for the notice, not the clock.
    monkeypatch.setattr("desk.debtor_page.INBOUND_POLL_SECONDS", 1)
    monkeypatch.setattr("desk.replies.INBOUND_POLL_SECONDS", 1)

    def post(params: dict) -> httpx.Response:
        url = f"{live_server.url}/hooks/messages/twilio/"
        data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
        signature = base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()
        return httpx.post(
            url,
            content=urlencode(params),
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
        )

    return post


def test_a_reply_shows_on_the_open_debtor_page_and_tops_the_queue(page, sign_in, live_server, carla, twilio):
    debtor = factories.make_debtor(full_name="Diego Díaz Quispe", assigned_to=carla)
    factories.make_debt(debtor=debtor)
    factories.make_phone(debtor=debtor, number="+51987654321")
    sign_in(carla)
    page.goto(f"{live_server.url}/debtors/{debtor.pk}/")
    expect(page.locator("#inbound-notice")).to_be_empty()

    answer = twilio(
        {
            "MessageSid": "SM" + "7" * 32,
            "SmsStatus": "received",
            "AccountSid": ACCOUNT,
            "From": "+51987654321",
            "To": "+15005550006",
            "Body": "Buenas, pago el viernes sin falta",
        }
    )
    assert answer.status_code == 200

    notice = page.locator("#inbound-notice")
    expect(notice).to_contain_text("El deudor escribió un mensaje nuevo", timeout=10_000)
    expect(notice).to_contain_text("pago el viernes sin falta")
    notice.get_by_role("link", name="Verlo en el historial").click()
    expect(page.locator("#timeline")).to_contain_text("Buenas, pago el viernes sin falta")

    page.goto(f"{live_server.url}/calls/queue/")
    expect(page.locator("main")).to_contain_text("El deudor respondió")
