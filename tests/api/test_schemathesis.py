"""Property-based: requests generated from the published schema never get a server error.

Schemathesis reads the OpenAPI schema and Hypothesis generates requests for every
operation, in-process against the WSGI application: valid ones (positive) and ones that
break the schema (negative), half of them aimed at real objects so that the services
run, not only the 404s. Any 5xx fails, with the request that caused it.
SCHEMATHESIS_EXAMPLES (default 25) bounds the examples per operation and mode.
"""

import json
import os
import traceback

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from collections_crm.users.services import api_token_issue
from debtors.services import import_job_create
from tests import factories

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))


def _load_schema():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    schema.app = get_wsgi_application()
    return schema


SCHEMA = _load_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture
def keep_test_connection():
    """The test's database connection must outlive each request (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors():
    """The tracebacks of unhandled exceptions, so that a failure shows its cause."""
    caught = []

    def record(sender, request=None, **kwargs):
        caught.append(traceback.format_exc())

    got_request_exception.connect(record)
    yield caught
    got_request_exception.disconnect(record)


@pytest.fixture
def real_objects(keep_test_connection, settings, tmp_path, ana, carla, diego, mateo):
    settings.MEDIA_ROOT = tmp_path / "media"  # uploaded files land here
    follow_up = factories.make_follow_up(debtor=diego, assigned_to=carla)
    promise = factories.make_promise(debtor=diego, collector=carla)
    _token, key = api_token_issue(user=ana, name="schemathesis")
    job = import_job_create(
        user=ana, kind="portfolio", file=ContentFile(b"external_id;full_name\nC-1;Ana\n", name="cartera.csv"),
        portfolio=diego.portfolio,
    )
    return {
        "headers": {"Authorization": f"Bearer {key}"},
        "path": {
            "debtor_id": diego.pk,
            "phone_id": diego.phones.get().pk,
            "debt_id": diego.debts.get().pk,
            "promise_id": promise.pk,
            "follow_up_id": follow_up.pk,
            "job_id": job.pk,
        },
        "body": {"debtor": diego.pk, "phone": diego.phones.get().pk, "debt": diego.debts.get().pk},
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
def test_no_request_the_schema_allows_or_forbids_gets_a_server_error(operation, real_objects, server_errors):
    path_names = {parameter.name for parameter in operation.path_parameters}
    real_path = {name: value for name, value in real_objects["path"].items() if name in path_names}
    strategies = [operation.as_strategy(generation_mode=mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    if real_path:
        strategies += [
            operation.as_strategy(generation_mode=mode, path_parameters=real_path)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        # No shrinking: it can take minutes; the failing request and its traceback are enough.
        phases=[Phase.explicit, Phase.generate],
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies), aim_at_real_debtor=st.booleans())
    def run(case, aim_at_real_debtor):
        if aim_at_real_debtor and isinstance(case.body, dict):
            for name, value in real_objects["body"].items():
                if name in case.body:
                    case.body[name] = value
        server_errors.clear()
        # Each request in a savepoint rolled back after it: every example starts from the same
        # data, and on PostgreSQL a failed statement cannot poison the requests after it.
        with transaction.atomic():
            response = case.call(headers=real_objects["headers"])
            transaction.set_rollback(True)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r} → {response.status_code}\n"
            + "".join(server_errors)[-3000:]
        )

    run()
