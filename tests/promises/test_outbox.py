"""Reminders leave through the outbox: lawfully, with retries, and never twice."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from calls.models import Call
from promises import services
from promises.models import Message
from tests import factories
from tests.utils import test_database_url as database_url

LIMA = ZoneInfo("America/Lima")
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)


@pytest.fixture
def outbox_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "outbox"


def _consent_to_sms(debtor):
    debtor.phones.update(sms_consent=True, sms_consent_source="Contract clause 12", sms_consent_at=WEDNESDAY)


def _message(debtor, *, channel="sms", key=None, send_after=WEDNESDAY, recipient="+51987654321"):
    _consent_to_sms(debtor)
    return Message.objects.create(
        debtor=debtor,
        phone=debtor.phones.first() if channel != "email" else None,
        channel=channel,
        purpose=Message.Purpose.REMINDER,
        recipient=recipient,
        language="es",
        subject="Recordatorio" if channel == "email" else "",
        body="Hola Diego, su pago vence el viernes.",
        idempotency_key=key or f"test:{Message.objects.count() + 1}",
        send_after=send_after,
    )


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_due_message_is_sent_once_and_lands_on_the_ledger(diego, outbox_dir):
    message = _message(diego)
    result = services.messages_send_due(now=WEDNESDAY)
    message.refresh_from_db()
    assert result.sent == 1 and message.status == Message.Status.SENT and message.sent_at == WEDNESDAY
    assert [line["idempotency_key"] for line in _lines(outbox_dir / "sms.jsonl")] == [message.idempotency_key]
    contact = Call.objects.get(debtor=diego)
    assert (contact.channel, contact.outcome, contact.collector) == ("sms", "message_sent", None)
    assert services.messages_send_due(now=WEDNESDAY + timedelta(minutes=1)).sent == 0


def test_a_message_not_yet_due_waits(diego, outbox_dir):
    _message(diego, send_after=WEDNESDAY + timedelta(hours=2))
    assert services.messages_send_due(now=WEDNESDAY).sent == 0


def test_a_message_that_became_unlawful_waits_for_the_next_lawful_moment(diego, outbox_dir):
    message = _message(diego, send_after=WEDNESDAY.replace(hour=19))
    late = WEDNESDAY.replace(hour=21)  # after Peru's 20:00 limit
    result = services.messages_send_due(now=late)
    message.refresh_from_db()
    assert result.deferred == 1 and message.status == Message.Status.QUEUED
    assert message.send_after == datetime(2026, 11, 19, 7, 0, tzinfo=LIMA)
    assert not (outbox_dir / "sms.jsonl").exists()


def test_a_hold_blocks_a_queued_message_for_good(diego, outbox_dir):
    message = _message(diego)
    diego.hold_cease = True
    diego.save()
    assert services.messages_send_due(now=WEDNESDAY).blocked == 1
    message.refresh_from_db()
    assert (
        message.status == Message.Status.BLOCKED and "dejemos de contactarlo" in message.last_error
    )  # in the default language


def test_a_provider_error_is_retried_with_back_off_then_failed(diego, outbox_dir, settings):
    settings.SMS_PROVIDER = "tests.promises.slow_provider.BrokenProvider"
    message = _message(diego)
    now = WEDNESDAY
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        services.messages_send_due(now=now)
        message.refresh_from_db()
        assert message.attempts == attempt
        if message.status == Message.Status.QUEUED:
            assert message.send_after == now + services.BACKOFF[attempt - 1]
            now = message.send_after  # 1 min … 6 h after 10:00: still within Peru's hours
    assert message.status == Message.Status.FAILED and "503" in message.last_error


def test_an_email_reminder_goes_through_the_mail_backend(diego, outbox_dir):
    _message(diego, channel="email", recipient="diego@example.com")
    services.messages_send_due(now=WEDNESDAY)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["diego@example.com"]


def test_a_half_sent_message_is_recognised_not_resent(diego, outbox_dir):
    message = _message(diego)
    provider_file = outbox_dir / "sms.jsonl"
    provider_file.parent.mkdir(parents=True)
    # A worker died after the provider took the message but before marking it sent.
    provider_file.write_text(json.dumps({"idempotency_key": message.idempotency_key}) + "\n")
    Message.objects.filter(pk=message.pk).update(status="sending", claimed_at=WEDNESDAY, attempts=1)
    result = services.messages_send_due(now=WEDNESDAY + timedelta(minutes=11))
    message.refresh_from_db()
    assert result.recovered == 1 and message.status == Message.Status.SENT
    assert len(_lines(provider_file)) == 1


def test_a_half_sent_email_is_not_risked_twice(diego, outbox_dir):
    message = _message(diego, channel="email", recipient="diego@example.com")
    Message.objects.filter(pk=message.pk).update(status="sending", claimed_at=WEDNESDAY, attempts=1)
    services.messages_send_due(now=WEDNESDAY + timedelta(minutes=11))
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and mail.outbox == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(portfolio, carla, tmp_path):
    debtors = []
    for n in range(8):
        debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla)
        factories.make_phone(debtor=debtor, number=f"+5198700{n:04d}")
        debtors.append(debtor)
    now = timezone.now()
    for n, debtor in enumerate(debtors):
        _message(debtor, key=f"kill:{n}", send_after=now - timedelta(minutes=1), recipient=f"+5198700{n:04d}")
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(tmp_path),
        "SMS_PROVIDER": "tests.promises.slow_provider.SlowFileProvider",
    }
    # Sending lawfully needs a weekday daytime moment in Lima: pin the run's "now" to one.
    script = (
        "from datetime import datetime; from zoneinfo import ZoneInfo;"
        "from promises.services import messages_send_due;"
        "messages_send_due(now=datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo('America/Lima')))"
    )
    Message.objects.update(send_after=WEDNESDAY - timedelta(minutes=1))
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    provider_file = tmp_path / "outbox" / "sms.jsonl"
    deadline = time.monotonic() + 60
    while len(_lines(provider_file)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert 3 <= len(_lines(provider_file)) < 8, "the worker should die mid-batch"
    assert Message.objects.filter(status="sending").exists()

    settings.VAR_DIR = tmp_path
    settings.SMS_PROVIDER = "file"
    services.messages_send_due(now=WEDNESDAY + timedelta(minutes=15))
    services.messages_send_due(now=WEDNESDAY + timedelta(minutes=16))
    keys = [line["idempotency_key"] for line in _lines(provider_file)]
    assert sorted(keys) == sorted(f"kill:{n}" for n in range(8))  # each exactly once
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert Call.objects.filter(outcome="message_sent").count() == 8
