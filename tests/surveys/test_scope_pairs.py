"""The summary rows of a scope (surveys.selectors.pairs_in_scope) are exactly the
(owner, region) pairs of the scope's accounts: an AM with accounts in two regions is seen
by each region's RM for that region's accounts only; an RM's own accounts elsewhere too."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Account, OwnerMonthSummary, Role
from surveys.selectors import accounts_visible_to, pairs_in_scope
from tests.factories import AccountFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _pairs(accounts):
    rows = OwnerMonthSummary.objects.filter(pairs_in_scope(accounts))
    return set(rows.values_list("owner_id", "region_id"))


def test_the_rows_of_a_scope_are_the_pairs_of_its_accounts():
    north, south = RegionFactory(), RegionFactory()
    am, other = UserFactory(), UserFactory()
    rm_owner = north.manager
    for owner, region in [(am, north), (am, north), (am, south), (other, south), (rm_owner, south)]:
        AccountFactory(owner=owner, region=region)
    for owner_id, region_id in set(Account.objects.values_list("owner_id", "region_id")):
        OwnerMonthSummary.objects.create(owner_id=owner_id, region_id=region_id, level="manager",
                                         month="2026-11-01", promoters=1)
    director = UserFactory(role=Role.DIRECTOR)
    for user in (am, other, north.manager, south.manager, director):
        for accounts in (accounts_visible_to(user), accounts_visible_to(user).filter(region=south)):
            expected = set(accounts.values_list("owner_id", "region_id"))
            assert _pairs(accounts) == expected
    assert _pairs(accounts_visible_to(north.manager)) == {(am.pk, north.pk), (rm_owner.pk, south.pk)}
    assert _pairs(Account.objects.none()) == set()


def _pair_reads(queries) -> int:
    return sum("WITH RECURSIVE pair" in q["sql"] for q in queries)


def test_a_get_reads_the_pairs_of_its_scope_once(client, rm, region, account):
    """The region page reads a dozen summaries of one scope: the scope's pairs once (and
    once for the overdue calls' scope, another set of accounts)."""
    client.force_login(rm)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("reports:region_detail", args=[region.pk])).status_code == 200
    assert _pair_reads(queries.captured_queries) == 2


def test_outside_a_get_the_pairs_are_read_afresh(rm, region, account):
    """No answer is kept outside a GET: an account moved between two reads is seen moved."""
    newcomer = UserFactory()
    accounts = accounts_visible_to(rm)
    OwnerMonthSummary.objects.create(owner_id=newcomer.pk, region_id=region.pk, level="manager",
                                     month="2026-11-01", promoters=1)
    assert (newcomer.pk, region.pk) not in _pairs(accounts)
    AccountFactory(owner=newcomer, region=region)
    assert (newcomer.pk, region.pk) in _pairs(accounts)
