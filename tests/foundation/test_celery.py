"""A real worker (and beat) against the configured broker: SQLite-backed by default,
Redis when REDIS_URL is set. Each test uses its own queue so nothing else interferes."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from collections_crm.models import Heartbeat
from collections_crm.tasks import heartbeat
from tests.utils import test_database_url as database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(settings.BASE_DIR)
CELERY = [sys.executable, "-m", "celery", "-A", "collections_crm"]


def _start(args, tmp_path, **extra_env):
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1", **extra_env}
    log = open(tmp_path / f"{args[0]}.log", "w")
    return subprocess.Popen([*CELERY, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop(*processes):
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_a_worker_runs_a_task_sent_through_the_broker(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = _start(["worker", "--pool=solo", "-Q", queue, "--loglevel=INFO"], tmp_path)
    try:
        result = heartbeat.apply_async(queue=queue)
        reported_at = result.get(timeout=60)
    finally:
        _stop(worker)
    beat = Heartbeat.objects.get(name="worker")
    assert beat.at.isoformat() == reported_at


def test_beat_schedules_the_heartbeat_and_a_worker_runs_it(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        "CELERY_QUEUE": queue,
        "HEARTBEAT_SECONDS": "1",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "beat-schedule"),
    }
    worker = _start(["worker", "--pool=solo", "--loglevel=INFO"], tmp_path, **env)
    beat = _start(["beat", "--loglevel=INFO"], tmp_path, **env)
    try:
        seen = _wait_for(lambda: Heartbeat.objects.filter(name="worker").exists(), timeout=60)
    finally:
        _stop(beat, worker)
    logs = "\n".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert seen, logs
