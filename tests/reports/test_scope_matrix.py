"""Scope of the reports pages as DESIGN §3, with the feedback tests' world and matrix:
every page x every role x own/other records; outside scope 404, inside never 404."""

import pytest
from django.urls import reverse

from tests import factories
from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)
from tests.feedback.test_scope_matrix import ROLES, _account, _region, check_scoped_url, role_user, visible

SCOPED_URLS = [
    ("account page", "get", lambda w, r: reverse("account_detail", args=[_account(w, r).pk]), {}),
    ("owner change", "get", lambda w, r: reverse("reports:account_owner", args=[_account(w, r).pk]), {}),
    ("owner change post", "post", lambda w, r: reverse("reports:account_owner", args=[_account(w, r).pk]), {}),
    ("region page", "get", lambda w, r: reverse("reports:region_detail", args=[_region(w, r).pk]), {}),
    ("region page, a period", "get",
     lambda w, r: reverse("reports:region_detail", args=[_region(w, r).pk]) + "?period=all", {}),
]


@pytest.mark.parametrize("record", ["north", "south"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("entry", SCOPED_URLS, ids=[e[0] for e in SCOPED_URLS])
def test_scope_matrix(client, world, entry, role, record):  # noqa: F811
    name, method, build, headers = entry
    kind = "region" if "region" in name else "account"
    check_scoped_url(client, world, role, record, method, build, headers, kind)


@pytest.mark.parametrize("role", ROLES)
def test_homes_answer_by_role(client, world, role):  # noqa: F811
    user = role_user(world, role)
    client.force_login(user)
    org = client.get(reverse("reports:org_home"))
    assert org.status_code == (200 if role in ("director", "admin") else 404)
    region = client.get(reverse("reports:region_home"))
    if role.startswith("am"):
        assert region.status_code == 404
    elif role.startswith("rm"):
        assert region.status_code == 200
        other = world.far_region if role == "rm_own_region" else world.region
        assert other.name not in region.content.decode()
    else:
        assert region.status_code == 302
    assert client.get(reverse("reports:discipline")).status_code == 200  # of their own scope


def test_a_handed_over_account_leaves_its_former_owner(client, world, django_capture_on_commit_callbacks):  # noqa: F811
    new_am = factories.AccountFactory(owner__full_name="Nina New", region=world.region).owner
    client.force_login(world.rm)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:account_owner", args=[world.account.pk]), {"new_owner": new_am.pk})
    client.force_login(world.am)
    assert client.get(reverse("account_detail", args=[world.account.pk])).status_code == 404
    assert client.get(reverse("response_detail", args=[world.response.pk])).status_code == 404
    client.force_login(new_am)
    assert client.get(reverse("account_detail", args=[world.account.pk])).status_code == 200
    assert client.get(reverse("response_detail", args=[world.response.pk])).status_code == 200


@pytest.mark.parametrize("record", ["north", "south"])
@pytest.mark.parametrize("role", ROLES)
def test_an_account_is_never_handed_to_another_region(client, world, role, record):  # noqa: F811
    """Whoever owns an account reads it: a hand-over across regions would widen the new
    owner's scope, so it is refused (outside the changer's scope: 404, as ever)."""
    from feedback.models import OwnershipChange

    account = _account(world, record)
    outsider = world.far_am if record == "north" else world.other_am
    client.force_login(role_user(world, role))
    response = client.post(reverse("reports:account_owner", args=[account.pk]), {"new_owner": outsider.pk})
    may_change = role == "admin" or (role, record) in {("rm_own_region", "north"), ("rm_other_region", "south")}
    if may_change:
        assert response.status_code == 400
        assert "Choose an account manager of this account&#x27;s region." in response.content.decode()
    else:
        assert response.status_code == (403 if visible(role, record) else 404)
    account.refresh_from_db()
    assert account.owner != outsider and not OwnershipChange.objects.exists()
    client.force_login(outsider)
    assert client.get(reverse("account_detail", args=[account.pk])).status_code == 404


def test_signed_out_is_sent_to_sign_in(client, world):  # noqa: F811
    for name, _method, build, _headers in SCOPED_URLS:
        assert client.get(build(world, "north")).status_code in (302, 405), name
    for name in ("reports:region_home", "reports:org_home", "reports:discipline"):
        assert client.get(reverse(name))["Location"].startswith("/signin/"), name
