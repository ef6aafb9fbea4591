"""The API meets its own schema: schemathesis with every check, as a collector, a supervisor and an admin.

This is `schemathesis run URL --checks all` in Python (the engine the command line drives),
against a live server in this process that shares the test's database connection:

- every check, the command line's `--checks all`: no server error, status codes, content types,
  headers and bodies as documented, schema-valid requests accepted and schema-invalid ones refused,
  use after free, resources available after creation, credentials required and checked,
  unsupported methods answered 405 with `Allow`;
- the phases of `schemathesis run`: the deterministic coverage phase (boundaries, wrong types,
  missing and unexpected parameters, unexpected methods and media types), fuzzing, and the
  stateful phase that chains operations (a promise listed, then cancelled);
- a fixed seed, derandomised generation and a fixed moment (tick on) so that a run is the same
  every time: the schema states date windows relative to today.

Budget: the coverage phase does not depend on the caller, only the answers do, and it is the
longest (≈ 2,300 requests); it runs as the admin, who reaches every operation's success path.
Fuzzing and the stateful phase run as each of the three roles. SCHEMATHESIS_COVERAGE=all runs
the coverage phase as every role; SCHEMATHESIS_EXAMPLES (default 10) bounds the examples per
operation; SCHEMATHESIS_SEED (default 16) picks another seed.

Before the fixes of issue 16 point 11, this test found 38-39 unique violations per role with
these settings (empty strings outside enums, undocumented 400 and 404, HTML 404 for ids out of
range, lenient page_size, missing date and minimum rules).
"""

import os
import threading
import traceback
from datetime import UTC, datetime

import phonenumbers
import pytest
import schemathesis
import time_machine
from django.core.files.base import ContentFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIServer
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, connections, transaction
from django.test.testcases import QuietWSGIRequestHandler
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

from collections_crm.users.services import api_token_issue
from debtors.services import import_job_create
from tests import factories

SEED = int(os.environ.get("SCHEMATHESIS_SEED", "16"))
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
COVERAGE_ROLES = os.environ.get("SCHEMATHESIS_COVERAGE", "admin")
# A Wednesday, 10:00 in Lima: calls to the Peruvian debtors are lawful, so calls get logged.
MOMENT = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def _example_numbers() -> list:
    numbers = []
    for region in ("PE", "MX", "CO", "CL", "AR", "EC", "ES", "US"):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append(example)
    return numbers


@st.composite
def phone_numbers(draw, examples=_example_numbers()):
    """Numbers that exist, as the format "phone" of the schema says (no pattern can: libphonenumber knows)."""
    base = draw(st.sampled_from(examples))
    number = phonenumbers.PhoneNumber(
        country_code=base.country_code, national_number=base.national_number // 1000 * 1000 + draw(st.integers(0, 999))
    )
    if not phonenumbers.is_valid_number(number):
        number = base
    style = draw(st.sampled_from([phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL]))
    return phonenumbers.format_number(number, style)


schemathesis.openapi.format("phone", phone_numbers())


class LiveServer(threading.Thread):
    """One request at a time, on the test's own database connection.

    Each request runs in a savepoint: kept, so that what one request creates the next can
    read (the stateful phase depends on it), and rolled back after a server error, so that
    on PostgreSQL a failed statement cannot poison the requests after it. Everything is
    rolled back with the test.
    """

    def __init__(self, connection):
        super().__init__(daemon=True)
        self.connection = connection
        self.handler = WSGIHandler()
        self.httpd = WSGIServer(("127.0.0.1", 0), QuietWSGIRequestHandler, allow_reuse_address=False)
        self.httpd.set_app(self.application)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def application(self, environ, start_response):
        status = {}

        def remember_status(line, headers, exc_info=None):
            status["code"] = int(line.split()[0])
            return start_response(line, headers, exc_info)

        with transaction.atomic():
            result = self.handler(environ, remember_status)
            body = b"".join(result)
            result.close()
            if status["code"] >= 500:
                transaction.set_rollback(True)
        return [body]

    def run(self):
        connections["default"] = self.connection
        self.httpd.serve_forever()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.join()


