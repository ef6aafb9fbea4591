"""NUL characters and unpaired surrogates are refused with 400 and a message, never a 500.

PostgreSQL stores neither (a NUL in any string literal or jsonb, a surrogate is not UTF-8):
before, `/debtors/?q=%00`, a rejection reason with a NUL and an import mapping with `\\u0000`
failed at the database. Every form of every role's pages is read from the page itself and sent
back with the character in each of its fields in turn; every filter and body field the API's
schema documents gets it too. Nothing may be written, and the answer says why in the user's
language. Run on PostgreSQL (`DATABASE_URL=postgres://…`) as well as SQLite.
"""

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from calls.models import Call
from calls.review import call_recording_attach
from collections_crm.users.services import api_token_issue
from debtors.models import SavedFilter
from promises.models import ArrangementLimits
from promises.services import arrangement_propose
from tests import factories

MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("America/Lima"))
NUL = "Pagará el viernes\x00 sin falta"
SPANISH = "contiene un carácter que no se puede guardar"
ENGLISH = "contains a character that cannot be stored"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64
TEXT_INPUTS = {
    "text",
    "search",
    "email",
    "tel",
    "number",
    "date",
    "datetime-local",
    "time",
    "url",
    "hidden",
    "password",
    None,
}


class Forms(HTMLParser):
    """The forms of a page: action, method, enctype and their fields with the values shown."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "action": attrs.get("action") or "",
                "method": (attrs.get("method") or "get").lower(),
                "multipart": attrs.get("enctype") == "multipart/form-data",
                "fields": [],
                "files": [],
            }
            self.forms.append(self._form)
        elif self._form is None or "name" not in attrs or "disabled" in attrs:
            return
        elif tag == "input":
            kind = attrs.get("type")
            if kind == "file":
                self._form["files"].append(attrs["name"])
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs or not any(name == attrs["name"] for name, _v, _t in self._form["fields"]):
                    self._form["fields"] = [
                        f for f in self._form["fields"] if f[0] != attrs["name"] or kind == "checkbox"
                    ]
                    self._form["fields"].append((attrs["name"], attrs.get("value", "on"), False))
            elif kind in TEXT_INPUTS:
                self._form["fields"].append((attrs["name"], attrs.get("value", ""), True))
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]
        elif tag == "select":
            self._select = [attrs["name"], None]
        elif tag == "option" and self._select is not None and (self._select[1] is None or "selected" in attrs):
            self._select[1] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append((self._textarea[0], self._textarea[1], True))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self._form["fields"].append((self._select[0], self._select[1] or "", True))
            self._select = None


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def rows_in_every_table() -> dict:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def office(monday, settings, tmp_path, ana, sofia, carla, diego, mateo, cris, portfolio):
    """Something on every page: a reviewed call with its recording, a plan awaiting approval."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call = factories.make_call(debtor=diego, collector=carla, outcome=Call.Outcome.RIGHT_PARTY)
    call_recording_attach(call=call, upload=SimpleUploadedFile("llamada.mp3", MP3, "audio/mpeg"), by=sofia)
    factories.make_promise(debtor=diego, collector=carla)
    ArrangementLimits.objects.create(portfolio=diego.portfolio, max_instalments=3)
    arrangement_propose(
        debtor=diego,
        collector=carla,
        schedule=[(date(2026, 11, 30) + timedelta(weeks=n), Decimal("100")) for n in range(6)],
    )
    return {"call": call, "diego": diego, "portfolio": portfolio}


def pages_of(role: str, office) -> list[str]:
    diego, call = office["diego"], office["call"]
    return {
        "carla": [
            reverse("home"),
            reverse("debtors:list"),
            reverse("debtors:detail", args=[diego.pk]),
            reverse("review:mine"),
            reverse("preferences"),
            reverse("password_change"),
        ],
        "sofia": [
            reverse("promises:dashboard"),
            reverse("promises:health"),
            reverse("promises:approvals"),
            reverse("promises:reassign"),
            reverse("review:list"),
            reverse("review:call", args=[call.pk]),
            reverse("debtors:detail", args=[diego.pk]),
            f"{reverse('promises:promises_behind')}?period=week&kind=due&status=broken",
        ],
        "ana": [
            reverse("debtors:portfolios"),
            reverse("debtors:imports"),
            reverse("debtors:import_new"),
            reverse("debtors:portfolio_assign", args=[office["portfolio"].pk]),
            reverse("admin:users_user_change", args=[diego.assigned_to_id]),
            reverse("admin:users_apitoken_add"),
        ],
    }[role]


