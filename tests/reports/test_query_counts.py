"""The reports pages' query counts stay flat with the data: the same ceiling for 10 and
1,000 answers (and their calls) in scope, with every period (the changes against the
previous period, the standings and each region's trend included)."""

import pytest
from django.urls import reverse

from followups.models import Call
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