@pytest.fixture
def live_server_on_test_connection(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    # The connection must outlive each request (Django's test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    connection = connections["default"]
    connection.inc_thread_sharing()
    server = LiveServer(connection)
    server.start()
    yield server
    server.stop()
    connection.dec_thread_sharing()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors():
    """The tracebacks of unhandled exceptions, so that a failure shows its cause."""
    caught = []

    def record(sender, request=None, **kwargs):
        caught.append(f"{request.method} {request.get_full_path()}\n{traceback.format_exc()}")

    got_request_exception.connect(record)
    yield caught
    got_request_exception.disconnect(record)


@pytest.fixture
def desk(settings, tmp_path, ana, carla, sofia, diego, mateo, unassigned):
    """Debtors of two teams and two currencies, with follow-ups, promises, calls and an import."""
    settings.MEDIA_ROOT = tmp_path / "media"  # uploaded files land here
    mexico = factories.make_portfolio(
        name="Consumo CDMX 2026", country="MX", currency="MXN", time_zone="America/Mexico_City", preset="mx_fin"
    )
    emily = factories.make_debtor(portfolio=mexico, assigned_to=carla, full_name="Emily Walker", language="en")
    factories.make_debt(debtor=emily)
    factories.make_phone(debtor=emily, number="+525512345678")
    factories.make_follow_up(debtor=diego, assigned_to=carla)
    factories.make_promise(debtor=diego, collector=carla)
    factories.make_call(debtor=diego, collector=carla)
    import_job_create(
        user=ana,
        kind="portfolio",
        portfolio=diego.portfolio,
        file=ContentFile("external_id;full_name\nC-1;Ana Núñez\n".encode(), name="cartera.csv"),
    )
    return {"collector": carla, "supervisor": sofia, "admin": ana}


def _run(server, user, *, coverage: bool) -> tuple[Statistic, list[str]]:
    _token, key = api_token_issue(user=user, name="schemathesis")
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "base-url": server.url,
            "headers": {"Authorization": f"Bearer {key}"},
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {"coverage": {"enabled": coverage}},
        }
    )
    config.projects.override.checks.update(included_check_names=["all"])  # --checks all
    schema = schemathesis.openapi.from_url(f"{server.url}/api/schema/?format=json", config=config)
    statistic, errors = Statistic(), []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            errors.append(repr(event.exception))
        elif isinstance(event, events.EngineFinished):
            statistic.record_run_check_failures(event.failures, label="after the run")
    return statistic, errors


def _report(statistic: Statistic, errors: list[str], server_errors: list[str]) -> str:
    lines = [f"{len(statistic.unique_failures_map)} unique failures in {statistic.total_cases} cases"]
    for label, groups in sorted(statistic.failures.items()):
        for group in groups.values():
            lines.append(f"\n== {label}")
            lines += [f"[{failure.code}] {failure.title}: {failure.message[:600]}" for failure in group.failures]
            lines.append(str(group.code_sample)[:1500])
            if group.response is not None:
                lines.append(f"-> {group.response.status_code} {group.response.content[:400]!r}")
    lines += errors
    lines += server_errors[-3:]
    return "\n".join(lines)


@pytest.mark.parametrize("role", ["collector", "supervisor", "admin"])
def test_the_api_meets_its_own_schema_with_every_check(role, desk, live_server_on_test_connection, server_errors):
    with time_machine.travel(MOMENT, tick=True):
        statistic, errors = _run(
            live_server_on_test_connection,
            desk[role],
            coverage=COVERAGE_ROLES == "all" or role in COVERAGE_ROLES.split(","),
        )
    assert statistic.total_cases > 0 and not statistic.unique_failures_map and not errors, _report(
        statistic, errors, server_errors
    )
