"""The SQLite import-beside-the-desk benchmark runs (its figures are in docs/benchmarks.md)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_sqlite_import_beside_the_desk_benchmark_runs_in_smoke_mode():
    done = subprocess.run(
        [sys.executable, "bench/bench_import_sqlite_desk.py", "--smoke"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "DEBUG": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "a transaction per batch (now)" in done.stdout and "one transaction (before)" in done.stdout
