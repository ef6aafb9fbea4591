"""Ids, page numbers and counts that reach a URL, a form value or a data attribute are never
formatted as numbers: with the thousand separator on, "2 996" or "2,996" in a link sends the
collector to the wrong debtor and a ticked box moves nobody."""

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from collections_crm.users.models import User
from supervision.tasks import refresh_dashboard_rollups

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# A Tuesday afternoon in Madrid, late morning in Lima and Mexico City.
SEEDED_AT = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
# A template variable inside a tag whose value is an id, a page number or a count.
_VARIABLE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_MACHINE_VALUE = re.compile(r"^[\w.]*(\.pk|\.id|_id|_ids|_pk|number|_count|\.count)$")
# Attributes a machine reads: a grouped number in one of them is a defect.
_MACHINE_ATTRIBUTES = re.compile(r"^(href|src|action|formaction|value|name|id|for|data-.*|hx-.*)$")
_GROUPED_NUMBER = re.compile(r"\d[\u00a0\u202f ,.']\d{3}(?!\d)")


def _tags(text: str):
    return re.finditer(r"<[a-zA-Z][^<>]*>", text, re.S)


def test_no_template_prints_an_id_through_the_localised_path():
    """The check the suite keeps: inside a tag, ids and numbers go through `unlocalize` (or `{% url %}`)."""
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for tag in _tags(text):
            for variable in _VARIABLE.finditer(tag.group(0)):
                expression = variable.group(1)
                base = expression.split("|")[0].strip()
                if _MACHINE_VALUE.match(base) and "unlocalize" not in expression:
                    line = text[: tag.start()].count("\n") + 1
                    offenders.append(f"{path.relative_to(TEMPLATES)}:{line} {{{{ {expression} }}}}")
    assert offenders == [], "Render these with |unlocalize: " + "; ".join(offenders)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.grouped: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and _MACHINE_ATTRIBUTES.match(name) and _GROUPED_NUMBER.search(value):
                self.grouped.append(f"<{tag} {name}={value!r}>")
            if tag == "a" and name == "href" and value:
                self.links.append(value)


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _crawl(client, start: str, *, per_shape: int = 3, limit: int = 150):
    """Follow every same-site link from `start`, a couple of pages of each URL shape."""
    seen, shapes, queue, problems = set(), {}, [start], []
    while queue and len(seen) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or url in seen:
            continue
        if parts.path.startswith(("/accounts/logout", "/admin/", "/api/", "/static/", "/media/", "/i18n/")):
            continue
        shape = _shape(parts.path)
        if shapes.get(shape, 0) >= per_shape:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
            continue
        if response.status_code in (301, 302) and response.get("Location"):
            queue.append(urljoin(url, response["Location"]))
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode())
        problems += [f"{url}: {found}" for found in page.grouped]
        queue += [
            urljoin(url, link).split("#")[0] for link in page.links if not link.startswith(("tel:", "mailto:", "#"))
        ]
    return seen, problems


@pytest.fixture
def demo_book(high_ids, settings):
    """The demo data on a database whose ids are all above 1,000."""
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(SEEDED_AT, tick=False):
        call_command("seed_demo", debtors=40, stdout=StringIO())
        refresh_dashboard_rollups()
    return {user.username: user for user in User.objects.all()}


@pytest.mark.parametrize("username", ["carla", "sofia", "ana"])
def test_no_page_a_role_reaches_puts_a_grouped_number_in_a_link_or_form(client, demo_book, username):
    user = demo_book[username]
    assert user.pk > 1000
    for language in ("es", "en"):  # "2 996" and "2,996"
        user.language = language
        user.save(update_fields=["language"])
        client.cookies["django_language"] = language
        client.force_login(user)
        with time_machine.travel(SEEDED_AT, tick=False):
            visited, problems = _crawl(client, "/")
        assert len(visited) > 10, visited
        assert problems == [], language
