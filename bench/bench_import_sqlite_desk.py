"""Benchmark: a portfolio import on SQLite beside the desk's writes (the embedded default).

SQLite lets one connection write at a time. This measures, for one file imported into a new
portfolio, the longest write transaction the import holds and how long a desk write (one
short UPDATE every 50 ms on a connection of its own, as a call being logged) waits, with the
merge in one transaction (as before) and in a transaction per batch (as now), in the same run.

    .venv/bin/python bench/bench_import_sqlite_desk.py [--rows N] [--write]
    .venv/bin/python bench/bench_import_sqlite_desk.py --smoke   # 2,000 rows, what the suite runs

SQLite only: with DATABASE_URL set to PostgreSQL it says so and stops. The database is a
throwaway file in a temp folder.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.pop("DATABASE_URL", None)  # the embedded default, whatever the shell says

from common import machine_line, throwaway_database, write_section  # noqa: E402

from django.db import connection, transaction  # noqa: E402

HEADING = "## Portfolio import on SQLite beside the desk"


def longest_transactions():
    """Wraps transaction.atomic to record the longest outermost block on this thread."""
    longest, starts = [0.0], []
    real_enter, real_exit = transaction.Atomic.__enter__, transaction.Atomic.__exit__
    owner = threading.get_ident()

    def enter(self):
        if threading.get_ident() == owner:
            starts.append(time.perf_counter())
        return real_enter(self)

    def exit(self, *exc_info):
        result = real_exit(self, *exc_info)
        if threading.get_ident() == owner:
            started = starts.pop()
            if not starts:
                longest[0] = max(longest[0], time.perf_counter() - started)
        return result

    transaction.Atomic.__enter__, transaction.Atomic.__exit__ = enter, exit
    return longest


def desk(creditor_id: int, stop: threading.Event, waits: list, failures: list) -> None:
    from django.db import DatabaseError, connection as own_connection

    from debtors.models import Creditor

    try:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    Creditor.objects.filter(pk=creditor_id).update(name=f"Desk {started}")
                waits.append(time.perf_counter() - started)
            except DatabaseError:
                failures.append(time.perf_counter() - started)
            time.sleep(0.05)
    finally:
        own_connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="2,000 rows: checks that the benchmark runs")
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    args = parser.parse_args()
    rows = 2_000 if args.smoke else args.rows
    if connection.vendor != "sqlite":
        print("SQLite only: unset DATABASE_URL.")
        return
    import bench_import

    from debtors.importing import loading
    from debtors.importing.loading import portfolio_get_or_create, portfolio_import
    from debtors.models import Creditor

    folder = Path(tempfile.mkdtemp(prefix="bench-desk-"))
    connection.settings_dict.setdefault("TEST", {})["NAME"] = str(folder / "bench.sqlite3")
    lines = []
    with throwaway_database():
        raw, _changed, _clean = bench_import.generate(folder, rows)
        desk_creditor = Creditor.objects.create(name="Desk").pk
        longest = longest_transactions()
        short = loading._load_in_short_transactions
        modes = {
            "one transaction (before)": lambda *a: loading._load_all_at_once(*a, False),
            "a transaction per batch (now)": short,
        }
        for label, path in modes.items():
            loading._load_in_short_transactions = path
            portfolio = portfolio_get_or_create(portfolio=label, creditor="Banco Bench", country="PE", save=False)
            waits, failures, stop = [], [], threading.Event()
            thread = threading.Thread(target=desk, args=(desk_creditor, stop, waits, failures))
            longest[0] = 0.0
            thread.start()
            started = time.perf_counter()
            try:
                portfolio_import(file=raw, portfolio=portfolio)
            finally:
                stop.set()
                thread.join()
            seconds = time.perf_counter() - started
            waits.sort()
            line = (
                f"| {label} | {seconds:.1f} s | {longest[0]:.2f} s | {len(waits)} | "
                f"{(waits[len(waits) // 2] if waits else 0) * 1000:.0f} ms | {(waits[-1] if waits else 0):.2f} s | {len(failures)} |"
            )
            lines.append(line)
            print(line, flush=True)
        loading._load_in_short_transactions = short
    section = (
        f"{HEADING}\n\n{machine_line()}; {rows:,} rows into a new portfolio, a desk write every 50 ms.\n\n"
        "| merge | import | longest import transaction | desk writes | desk wait p50 | desk wait max | desk writes failed |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(lines) + "\n"
    )
    if args.write and not args.smoke:
        write_section(HEADING, section)
    print(section)


if __name__ == "__main__":
    sys.exit(main())
