"""Scope as DESIGN §3: every URL of the app x every role x own/other records.

Outside scope: 404, on pages, htmx fragments, POSTs and exports alike. Inside scope:
never 404 (an action the role may not take is a 403). The apps above import
`check_scoped_url` and build their own matrix of their pages with this world
(tests/followups/test_response_page.py, tests/reports/test_scope_matrix.py).

An entry: (name, method, build, headers) where build(world, record) returns the path
for a record ("north": the account `am` owns in `rm`'s region, "south": an account in
another region, owned by another AM) and the kind of record it touches.
"""

import pytest
from django.urls import reverse

HX = {"HTTP_HX_REQUEST": "true"}


def _account(world, record):
    return world.account if record == "north" else world.far_account


def _response(world, record):
    return world.response if record == "north" else world.far_response


def _region(world, record):
    return world.region if record == "north" else world.far_region


SCOPED_URLS = [
    ("triage", "post", lambda w, r: reverse("feedback:response_triage", args=[_response(w, r).pk]), {}),
    ("triage fragment", "post", lambda w, r: reverse("feedback:response_triage", args=[_response(w, r).pk]), HX),
    ("themes", "post", lambda w, r: reverse("feedback:response_themes", args=[_response(w, r).pk]), {}),
    ("themes fragment", "post", lambda w, r: reverse("feedback:response_themes", args=[_response(w, r).pk]), HX),
    ("answers of theme", "get", lambda w, r: reverse("feedback:answers") + f"?account={_account(w, r).pk}&theme=price",
     {}),
    ("answers of account", "get", lambda w, r: reverse("feedback:answers") + f"?account={_account(w, r).pk}", {}),
    ("answers fragment", "get", lambda w, r: reverse("feedback:answers") + f"?account={_account(w, r).pk}",
     {**HX, "HTTP_HX_TARGET": "answers-list"}),
    ("answers of region", "get", lambda w, r: reverse("feedback:answers") + f"?region={_region(w, r).pk}", {}),
    ("answers of owner", "get", lambda w, r: reverse("feedback:answers") + f"?owner={_account(w, r).owner_id}", {}),
    ("export of account", "get", lambda w, r: reverse("feedback:answers_export") + f"?account={_account(w, r).pk}",
     {}),
    ("export of region", "get", lambda w, r: reverse("feedback:answers_export") + f"?region={_region(w, r).pk}", {}),
]

ROLES = ["am_own", "am_other", "rm_own_region", "rm_other_region", "director", "admin"]


def role_user(world, role):
    return {
        "am_own": world.am, "am_other": world.other_am, "rm_own_region": world.rm,
        "rm_other_region": world.far_rm, "director": world.director, "admin": world.admin,
    }[role]


def visible(role, record, kind="account"):
    """Who may read the north and south records (DESIGN §3)."""
    if role in ("director", "admin"):
        return True
    if kind == "region":
        return (role, record) in {("rm_own_region", "north"), ("rm_other_region", "south")}
    return (role, record) in {("am_own", "north"), ("rm_own_region", "north"), ("rm_other_region", "south")}


def check_scoped_url(client, world, role, record, method, build, headers, kind="account"):
    client.force_login(role_user(world, role))
    path = build(world, record)
    response = getattr(client, method)(path, **headers)
    if response.streaming:
        b"".join(response.streaming_content)
    if visible(role, record, kind):
        assert response.status_code != 404, f"{role} should reach {path}"
    else:
        assert response.status_code == 404, f"{role} reached {path} ({response.status_code}) outside scope"


@pytest.mark.parametrize("record", ["north", "south"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("entry", SCOPED_URLS, ids=[e[0] for e in SCOPED_URLS])
def test_scope_matrix(client, world, entry, role, record):
    name, method, build, headers = entry
    kind = "region" if "region" in name else "account"
    if name == "answers of owner" and role == "am_own" and record == "north":
        kind = "account"
    check_scoped_url(client, world, role, record, method, build, headers, kind)


LIST_PAGES = [
    reverse_args for reverse_args in [
        ("feedback:inbox", ""), ("feedback:answers", ""), ("feedback:answers_export", ""),
        ("feedback:answers", "?suspect=no&period=all"),
    ]
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", LIST_PAGES, ids=[p[0] + p[1] for p in LIST_PAGES])
def test_lists_show_only_what_is_in_scope(client, world, role, page):
    client.force_login(role_user(world, role))
    response = client.get(reverse(page[0]) + page[1])
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    body = body.decode()
    is_inbox = page[0] == "feedback:inbox"
    for record, contact in (("north", world.response.contact), ("south", world.far_response.contact)):
        owner_here = (role == "am_own" and record == "north")
        expected = owner_here if is_inbox else visible(role, record)
        assert (contact.name in body) == expected, (role, page, record)


def test_signed_out_is_sent_to_sign_in(client, world):
    for name, _method, build, _headers in SCOPED_URLS:
        response = client.get(build(world, "north"))
        assert response.status_code in (302, 405), name
