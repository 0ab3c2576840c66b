"""The reports pages' query counts stay flat with the data: the same ceiling for 10 and
1,000 answers (and their calls) in scope, with every period (the changes against the
previous period, the standings and each region's trend included)."""

import pytest
from django.db.models import F
from django.urls import reverse

from followups.models import Call
from surveys.models import Account
from surveys.tallies_rebuild import revenues_rebuild
from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)
from tests.feedback.test_query_counts import assert_flat
from tests.followups.conftest import calls_for_every_answer

PAGES = [
    ("am", "account_detail", lambda w: {"pk": w.account.pk}, ""),
    ("am", "account_detail", lambda w: {"pk": w.account.pk}, "?period=3m"),
    ("am", "account_detail", lambda w: {"pk": w.account.pk}, "?period=all"),
    ("rm", "reports:region_home", lambda w: {}, ""),
    ("rm", "reports:region_home", lambda w: {}, "?period=3m"),
    ("rm", "reports:account_owner", lambda w: {"pk": w.account.pk}, ""),
    ("rm", "reports:discipline", lambda w: {}, ""),
    ("director", "reports:org_home", lambda w: {}, ""),
    ("director", "reports:org_home", lambda w: {}, "?period=all"),
    ("director", "reports:org_home", lambda w: {}, "?period=3m"),
    ("director", "reports:region_detail", lambda w: {"pk": w.far_region.pk}, ""),
    ("director", "reports:discipline", lambda w: {}, ""),
    ("admin", "reports:org_home", lambda w: {}, ""),
]


@pytest.mark.parametrize("role,name,kwargs,query", PAGES, ids=[f"{p[0]}-{p[1]}{p[3]}" for p in PAGES])
def test_query_count_is_flat(client, world, max_queries, role, name, kwargs, query):  # noqa: F811
    url = reverse(name, kwargs=kwargs(world)) + query
    assert_flat(client, world, max_queries, getattr(world, role), url, more=lambda _world: calls_for_every_answer())
    assert Call.objects.count() > 900


def calls_and_revenue(_world):
    """Every answer with its call, and every account with a revenue: all of the revenue
    section and the accounts at risk are read."""
    calls_for_every_answer()
    Account.objects.filter(annual_revenue__isnull=True).update(annual_revenue=F("pk") * 1000 + 500)
    revenues_rebuild()  # the revenue sums, as an import giving the revenue keeps them


REVENUE_PAGES = [
    ("am", "account_detail", lambda w: {"pk": w.account.pk}, ""),
    ("rm", "reports:region_home", lambda w: {}, ""),
    ("director", "reports:org_home", lambda w: {}, "?period=3m"),
    ("director", "reports:region_detail", lambda w: {"pk": w.region.pk}, "?period=all"),
]


@pytest.mark.parametrize("role,name,kwargs,query", REVENUE_PAGES, ids=[f"{p[0]}-{p[1]}{p[3]}" for p in REVENUE_PAGES])
def test_query_count_is_flat_with_revenue(client, world, max_queries, role, name, kwargs, query):  # noqa: F811
    url = reverse(name, kwargs=kwargs(world)) + query
    assert_flat(client, world, max_queries, getattr(world, role), url, more=calls_and_revenue)
    assert not Account.objects.filter(annual_revenue__isnull=True).exists()
    if name != "account_detail":
        client.force_login(getattr(world, role))
        page = client.get(url)
        assert page.context["revenue"]["weighted"].accounts > 0 and page.context["at_risk"].rows
