"""What the import tests share: uploaded files kept in a throwaway folder (the `media` and
`lima` fixtures are in tests/conftest.py), English messages where a file checks the
importer's wording, and a worker that runs the queued import job at once."""

from unittest import mock

import pytest
from django.utils import translation

from debtors.tasks import run_import_job

# The hostile-file tests' helpers assert on the pages they load: rewritten as a test module's
# asserts are, so a failure shows the values compared.
pytest.register_assert_rewrite("tests.importing.hostile_files")


@pytest.fixture(autouse=True)
def _uploads_in_a_throwaway_folder(media):
    pass


@pytest.fixture
def english_messages():
    # The messages are checked in their source language; their Spanish is checked by the catalogue test.
    with translation.override("en"):
        yield


@pytest.fixture
def worker():
    """Runs the queued job when the request's transaction commits, as a worker would."""
    with mock.patch.object(run_import_job, "delay", side_effect=lambda pk: run_import_job(pk)) as delay:
        yield delay
