"""What the import tests share: uploaded files kept in a throwaway folder (the `media` and
`lima` fixtures are in tests/conftest.py), and English messages where a file checks the
importer's wording."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _uploads_in_a_throwaway_folder(media):
    pass


@pytest.fixture
def english_messages():
    # The messages are checked in their source language; their Spanish is checked by the catalogue test.
    with translation.override("en"):
        yield
