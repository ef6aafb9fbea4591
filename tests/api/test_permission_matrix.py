"""Every endpoint × every role: the API reaches exactly what the pages reach.

Diego is carla's debtor (team Lima, led by sofia). Carlos is in carla's team but does
not hold diego; pablo leads another team; ana is an admin. Anyone outside the scope
gets 404 (never 403), anonymous callers get 401.
"""

from decimal import Decimal

import pytest
import time_machine

from calls.models import FollowUp
from tests import factories
from tests.api.conftest import WEDNESDAY

ROLES = ["anonymous", "carla", "carlos", "sofia", "pablo", "ana"]
REACHES_DIEGO = {"carla", "sofia", "ana"}


@pytest.fixture
def world(carla, carlos, sofia, pablo, ana, cris, diego, mateo, unassigned):
    with time_machine.travel(WEDNESDAY, tick=False):
        factories.make_debt(debtor=unassigned)
        return {
            "users": {"carla": carla, "carlos": carlos, "sofia": sofia, "pablo": pablo, "ana": ana, "anonymous": None},
            "diego": diego,
            "phone": diego.phones.get(),
            "debt": diego.debts.get(),
            "promise": factories.make_promise(debtor=diego, collector=carla),
            "follow_up": factories.make_follow_up(debtor=diego, assigned_to=carla),
            "mateo": mateo,
            "unassigned": unassigned,
            "mateo_follow_up": factories.make_follow_up(debtor=mateo, assigned_to=cris),
            "calls": [factories.make_call(debtor=d, collector=carla) for d in (diego, mateo, unassigned)],
            "promises": [factories.make_promise(debtor=d, collector=carla) for d in (mateo, unassigned)],
        }


# (name, method, path, body, status when in scope); paths are filled from the world.
OBJECT_ENDPOINTS = [
    ("debtor detail", "get", "/api/v1/debtors/{diego}/", None, 200),
    ("debtor holds", "patch", "/api/v1/debtors/{diego}/", {"hold_dispute": True}, 200),
    ("phone add", "post", "/api/v1/debtors/{diego}/phones/", {"number": "987 111 222"}, 201),
    ("phone update", "patch", "/api/v1/debtors/{diego}/phones/{phone}/", {"status": "valid"}, 200),
    ("contact verdict", "get", "/api/v1/debtors/{diego}/contact-verdict/?channel=voice", None, 200),
    ("debt detail", "get", "/api/v1/debts/{debt}/", None, 200),
    ("log a call", "post", "/api/v1/calls/", {"debtor": "{diego}", "phone": "{phone}", "outcome": "no_answer"}, 201),
    (
        "make a promise",
        "post",
        "/api/v1/promises/",
        {"debtor": "{diego}", "amount": "50.00", "due_date": "2026-11-30"},
        201,
    ),
    ("cancel a promise", "post", "/api/v1/promises/{promise}/cancel/", {}, 200),
    ("complete a follow-up", "post", "/api/v1/follow-ups/{follow_up}/complete/", {"note": "Pagó en ventanilla"}, 200),
    (
        "move a follow-up",
        "post",
        "/api/v1/follow-ups/{follow_up}/move/",
        {"due_at": "2026-11-19T10:00:00-05:00", "note": "Pidió que lo llamen mañana"},
        200,
    ),
    (
        "record a payment",
        "post",
        "/api/v1/payments/",
        {"debtor": "{diego}", "amount": "10.00", "paid_at": "2026-11-18T09:00:00-05:00", "reference": "M-1"},
        201,
    ),
]


def _fill(value, ids):
    if isinstance(value, str):
        return int(value.format(**ids)) if value.startswith("{") and value.endswith("}") else value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _expected(role: str, name: str, in_scope_status: int) -> int:
    if role == "anonymous":
        return 401
    if role not in REACHES_DIEGO:
        return 404
    if name == "record a payment" and role == "carla":
        return 404  # collectors do not record payments
    return in_scope_status


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,method,path,body,in_scope", OBJECT_ENDPOINTS, ids=[e[0] for e in OBJECT_ENDPOINTS])
def test_object_endpoints_answer_only_within_scope(world, client_for, role, name, method, path, body, in_scope):
    ids = {key: world[key].pk for key in ("diego", "phone", "debt", "promise", "follow_up")}
    client = client_for(world["users"][role])
    with time_machine.travel(WEDNESDAY, tick=False):
        response = getattr(client, method)(_fill(path, ids), _fill(body, ids), format="json")
    assert response.status_code == _expected(role, name, in_scope), response.content
    if response.status_code == 404:
        assert response.json() == {"detail": response.json()["detail"], "code": "not_found"}


LIST_ENDPOINTS = ["/api/v1/debtors/", "/api/v1/debts/", "/api/v1/calls/", "/api/v1/promises/"]
VISIBLE_DEBTORS = {
    "carla": {"diego"},
    "carlos": set(),
    "sofia": {"diego"},
    "pablo": {"mateo"},
    "ana": {"diego", "mateo", "unassigned"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", LIST_ENDPOINTS)
def test_lists_show_exactly_the_debtors_in_scope(world, client_for, role, path):
    response = client_for(world["users"][role]).get(path)
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    names = {key: world[key].pk for key in ("diego", "mateo", "unassigned")}
    seen = {row["id"] if path == "/api/v1/debtors/" else row["debtor"] for row in response.json()["results"]}
    assert seen == {names[name] for name in VISIBLE_DEBTORS[role]}


@pytest.mark.parametrize("role", ROLES)
def test_follow_ups_list_only_my_own(world, client_for, role):
    response = client_for(world["users"][role]).get("/api/v1/follow-ups/")
    if role == "anonymous":
        assert response.status_code == 401
        return
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == ({world["follow_up"].pk} if role == "carla" else set())


def test_a_supervisor_reaches_a_team_members_follow_up_but_not_another_teams(world, client_for, sofia, pablo):
    follow_up = world["follow_up"]
    body = {"note": "Ya pagó"}
    assert (
        client_for(pablo).post(f"/api/v1/follow-ups/{follow_up.pk}/complete/", body, format="json").status_code == 404
    )
    assert (
        client_for(sofia).post(f"/api/v1/follow-ups/{follow_up.pk}/complete/", body, format="json").status_code == 200
    )
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.DONE


def test_writes_outside_scope_change_nothing(world, client_for, carlos):
    diego = world["diego"]
    client = client_for(carlos)
    client.patch(f"/api/v1/debtors/{diego.pk}/", {"hold_dispute": True}, format="json")
    client.post(f"/api/v1/promises/{world['promise'].pk}/cancel/", {}, format="json")
    diego.refresh_from_db()
    world["promise"].refresh_from_db()
    assert diego.hold_dispute is False and world["promise"].status == "pending"
    assert diego.promises.filter(amount=Decimal("50.00")).count() == 0
