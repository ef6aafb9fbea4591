"""Browser tests: Playwright drives Debian's Chromium headless against pytest-django's live server.

Playwright cannot download its own browsers on these machines, so the tests launch the
system Chromium (`/usr/bin/chromium`, Debian package `chromium`; `.ci/run` installs it when
missing). Every browser test runs in a transaction-flushing database (the live server is
another thread); `serialized_rollback` restores the contact-policy presets that a data
migration seeds.
"""

import os
import shutil

import pytest

from tests.conftest import PASSWORD

# Playwright's sync API keeps an event loop running in the test's thread; Django refuses ORM
# calls from such a thread unless told that this is deliberate (test set-up only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    browser_dir = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(browser_dir):
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is needed for the browser tests: install Debian's 'chromium' ({CHROMIUM} not found)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_context_args(browser_context_args):
    # A fixed viewport and a Spanish browser: the product's default language.
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}, "locale": "es-ES"}


@pytest.fixture
def sign_in(page, live_server):
    """Sign a persona in through the real form; returns the page on their home."""

    def sign_in_as(user, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("input[name=username]").fill(user.username)
        page.locator("input[name=password]").fill(password)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_load_state("networkidle")
        return page

    return sign_in_as