def submit(client, page_url: str, form: dict, poisoned: str):
    action = form["action"] or page_url
    data = {}
    for name, value, _text in form["fields"]:
        value = NUL if name == poisoned else value
        data.setdefault(name, []).append(value)
    if form["method"] == "get":
        return client.get(action.split("?")[0], data)
    if form["multipart"]:
        for name in form["files"]:
            data[name] = SimpleUploadedFile("cartera.csv", b"codigo,nombre\n1001,Ana\n", "text/csv")
    return client.post(action, data)


@pytest.mark.parametrize("role", ["carla", "sofia", "ana"])
def test_every_field_of_every_form_refuses_a_nul_with_400_and_saves_nothing(role, request, office):
    user = request.getfixturevalue(role)
    client = Client()
    client.force_login(user)
    before = rows_in_every_table()
    tried = 0
    for url in pages_of(role, office):
        page = client.get(url)
        assert page.status_code == 200, url
        for form in forms_of(page.content.decode()):
            for name, _value, _is_text in form["fields"]:
                if name == "csrfmiddlewaretoken":
                    continue
                response = submit(client, url, form, name)
                assert response.status_code == 400, (url, form["action"], name, response.status_code)
                assert SPANISH in response.content.decode(), (url, name)
                tried += 1
    assert tried > {"carla": 20, "sofia": 20, "ana": 10}[role]
    assert rows_in_every_table() == before


def test_the_reported_cases_answer_400_in_the_users_language(client, sofia, carla, office):
    client.force_login(carla)
    response = client.get("/debtors/?q=%00")
    assert response.status_code == 400 and SPANISH in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.get("/debtors/?q=Quispe%00")
    page = response.content.decode()
    assert response.status_code == 400 and ENGLISH in page
    assert "<pre>Quispe</pre>" in page  # what was typed, without the character, to copy back

    # A rejection reason with a NUL: the arrangement stays pending.
    client.force_login(sofia)
    client.cookies["django_language"] = "es"
    arrangement = office["diego"].arrangements.get()
    response = client.post(
        reverse("promises:arrangement_reject", args=[arrangement.pk]), {"reason": "Demasiado\x00 largo"}
    )
    assert response.status_code == 400 and SPANISH in response.content.decode()
    arrangement.refresh_from_db()
    assert arrangement.approval_status == "pending"


def test_a_password_typed_is_not_shown_back(client, carla):
    client.force_login(carla)
    response = client.post(
        reverse("password_change"), {"old_password": "secreta\x00", "new_password1": "otra-clave-larga-42"}
    )
    assert response.status_code == 400
    assert "secreta" not in response.content.decode() and "otra-clave" not in response.content.decode()


def test_the_call_desk_gets_the_message_as_text_over_htmx(client, carla, office):
    client.force_login(carla)
    response = client.post(
        reverse("calls:log", args=[office["diego"].pk]), {"outcome": "no_answer", "notes": NUL}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    assert SPANISH in response.content.decode()
    assert not Call.objects.filter(notes__startswith="Pagará").exists()


def test_a_forged_session_cookie_with_a_nul_is_ignored(db):
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    assert client.get(reverse("login")).status_code == 200


# --- The API ---------------------------------------------------------------------------------


@pytest.fixture
def schema(db):
    return Client().get("/api/schema/?format=json").json()


def _api(user, language="es"):
    _token, key = api_token_issue(user=user, name="Marcador")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE=language)


