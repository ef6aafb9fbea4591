"""A strategy's reminders, and closing summaries where the portfolio says so, end with a link to
the debtor's own page, added once when the message goes; others carry none."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from debtors.models import DebtorScore
from promises.models import Message, Strategy
from promises.services import messages_send_due
from selfservice.models import SelfServiceEvent, SelfServiceLimits, SelfServiceLink


@pytest.fixture
def outbox(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.SELF_SERVICE_BASE_URL = "https://pagos.example.pe"
    return tmp_path / "outbox" / "sms.jsonl"


def treated_by(debtor, **strategy):
    chosen = Strategy.objects.create(portfolio=debtor.portfolio, name="Recordar con enlace", **strategy)
    DebtorScore.objects.create(
        debtor=debtor,
        portfolio=debtor.portfolio,
        probability=0.4,
        model_version="test",
        scored_at=debtor.created_at,
        strategy_id=chosen.pk,
        strategy_name=chosen.name,
    )
    return chosen


def queue(debtor, purpose, at):
    phone = debtor.phones.get()
    return Message.objects.create(
        debtor=debtor,
        phone=phone,
        channel="sms",
        purpose=purpose,
        recipient=phone.number.as_e164,
        language="es",
        body="Le recordamos su pago de mañana.",
        idempotency_key=f"{purpose}:test:{debtor.pk}",
        send_after=at,
    )


def sent_bodies(outbox: Path) -> list[str]:
    return [json.loads(line)["body"] for line in outbox.read_text(encoding="utf-8").splitlines()]


def test_a_strategys_reminder_ends_with_a_link(clock, ready_debtor, outbox):
    treated_by(ready_debtor, self_service_link=True)
    message = queue(ready_debtor, "reminder", clock_now(clock))
    assert messages_send_due().sent == 1
    (body,) = sent_bodies(outbox)
    link = SelfServiceLink.objects.get()
    assert body.startswith(
        "Le recordamos su pago de mañana.\nVea su cuenta y acuerde su pago aquí: https://pagos.example.pe/s/"
    )
    assert (link.channel, link.created_by, link.expires_at - link.created_at) == (
        "sms",
        ready_debtor.assigned_to,
        timedelta(days=7),
    )
    message.refresh_from_db()
    assert message.placeholder_values["link"] in message.body
    assert SelfServiceEvent.objects.get(kind="link_sent").detail == "sms · strategy Recordar con enlace"


def test_without_the_strategys_word_a_reminder_carries_no_link(clock, ready_debtor, outbox):
    treated_by(ready_debtor, self_service_link=False)
    queue(ready_debtor, "reminder", clock_now(clock))
    messages_send_due()
    assert "/s/" not in sent_bodies(outbox)[0]
    assert not SelfServiceLink.objects.exists()


def test_a_closing_summary_carries_one_where_the_portfolio_says_so(clock, ready_debtor, outbox):
    SelfServiceLimits.objects.create(portfolio=ready_debtor.portfolio, link_in_summary=True)
    queue(ready_debtor, "summary", clock_now(clock))
    messages_send_due()
    assert "https://pagos.example.pe/s/" in sent_bodies(outbox)[0]


def test_a_retried_message_keeps_its_one_link(clock, ready_debtor, outbox, monkeypatch):
    from promises import messaging

    treated_by(ready_debtor, self_service_link=True)
    queue(ready_debtor, "reminder", clock_now(clock))
    calls = {"n": 0}
    original = messaging.FileProvider.send

    def flaky(self, outgoing):
        calls["n"] += 1
        if calls["n"] == 1:
            raise messaging.ProviderError("gateway timeout")
        return original(self, outgoing)

    monkeypatch.setattr(messaging.FileProvider, "send", flaky)
    messages_send_due()
    clock.shift(timedelta(minutes=2))
    messages_send_due(now=clock_now(clock))
    assert SelfServiceLink.objects.count() == 1
    assert sent_bodies(outbox)[0].count("/s/") == 1


def test_no_link_without_a_public_address(clock, ready_debtor, outbox, settings):
    settings.SELF_SERVICE_BASE_URL = ""
    treated_by(ready_debtor, self_service_link=True)
    queue(ready_debtor, "reminder", clock_now(clock))
    messages_send_due()
    assert not SelfServiceLink.objects.exists()
    assert django_settings.SELF_SERVICE_BASE_URL == ""


def clock_now(clock):
    from django.utils import timezone

    return timezone.now()
