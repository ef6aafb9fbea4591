"""Named personas, one per role: two teams, so that scope rules have something to cross.

- ana: admin; sofia: supervisor of team Lima (collectors carla and carlos);
- pablo: supervisor of team Monterrey (collector cris);
- diego: carla's debtor; mateo: cris's debtor; unassigned: nobody's debtor.
"""

import pytest

from collections_crm.users.models import Role, Team
from collections_crm.users.services import user_create
from debtors.importing.loading import portfolio_get_or_create
from tests import factories
from tests.high_ids import high_ids  # noqa: F401 (a fixture any test may ask for)

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def ana(db):
    return user_create(username="ana", password=PASSWORD, role=Role.ADMIN, first_name="Ana", last_name="Admin")


@pytest.fixture
def sofia(db):
    return user_create(
        username="sofia", password=PASSWORD, role=Role.SUPERVISOR, first_name="Sofía", last_name="Supervisora"
    )


@pytest.fixture
def pablo(db):
    return user_create(
        username="pablo", password=PASSWORD, role=Role.SUPERVISOR, first_name="Pablo", last_name="Paredes"
    )


@pytest.fixture
def team_lima(sofia):
    return Team.objects.create(name="Lima", supervisor=sofia)


@pytest.fixture
def team_monterrey(pablo):
    return Team.objects.create(name="Monterrey", supervisor=pablo)


@pytest.fixture
def carla(team_lima):
    return user_create(
        username="carla", password=PASSWORD, role=Role.COLLECTOR, team=team_lima, first_name="Carla", last_name="Cobos"
    )


@pytest.fixture
def carlos(team_lima):
    return user_create(
        username="carlos", password=PASSWORD, role=Role.COLLECTOR, team=team_lima, first_name="Carlos", last_name="Cruz"
    )


@pytest.fixture
def cris(team_monterrey):
    return user_create(
        username="cris",
        password=PASSWORD,
        role=Role.COLLECTOR,
        team=team_monterrey,
        first_name="Cristina",
        last_name="Campos",
    )


@pytest.fixture
def media(tmp_path, settings):
    """Uploaded files, import reports and exports in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def lima(db):
    """A portfolio made the way an import makes it (Banco Andino's cards, Peru)."""
    return portfolio_get_or_create(portfolio="Tarjetas", creditor="Banco Andino", country="PE")


@pytest.fixture
def portfolio(db):
    return factories.make_portfolio(name="Tarjetas Lima 2026")


@pytest.fixture
def diego(portfolio, carla):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=carla, full_name="Diego Díaz Quispe")
    factories.make_debt(debtor=debtor)
    factories.make_phone(debtor=debtor)
    return debtor


@pytest.fixture
def mateo(portfolio, cris):
    debtor = factories.make_debtor(portfolio=portfolio, assigned_to=cris, full_name="Mateo Mendoza Ríos")
    factories.make_debt(debtor=debtor)
    return debtor


@pytest.fixture
def unassigned(portfolio):
    return factories.make_debtor(portfolio=portfolio, full_name="Nadia Nadie")


def _marker_kwargs(item) -> dict:
    marker = item.get_closest_marker("django_db")
    return marker.kwargs if marker else {}


def _transactional(item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return bool(_marker_kwargs(item).get("transaction")) or "transactional_db" in fixtures or "live_server" in fixtures


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Among the transactional tests (pytest-django puts them after the others), the ones that
    restore the migrated rows (`serialized_rollback`) go first, in their order.

    Any other transactional test ends with a flush after which Django re-creates the content
    types under new ids; the serialized rows could then no longer be loaded over them (UNIQUE
    failed on django_content_type at the next serialized test's setup), so whether a test
    passed depended on which file ran before it.
    """
    places = [index for index, item in enumerate(items) if _transactional(item)]
    moving = [items[index] for index in places]
    moving.sort(key=lambda item: not _marker_kwargs(item).get("serialized_rollback"))
    for index, item in zip(places, moving):
        items[index] = item


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashers are slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def contact_policy_presets_after_flush(request):
    """Transactional tests (threads): the presets a data migration seeds, even after a flush.

    `serialized_rollback` should restore them, but in a mixed PostgreSQL run a flush by an
    earlier transactional test can leave the table empty, and every debtor's policy would
    read as "not configured". Seed them again from the migration when they are missing.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        import importlib

        from django.apps import apps

        from calls.models import ContactPolicy

        if not ContactPolicy.objects.exists():
            importlib.import_module("calls.migrations.0004_seed_contact_policies").seed(apps, None)
            importlib.import_module("calls.migrations.0014_cl_letters_count").add_version_2(apps, None)
        from calls.policy import policy_cache_clear

        policy_cache_clear()
    yield
