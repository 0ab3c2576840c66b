"""The summary rows of a scope (surveys.selectors.pairs_in_scope) are exactly the
(owner, region) pairs of the scope's accounts: an AM with accounts in two regions is seen
by each region's RM for that region's accounts only; an RM's own accounts elsewhere too."""

import pytest

from surveys.models import Account, OwnerMonthSummary, Role
from surveys.selectors import accounts_visible_to, pairs_in_scope
from tests.factories import AccountFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _pairs(accounts):
    rows = OwnerMonthSummary.objects.filter(pairs_in_scope(OwnerMonthSummary._meta.db_table, accounts))
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
