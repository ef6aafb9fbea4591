"""The beat schedule, run by a real worker and beat against the configured broker
(Redis in CI's second pass): lapsed promises are judged and follow-ups scheduled."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from calls.models import FollowUp
from calls.policy import check_contact
from promises.models import PaymentAllocation, Promise
from tests import factories
from tests.utils import test_database_url as database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _lapsed_promise(debtor, collector, amount, paid=Decimal("0")):
    long_ago = timezone.now() - timedelta(days=10)
    promise = factories.make_promise(
        debtor=debtor,
        collector=collector,
        amount=Decimal(amount),
        due_date=(long_ago + timedelta(days=3)).date(),
        created_at=long_ago,
    )
    if paid:
        payment = factories.make_payment(debtor=debtor, amount=paid, paid_at=long_ago + timedelta(days=1))
        PaymentAllocation.objects.create(payment=payment, promise=promise, amount=paid)
    return promise


def test_worker_and_beat_judge_promises_and_schedule_follow_ups(tmp_path, portfolio, carla, diego, mateo, cris):
    unpaid = _lapsed_promise(diego, carla, "300")
    half = _lapsed_promise(mateo, cris, "200", paid=Decimal("100"))
    paid = _lapsed_promise(mateo, cris, "80", paid=Decimal("80"))
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "CELERY_QUEUE": queue,
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "beat-schedule"),
        "FLAG_LAPSED_SECONDS": "1",
        "SCHEDULE_FOLLOW_UPS_SECONDS": "1",
        "SEND_REMINDERS_SECONDS": "1",
    }
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "beat")}
    celery = [sys.executable, "-m", "celery", "-A", "collections_crm"]
    worker = subprocess.Popen(
        [*celery, "worker", "--pool=solo", "--loglevel=INFO"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=logs["worker"],
        stderr=subprocess.STDOUT,
    )
    beat = subprocess.Popen(
        [*celery, "beat", "--loglevel=INFO"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=logs["beat"],
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if FollowUp.objects.filter(promise=unpaid).exists():
                break
            time.sleep(0.5)
        time.sleep(2.5)  # a few more beats: reruns must add nothing
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            process.wait(timeout=20)
    output = "\n".join((tmp_path / f"{name}.log").read_text() for name in logs)

    statuses = dict(Promise.objects.values_list("pk", "status"))
    assert statuses == {unpaid.pk: "broken", half.pk: "partially_kept", paid.pk: "kept"}, output
    follow_up = FollowUp.objects.get(reason="broken_promise")
    assert follow_up.promise == unpaid and follow_up.assigned_to == carla
    assert check_contact(diego, "voice", follow_up.due_at).allowed
    assert unpaid.events.filter(to_status="broken").count() == 1