def _string_fields(schema, body_schema, prefix=""):
    """Every string (or free-form) property of a request body, as dotted paths."""
    if "$ref" in body_schema:
        body_schema = schema["components"]["schemas"][body_schema["$ref"].rsplit("/", 1)[1]]
    for name, prop in body_schema.get("properties", {}).items():
        if prop.get("readOnly") or prop.get("format") == "binary":
            continue  # Django drops unprintable characters from an upload's name itself
        if "$ref" in prop or prop.get("type") == "object" and "properties" in prop:
            yield from _string_fields(schema, prop, f"{prefix}{name}.")
        elif prop.get("type") in ("string", None) or prop.get("type") == "object":
            yield f"{prefix}{name}", prop


def _path(template, ids):
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)


def test_every_api_filter_refuses_a_nul_in_the_users_language(schema, ana, office):
    client = _api(ana)
    ids = {"debtor_id": office["diego"].pk, "debt_id": office["diego"].debts.first().pk}
    tried = 0
    for template, operations in schema["paths"].items():
        get = operations.get("get")
        if not get or "{" in template and not all(p in ids for p in re.findall(r"\{(\w+)\}", template)):
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] != "query":
                continue
            response = client.get(_path(template, ids), {parameter["name"]: "ab\x00c"})
            assert response.status_code == 400, (template, parameter["name"], response.status_code)
            body = response.json()
            assert body["code"] == "unstorable_characters" and SPANISH in body["errors"][parameter["name"]][0]
            tried += 1
    assert tried >= 20


def test_every_api_write_refuses_a_nul_or_a_lone_surrogate_in_each_field(schema, ana, office):
    client = _api(ana, language="en")
    diego = office["diego"]
    ids = {
        "debtor_id": diego.pk,
        "phone_id": diego.phones.first().pk,
        "promise_id": diego.promises.first().pk,
        "follow_up_id": factories.make_follow_up(debtor=diego, assigned_to=diego.assigned_to).pk,
        "saved_filter_id": SavedFilter.objects.create(name="Con saldo", query="with_balance=true").pk,
    }
    before = rows_in_every_table()
    tried = 0
    for template, operations in schema["paths"].items():
        for method in ("post", "patch", "put"):
            operation = operations.get(method)
            if not operation or "requestBody" not in operation:
                continue
            content = operation["requestBody"]["content"]
            media = "application/json" if "application/json" in content else next(iter(content))
            for field, _prop in _string_fields(schema, content[media]["schema"]):
                # A form body is UTF-8, which cannot carry a lone surrogate; JSON's escapes can.
                for bad in ("\x00", "\ud800") if media == "application/json" else ("\x00",):
                    path = _path(template, ids)
                    top, _, inner = field.partition(".")
                    value = {inner: f"x{bad}y"} if inner else f"x{bad}y"
                    if media == "application/json":
                        body = json.dumps({top: value})  # \u0000 and \ud800 escapes, as a client sends them
                        response = getattr(client, method)(path, body, content_type="application/json")
                    else:
                        data = {top: json.dumps(value) if isinstance(value, dict) else value}
                        data["file"] = SimpleUploadedFile("cartera.csv", b"codigo\n1001\n", "text/csv")
                        response = client.post(path, data)
                    assert response.status_code == 400, (method, template, field, repr(bad), response.content[:300])
                    errors = response.json()["errors"]
                    assert any(ENGLISH in message for messages in errors.values() for message in messages), (
                        template,
                        field,
                        errors,
                    )
                    tried += 1
    assert tried >= 30
    assert rows_in_every_table() == before


def test_an_import_mapping_with_an_escaped_nul_is_refused(ana, portfolio, office):
    """The reported case: a mapping sent as JSON text with `\\u0000` in a header name."""
    client = _api(ana)
    response = client.post(
        "/api/v1/imports/",
        {
            "file": SimpleUploadedFile("cartera.csv", b"Cod\x00igo,Nombre\n1001,Ana\n", "text/csv"),
            "kind": "portfolio",
            "portfolio": portfolio.pk,
            "mapping": '{"external_id": "Cod\\u0000igo"}',
        },
    )
    assert response.status_code == 400
    assert "mapping" in response.json()["errors"] or "mapping.external_id" in response.json()["errors"]
