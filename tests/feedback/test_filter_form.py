"""The inbox finds an account by a part of its name, instead of a select of every account
the AM owns (hundreds of options in a large book, thousands in the largest): the answers
of the matching accounts only, a too long search reported and ignored, kept in the links
to the next page, and nothing else of the page read per account."""

from django.urls import reverse
from django.utils.html import escape

from feedback.answer_lists import PAGE_SIZE
from feedback.forms import ACCOUNT_NAME_MAX
from tests import factories


def _inbox(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("feedback:inbox"), params)
    assert response.status_code == 200
    return response


def test_the_inbox_searches_the_am_s_accounts_by_a_part_of_the_name(client, world):
    oster = factories.AccountFactory(owner=world.am, region=world.region, name="Østergaard & Co")
    theirs = factories.ResponseFactory(invitation__contact__account=oster, score=9)
    # Another AM's account of the same name stays out: the inbox is the AM's own accounts.
    other = factories.AccountFactory(owner=world.other_am, region=world.region, name="Østergaard Nord")
    factories.ResponseFactory(invitation__contact__account=other, score=9)

    page = _inbox(client, world.am)
    html = page.content.decode()
    assert '<input type="search" name="account_name"' in html and 'id="id_account"' not in html
    assert [r.pk for r in page.context["page"]["rows"]] == [theirs.pk]  # the detractor is pinned
    assert [r.pk for r in page.context["pinned"]] == [world.response.pk]

    for search in ("østergaard", "ØSTERGAARD", "gaard &"):
        page = _inbox(client, world.am, account_name=search)
        assert [r.pk for r in page.context["page"]["rows"]] == [theirs.pk] and page.context["pinned"] == []
        assert f'value="{escape(search)}"' in page.content.decode()  # the search stays in its field
    page = _inbox(client, world.am, account_name="Nordic")  # the world's account: Nordic Freight A/S
    assert page.context["page"]["rows"] == [] and [r.pk for r in page.context["pinned"]] == [world.response.pk]
    page = _inbox(client, world.am, account_name="nobody by that name")
    assert page.context["page"]["rows"] == [] and page.context["pinned"] == []


def test_a_search_too_long_is_reported_and_ignored(client, world):
    page = _inbox(client, world.am, account_name="x" * (ACCOUNT_NAME_MAX + 1))
    assert "Some filters were not understood and are ignored" in page.content.decode()
    assert [r.pk for r in page.context["pinned"]] == [world.response.pk]  # as without the search


def test_the_next_page_keeps_the_search(client, world):
    for _ in range(PAGE_SIZE + 1):
        factories.ResponseFactory(invitation__contact__account=world.account, score=9)
    page = _inbox(client, world.am, account_name="nordic")
    assert page.context["page"]["has_next"]
    assert "account_name=nordic" in page.content.decode()
