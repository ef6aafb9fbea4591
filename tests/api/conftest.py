"""API clients for the named personas, each with a real token (the way integrations call)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from collections_crm.users.services import api_token_issue

LIMA = ZoneInfo("America/Lima")
# A Wednesday morning in Lima: calls to Peruvian debtors are lawful.
WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=LIMA)
SATURDAY = datetime(2026, 11, 21, 10, 0, tzinfo=LIMA)


def token_client(user) -> APIClient:
    _token, key = api_token_issue(user=user, name=f"tests {user.username}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.user = user
    return client


@pytest.fixture
def client_for(db):
    """client_for(carla) → an APIClient sending carla's token; client_for(None) → anonymous."""

    def build(user):
        return token_client(user) if user is not None else APIClient()

    return build
