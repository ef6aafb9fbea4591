"""What the import tests share: uploaded files kept in a throwaway folder, the portfolio most
of them load into, and English messages where a file checks the importer's wording."""

import pytest
from django.utils import translation

from debtors.importing.loading import portfolio_get_or_create


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def lima(db):
    return portfolio_get_or_create(portfolio="Tarjetas", creditor="Banco Andino", country="PE")


@pytest.fixture
def english_messages():
    # The messages are checked in their source language; their Spanish is checked by the catalogue test.
    with translation.override("en"):
        yield
