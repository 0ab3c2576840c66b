"""Scope of the REST API as DESIGN §3, with the feedback tests' world and roles: every
endpoint x every role (and a read-only key) x a record inside or outside the scope.
Outside: 404. Inside: never 404 (a write the role may not make is a 403).

Each request carries a real API key (Authorization: Bearer): one acting as the role's
member of staff, or a read-only one, which reads everything and writes nothing."""

import pytest
from rest_framework.test import APIClient

from followups.services import call_queue_for_response
from surveys.api_keys import api_key_create
from surveys.models import ApiKey
from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)
from tests.feedback.test_scope_matrix import ROLES, _account, _region, _response, role_user, visible

READ_ONLY_KEY = "read_only_key"


def _call(w, record):
    return w.calls[record]


# (name, method, build(world, record) -> path, body, kind of record)
ENDPOINTS = [
    ("answer", "get", lambda w, r: f"/api/v1/answers/{_response(w, r).pk}", None, "account"),
    ("answers of account", "get", lambda w, r: f"/api/v1/answers?account={_account(w, r).pk}", None, "account"),
    ("answers of owner", "get", lambda w, r: f"/api/v1/answers?owner={_account(w, r).owner_id}", None, "owner"),
    ("answers of region", "get", lambda w, r: f"/api/v1/answers?region={_region(w, r).pk}", None, "region"),
    ("call", "get", lambda w, r: f"/api/v1/calls/{_call(w, r).pk}", None, "account"),
    ("calls of owner", "get", lambda w, r: f"/api/v1/calls?owner={_account(w, r).owner_id}", None, "owner"),
    ("calls of region", "get", lambda w, r: f"/api/v1/calls?region={_region(w, r).pk}", None, "region"),
    ("call attempt", "post", lambda w, r: f"/api/v1/calls/{_call(w, r).pk}/attempts", {"outcome": "no_answer"},
     "account"),
    ("figures of account", "get", lambda w, r: f"/api/v1/figures?account={_account(w, r).pk}", None, "account"),
    ("figures of owner", "get", lambda w, r: f"/api/v1/figures?owner={_account(w, r).owner_id}", None, "owner"),
    ("figures of region", "get", lambda w, r: f"/api/v1/figures?region={_region(w, r).pk}", None, "region"),
]


@pytest.fixture
def called(world):  # noqa: F811
    world.calls = {
        "north": call_queue_for_response(response_id=world.response.pk),
        "south": call_queue_for_response(response_id=world.far_response.pk),
    }
    return world


def _client(w, role) -> APIClient:
    if role == READ_ONLY_KEY:
        _key, token = api_key_create(name="BI tool", scope=ApiKey.Scope.READ_ONLY, acts_as=None, by=w.admin)
    else:
        _key, token = api_key_create(name=f"CRM as {role}", scope=ApiKey.Scope.ACT_AS, acts_as=role_user(w, role),
                                     by=w.admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _visible(role, record, kind) -> bool:
    if role == READ_ONLY_KEY:
        return True
    # An owner filter is in scope for whoever reads that owner's account (an AM: their own).
    return visible(role, record, "account" if kind == "owner" else kind)


def _may_call(role, record) -> bool:
    """Who logs an attempt on a call they see: its account's owner, or an administrator."""
    return role == "admin" or (role, record) == ("am_own", "north")


@pytest.mark.parametrize("record", ["north", "south"])
@pytest.mark.parametrize("role", [*ROLES, READ_ONLY_KEY])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_scope_matrix(called, endpoint, role, record):
    name, method, build, body, kind = endpoint
    path = build(called, record)
    response = getattr(_client(called, role), method)(path, body, format="json")
    if not _visible(role, record, kind):
        assert response.status_code == 404, f"{role} reached {path} ({response.status_code}) outside scope"
    elif method == "post":
        assert response.status_code == (201 if _may_call(role, record) else 403), (role, path, response.content)
    else:
        assert response.status_code == 200, (role, path, response.status_code, response.content)


@pytest.mark.parametrize("role", [*ROLES, READ_ONLY_KEY])
@pytest.mark.parametrize("path", ["/api/v1/answers", "/api/v1/calls"])
def test_lists_hold_only_what_is_in_scope(called, role, path):
    results = _client(called, role).get(path).json()["results"]
    listed = {row["account"]["id"] for row in results}
    for record in ("north", "south"):
        assert (_account(called, record).pk in listed) == _visible(role, record, "account"), (role, record)


def test_signed_out_reaches_nothing(called):
    for _name, method, build, body, _kind in ENDPOINTS:
        response = getattr(APIClient(), method)(build(called, "north"), body, format="json")
        assert response.status_code in (401, 403)
