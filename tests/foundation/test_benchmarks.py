"""Every benchmark in bench/ still runs: each one's --smoke (tiny data, seconds) in a process of its
own, on the database the suite runs on. A benchmark that only means something on PostgreSQL says
so and succeeds on SQLite; on PostgreSQL every one runs in full."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

BENCH = Path(__file__).resolve().parents[2] / "bench"
BENCHMARKS = sorted(path.name for path in BENCH.glob("bench_*.py"))
POSTGRESQL_ONLY = {
    "bench_api_load.py",
    "bench_dashboard.py",
    "bench_desk.py",
    "bench_import.py",
    "bench_promise_jobs.py",
    "bench_scoring.py",
}


def test_every_benchmark_is_listed_here():
    assert "bench_pages.py" in BENCHMARKS
    assert POSTGRESQL_ONLY <= set(BENCHMARKS)


@pytest.mark.slow
@pytest.mark.parametrize("script", BENCHMARKS)
def test_its_smoke_run_succeeds(script, tmp_path):
    env = {**os.environ, "DEBUG": "1", "VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--smoke"],
        cwd=BENCH.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    skipped = "smoke: this benchmark needs PostgreSQL" in output
    assert skipped == (script in POSTGRESQL_ONLY and connection.vendor != "postgresql"), output[-2000:]
