"""A triage in place (htmx) brings back, out of band, the counts it changed: the navigation's
new answers and the inbox's "Detractors to handle", exact and under the inbox's filters."""

import re

import pytest
from django.urls import reverse

from feedback import answer_lists
from feedback.models import OPEN_DETRACTOR, Response
from tests import factories
from tests.feedback.test_query_counts import add_answers

HTMX = {"HTTP_HX_REQUEST": "true"}


def _triage(client, response, state, next_="/inbox/", counts="pinned"):
    data = {"state": state, "next": next_}
    if counts:
        data["counts"] = counts
    reply = client.post(reverse("feedback:response_triage", args=[response.pk]), data, **HTMX)
    assert reply.status_code == 200
    return reply.content.decode()


def _oob(body, id_):
    """The text of the out-of-band element `id_`, or None when the reply does not carry it."""
    match = re.search(rf'<span id="{id_}"([^>]*)>(.*?)</span>(?:</span>)?', body, re.S)
    if match is None:
        return None
    assert 'hx-swap-oob="true"' in match.group(1)
    return re.sub(r"<[^>]+>", "", match.group(2)).strip()


def _new_count(user):
    return Response.objects.filter(account__owner=user, triage="new").count()


def _open_detractors(user, **extra):
    return Response.objects.filter(OPEN_DETRACTOR, account__owner=user, **extra).count()


@pytest.fixture
def detractors(world):
    """`world.response` (score 3, new) and three more of the AM's detractors, a promoter."""
    rows = [factories.ResponseFactory(invitation__contact__account=world.account, score=s) for s in (0, 5, 6)]
    factories.ResponseFactory(invitation__contact__account=world.account, score=10)
    return [world.response, *rows]


def test_handling_a_detractor_in_place_brings_both_counts_exact(client, world, detractors):
    client.force_login(world.am)
    page = client.get(reverse("feedback:inbox")).content.decode()
    assert re.search(r'<span id="pinned-count" class="count">4</span>', page)
    assert "hx-vals='{\"counts\": \"pinned\"}'" in page  # the page asks for the count back

    body = _triage(client, detractors[1], "handled")
    assert body.strip().startswith("<li") and f'id="answer-{detractors[1].pk}"' in body
    assert _oob(body, "pinned-count") == str(_open_detractors(world.am)) == "3"
    assert _oob(body, "nav-inbox-count") == str(_new_count(world.am)) == "4"

    # Seen is still to handle: only the navigation's new answers drop.
    body = _triage(client, detractors[2], "seen")
    assert _oob(body, "pinned-count") == str(_open_detractors(world.am)) == "3"
    assert _oob(body, "nav-inbox-count") == str(_new_count(world.am)) == "3"

    # Undone: marked new again, the detractor is to handle again and new again.
    body = _triage(client, detractors[1], "new")
    assert _oob(body, "pinned-count") == str(_open_detractors(world.am)) == "4"
    assert _oob(body, "nav-inbox-count") == str(_new_count(world.am)) == "4"


def test_the_last_new_answer_empties_the_badge(client, world, detractors):
    Response.objects.filter(account__owner=world.am).exclude(pk=world.response.pk).update(triage="handled")
    client.force_login(world.am)
    body = _triage(client, world.response, "handled")
    assert _oob(body, "nav-inbox-count") == ""
    assert _oob(body, "pinned-count") == "0"
    assert _new_count(world.am) == 0 and _open_detractors(world.am) == 0


def test_the_count_follows_the_inbox_filters(client, world, detractors):
    """Under "?level=executive" the section counts the executives' detractors only, as the
    page would after a reload."""
    client.force_login(world.am)
    here = reverse("feedback:inbox") + "?level=executive&category=detractor"
    page = client.get(here).content.decode()
    executives = _open_detractors(world.am, contact__level="executive")
    assert f'<span id="pinned-count" class="count">{executives}</span>' in page
    body = _triage(client, world.response, "handled", next_=here)
    assert _oob(body, "pinned-count") == str(_open_detractors(world.am, contact__level="executive"))
    assert _oob(body, "pinned-count") == str(executives - 1)
    # Bad filters in `next` are ignored, as the page ignores them: never an error.
    body = _triage(client, world.response, "new", next_=reverse("feedback:inbox") + "?level=boss&month=13-2026")
    assert _oob(body, "pinned-count") == str(_open_detractors(world.am))


def test_only_what_the_page_shows_comes_back(client, world, detractors):
    """No "Detractors to handle" on the page (none pinned, or a later page): the reply sends
    no count for it (htmx would report a missing target). An administrator has no inbox badge."""
    client.force_login(world.am)
    body = _triage(client, world.response, "handled", counts="")
    assert _oob(body, "pinned-count") is None
    assert _oob(body, "nav-inbox-count") == str(_new_count(world.am))

    Response.objects.filter(account__owner=world.am).update(triage="handled")
    page = client.get(reverse("feedback:inbox")).content.decode()
    assert 'id="pinned-count"' not in page and "hx-vals" not in page

    admin_account = factories.AccountFactory(owner=world.admin, region=world.region)
    theirs = factories.ResponseFactory(invitation__contact__account=admin_account, score=2)
    client.force_login(world.admin)
    body = _triage(client, theirs, "handled")
    assert _oob(body, "nav-inbox-count") is None
    assert _oob(body, "pinned-count") == "0"


def test_more_detractors_than_the_section_shows_are_counted_exactly(client, world, detractors, monkeypatch):
    monkeypatch.setattr(answer_lists, "PINNED_MAX", 2)
    client.force_login(world.am)
    page = client.get(reverse("feedback:inbox")).content.decode()
    assert '<span id="pinned-count" class="count">4</span>' in page
    assert page.count('class="answer cat-detractor') >= 2 and "More detractors wait" in page


def test_the_triage_reply_costs_the_same_queries_with_more_data(client, world, max_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.am)
    here = reverse("feedback:inbox") + "?category=detractor&level=executive"

    def reply(state):
        with CaptureQueriesContext(connection) as captured:
            body = _triage(client, world.response, state, next_=here)
        assert _oob(body, "pinned-count") is not None and _oob(body, "nav-inbox-count") is not None
        return len(captured.captured_queries)

    add_answers(world, 10)
    small = reply("handled")
    add_answers(world, 1000, seed=2)
    with max_queries(small):
        _triage(client, world.response, "new", next_=here)
    assert Response.objects.filter(account__owner=world.am).count() > 100
