"""What every benchmark shares: Django set-up, a throwaway database, the results file."""

import os
import platform
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_crm.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

# --smoke: tiny data and few repetitions, seconds not minutes; proves that the benchmark still
# runs (tests/foundation/test_benchmarks.py runs every one so) and writes nothing.
SMOKE = "--smoke" in sys.argv


def require_postgresql() -> None:
    """Stop unless on PostgreSQL; a smoke run elsewhere says so and succeeds (nothing to prove)."""
    if connection.vendor == "postgresql":
        return
    if SMOKE:
        print(f"smoke: this benchmark needs PostgreSQL (DATABASE_URL=postgres://…); nothing run on {connection.vendor}")
        sys.exit(0)
    sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")


@contextmanager
def throwaway_database():
    """A fresh database of its own ("bench_<name>_<pid>"), dropped afterwards.

    Never the test suite's "test_<name>": a benchmark running beside `make test` would
    otherwise drop the database under the tests' feet."""
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = (
            f"bench_{connection.settings_dict['NAME']}_{os.getpid()}"
        )
    elif connection.vendor == "sqlite":  # not the suite's var/test-db.sqlite3 either
        folder = Path(connection.settings_dict["NAME"]).parent
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(folder / f"bench-{os.getpid()}.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@contextmanager
def kept_database(name: str):
    """Database `name` (a file beside the default one on SQLite), made and migrated if needed and
    kept afterwards, so that a slow-to-build data set serves several runs."""
    if connection.vendor == "sqlite":
        name = str(Path(connection.settings_dict["NAME"]).parent / f"{name}.sqlite3")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    # serialize=False: no copy of a million rows in memory (that is for the test runner).
    connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    yield connection


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def machine_line() -> str:
    """Date, machine and the load average when the figures are written: these machines are
    shared, so a figure means little without the load it was measured under."""
    return (
        f"{date.today().isoformat()}; machine: {os.cpu_count()} vCPU, {_os_name()} "
        f"(CPython {platform.python_version()}, Django {django.get_version()}, {connection.vendor}); "
        f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}"
    )


def write_section(heading: str, section: str) -> None:
    """Replace (or append) one `## heading` section of docs/benchmarks.md."""
    path = BASE_DIR / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if heading in text:
        before, rest = text.split(heading, 1)
        index = rest.find("\n## ")
        after = rest[index:] if index >= 0 else ""
        text = before + section.rstrip("\n") + "\n" + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def debtors_insert_generated(cursor, params: dict) -> int:
    """Insert params["debtors"] synthetic debtors spread over three portfolios (p0..p2), three
    zones and params["ncollectors"] collectors from id c0; one in a hundred disputed. Returns the
    first new debtor's id, from which the benchmarks derive the other rows' debtors."""
    cursor.execute(
        """
        INSERT INTO debtors_debtor (portfolio_id, external_id, national_id, full_name, email, time_zone, language,
            assigned_to_id, hold_do_not_contact, hold_cease, hold_dispute, hold_lawsuit, hold_insolvency,
            hold_deceased, open_balance, created_at, updated_at)
        SELECT CASE g %% 3 WHEN 0 THEN %(p0)s WHEN 1 THEN %(p1)s ELSE %(p2)s END, 'B' || g, '', 'Deudor ' || g, '',
               CASE g %% 3 WHEN 0 THEN 'America/Lima' WHEN 1 THEN 'America/Mexico_City' ELSE 'Europe/Madrid' END,
               'es', %(c0)s + (g %% %(ncollectors)s), false, false, g %% 100 = 0, false, false, false, 0, %(now)s, %(now)s
        FROM generate_series(1, %(debtors)s) AS g
        """,
        params,
    )
    cursor.execute("SELECT min(id) FROM debtors_debtor")
    return cursor.fetchone()[0]


def bench_collectors_and_portfolios(collectors: int) -> dict:
    """`collectors` collectors and three portfolios (Peru, Mexico, Spain, each with its contact
    policy preset) of one creditor; returns the ids as the parameters the generators expect."""
    from collections_crm.users.models import Role
    from collections_crm.users.services import user_create
    from debtors.models import Creditor, Portfolio

    people = [
        user_create(username=f"bench{n}", password="bench-password-42", role=Role.COLLECTOR) for n in range(collectors)
    ]
    creditor = Creditor.objects.create(name="Bench Bank")
    portfolios = [
        Portfolio.objects.create(
            name=name,
            creditor=creditor,
            country=country,
            currency=currency,
            default_time_zone=zone,
            contact_policy_preset=preset,
        )
        for name, country, currency, zone, preset in (
            ("Bench PE", "PE", "PEN", "America/Lima", "pe"),
            ("Bench MX", "MX", "MXN", "America/Mexico_City", "mx_fin"),
            ("Bench ES", "ES", "EUR", "Europe/Madrid", "es"),
        )
    ]
    return {
        "p0": portfolios[0].pk,
        "p1": portfolios[1].pk,
        "p2": portfolios[2].pk,
        "c0": people[0].pk,
        "ncollectors": len(people),
    }


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(port: int, workers: int, env: dict, *, ready_path: str, stderr=None):
    """The app under gunicorn (sync workers) on 127.0.0.1:`port` with `env` added to this
    process's environment, in a session of its own (stop it with os.killpg); returned once
    `ready_path` answers without a server error, or SystemExit after 60 s."""
    import subprocess
    import time

    import httpx

    process = subprocess.Popen(
        [str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "collections_crm.wsgi", "-b", f"127.0.0.1:{port}"]
        + ["-w", str(workers), "--log-level", "warning"],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        start_new_session=True,
        stderr=stderr,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=5).status_code < 500:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")
