"""The reports pages' content: the owner change, the rollups' links, the discipline page."""

import re

import pytest
from django.urls import reverse

from feedback.models import OwnershipChange
from feedback.summaries import summary_rebuild
from tests import factories
from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)
from tests.followups.conftest import answer_with_call, bulk_calls, figures_rebuild


def test_owner_change_ui(client, world):  # noqa: F811
    new_am = factories.AccountFactory(owner__full_name="Nils Ny", region=world.region).owner
    client.force_login(world.rm)
    url = reverse("reports:account_owner", args=[world.account.pk])
    assert url == f"/accounts/{world.account.pk}/owner/"
    assert "Nils Ny" in client.get(url).content.decode()
    assert client.post(url, {"new_owner": 999999}).status_code == 400
    response = client.post(url, {"new_owner": new_am.pk})
    assert response.status_code == 302 and response["Location"] == f"/accounts/{world.account.pk}/"
    assert OwnershipChange.objects.get().new_owner == new_am
    page = client.get(reverse("account_detail", args=[world.account.pk])).content.decode()
    assert "Nils Ny" in page and "Ownership changes" in page
    client.force_login(world.director)
    assert client.get(url).status_code == 403


def test_owner_change_offers_the_region_s_staff_only(client, world):  # noqa: F811
    former = factories.AccountFactory(owner__full_name="Ole Old", region=world.region, active=False).owner
    gone = factories.AccountFactory(owner__full_name="Gitte Gone", owner__is_active=False, region=world.region).owner
    for user in (world.rm, world.admin):
        client.force_login(user)
        field = client.get(reverse("reports:account_owner", args=[world.account.pk])).context["form"]["new_owner"]
        offered = {choice.instance for choice, _label in field.field.choices if choice}
        assert offered == {world.other_am, world.rm}, user
        assert not {world.far_am, world.far_rm, former, gone, world.director} & offered


def test_a_new_account_manager_with_no_account_yet_can_take_one(client, world):  # noqa: F811
    """New staff own nothing and so belong to no region yet: any region may hand them a first
    account. Once they own one, only that region's accounts may follow."""
    newcomer = factories.UserFactory(role="am", full_name="Nora Newcomer")
    client.force_login(world.rm)
    url = reverse("reports:account_owner", args=[world.account.pk])
    assert "Nora Newcomer" in client.get(url).content.decode()
    assert client.post(url, {"new_owner": newcomer.pk}).status_code == 302
    client.force_login(world.far_rm)
    far_url = reverse("reports:account_owner", args=[world.far_account.pk])
    field = client.get(far_url).context["form"]["new_owner"]
    assert newcomer not in {choice.instance for choice, _label in field.field.choices if choice}
    assert client.post(far_url, {"new_owner": newcomer.pk}).status_code == 400


def test_rollup_pages_link_every_figure_to_its_answers(client, world):  # noqa: F811
    client.force_login(world.director)
    body = client.get(reverse("reports:org_home")).content.decode()
    assert "Regions side by side" in body and world.far_region.name in body
    assert f"/answers/?owner={world.am.pk}&amp;period=12m&amp;suspect=no" in body
    assert f'href="/regions/{world.far_region.pk}/?period=12m"' in body
    assert "category=detractor" in body and "<svg" in body and "Trend as a table" in body
    region = client.get(reverse("reports:region_detail", args=[world.region.pk])).content.decode()
    assert world.far_account.name not in region


def _per_am_rows(html: str) -> dict:
    """{AM's name: their row's cells as text} of the per-AM table."""
    table = html.split('class="per-am"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r'<tr class="[^"]*">\s*<th scope="row">(.*?)</tr>', table, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.split(r"</t[hd]>", row)]
        rows[cells[0]] = cells[1:]
    return rows


def test_the_organisation_s_per_am_table_names_each_am_s_regions(client, world):  # noqa: F811
    # Fie also owns an account in the north: both her regions, by name.
    both = factories.AccountFactory(owner=world.far_am, region=world.region)
    factories.ResponseFactory(invitation__contact__account=both, score=9)
    summary_rebuild()
    client.force_login(world.director)
    html = client.get(reverse("reports:org_home")).content.decode()
    assert '<th scope="col">Region</th>' in html.split('class="per-am"', 1)[1].split("</thead>", 1)[0]
    rows = _per_am_rows(html)
    assert rows[str(world.am)][0] == rows[str(world.other_am)][0] == "North"
    assert rows[str(world.far_am)][0] == "North, South"
    client.force_login(world.rm)
    region = client.get(reverse("reports:region_home")).content.decode()
    assert '<th scope="col">Region</th>' not in region.split('class="per-am"', 1)[1].split("</thead>", 1)[0]


@pytest.fixture
def two_regions(am, director, account):
    """`am`'s account in North with one call; another AM's account in South with one."""
    south = factories.RegionFactory(name="South")
    other = factories.AccountFactory(owner=factories.UserFactory(role="am"), region=south)
    answer_with_call(account, score=2)
    answer_with_call(other, score=9)
    figures_rebuild()  # the answers were written by factories
    return {"other_am": other.owner}


def test_discipline_page_is_scoped(client, two_regions, director):
    client.force_login(two_regions["other_am"])
    page = client.get("/calls/discipline/")
    assert page.context["discipline"]["answers"] == 1
    client.force_login(director)
    page = client.get(reverse("reports:discipline"))
    assert page.context["discipline"]["answers"] == 2
    assert [region.name for region, _row in page.context["region_rows"]] == ["North", "South"]
    assert "Per region" in page.content.decode()


@pytest.mark.parametrize("n", [10, 1000])
def test_discipline_query_count_is_flat(client, director, account, max_queries, n):
    bulk_calls(account, n)
    figures_rebuild()
    client.force_login(director)
    with max_queries(23):
        assert client.get("/calls/discipline/").status_code == 200
