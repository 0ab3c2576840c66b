"""The revenue figures and accounts at risk on the rollup and account pages: what the page
shows equals a direct count of the scope's answers and calls, and nobody sees the revenue
of accounts outside their scope."""

import re
from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone

from feedback.periods import rollup_since
from surveys.models import Account, Program
from surveys.templatetags.pulse_display import pct
from surveys.templatetags.pulse_money import money
from tests import factories
from tests.reports.revenue_book import (
    accounts_of,
    direct_at_risk,
    direct_coverage,
    direct_revenue_at_risk,
    direct_weighted_nps,
    revenue_book,
)


@pytest.fixture
def book(rm, am):
    return revenue_book(seed=4, rm=rm, am=am)


def tile(html: str, tile_id: str) -> str:
    """The text of a revenue tile, tags dropped, spaces collapsed."""
    block = html.split(f'id="{tile_id}">', 1)[1].split("</div>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", block).replace("\u00a0", " ").split())


def euros(amount: Decimal) -> str:
    return money(amount, "EUR").replace("\u00a0", " ")


def at_risk_names(html: str) -> list[str]:
    table = html.split('class="at-risk-table', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/accounts/\d+/">([^<]+)</a>', table)


def test_the_regional_managers_page_shows_the_figures_of_the_region(client, book):
    client.force_login(book.rm)
    html = client.get(reverse("reports:region_home")).content.decode()
    north = accounts_of(book, region=book.north) + [a for a in accounts_of(book) if a.owner_id == book.rm.pk]
    coverage = direct_coverage(north, timezone.now())
    weighted = direct_weighted_nps(north, rollup_since("12m"))
    risk_revenue, risk_accounts = direct_revenue_at_risk(north)

    nps, margin = floatformat(weighted["nps"], 0), floatformat(weighted["margin"], 0)
    assert f"{nps} ± {margin}" in tile(html, "weighted-nps")
    share = pct(float(coverage["heard"] / coverage["revenue"]))
    assert tile(html, "revenue-coverage").startswith(f"Revenue coverage, last 3 months {share}")
    assert f"{euros(coverage['heard'])} of {euros(coverage['revenue'])} heard from" in tile(html, "revenue-coverage")
    assert "80%" in tile(html, "revenue-coverage")
    assert tile(html, "revenue-at-risk").startswith(f"Revenue at risk {euros(risk_revenue)} {risk_accounts} account")
    assert tile(html, "known-revenue").startswith(f"Known annual revenue {euros(coverage['revenue'])}")
    assert "Revenue coverage by region" not in html  # one region: its row would repeat the tiles
    assert "Revenue coverage by account manager" in html and "How the revenue figures are counted" in html

    baseline = client.get(reverse("reports:region_home")).context["rollup"].figures.detractor_share
    expected = direct_at_risk(north, rollup_since("12m"), baseline)
    names = {a.pk: a.name for a in north}
    assert at_risk_names(html) == [names[e["account"]] for e in expected[:15]]


def test_nobody_sees_the_revenue_of_accounts_outside_their_scope(client, book):
    south = accounts_of(book, region=book.south)
    south_names = {a.name for a in south}
    client.force_login(book.rm)
    html = client.get(reverse("reports:region_home")).content.decode()
    assert not south_names & set(at_risk_names(html))
    assert client.get(reverse("reports:region_detail", args=[book.south.pk])).status_code == 404
    for account in south:
        assert client.get(reverse("account_detail", args=[account.pk])).status_code == 404

    north_am = book.ams[1]
    client.force_login(north_am)
    assert client.get(reverse("reports:region_home")).status_code == 404
    assert client.get(reverse("reports:org_home")).status_code == 404
    others = [a for a in accounts_of(book) if a.owner_id != north_am.pk]
    assert all(client.get(reverse("account_detail", args=[a.pk])).status_code == 404 for a in others)

    client.force_login(book.south_rm)
    page = client.get(reverse("reports:region_home"))
    total = page.context["revenue"]["coverage"].total
    assert total.revenue == direct_coverage(south, timezone.now())["revenue"]
    assert not {a.name for a in accounts_of(book, region=book.north)} & set(at_risk_names(page.content.decode()))


def test_the_director_sees_each_regions_coverage(client, book, director):
    client.force_login(director)
    page = client.get(reverse("reports:org_home"))
    html = page.content.decode()
    assert "Revenue coverage by region" in html
    rows = {region.name: c for region, c in page.context["revenue"]["coverage"].by_region}
    now = timezone.now()
    for region in (book.north, book.south):
        assert rows[region.name].heard == direct_coverage(accounts_of(book, region=region), now)["heard"]
    assert page.context["revenue"]["at_risk"].revenue == direct_revenue_at_risk(accounts_of(book))[0]


def test_the_account_page_shows_the_revenue_in_the_programs_currency(client, am, account):
    client.force_login(am)
    url = reverse("account_detail", args=[account.pk])
    assert re.search(r'id="annual-revenue">not known<', client.get(url).content.decode())
    Account.objects.filter(pk=account.pk).update(annual_revenue=Decimal("1250000.40"))
    Program.objects.create(currency="DKK")
    assert 'id="annual-revenue">DKK\u00a01,250,000<' in client.get(url).content.decode()


def test_without_any_revenue_the_page_says_how_to_get_the_figures(client, rm, am, account):
    factories.ResponseFactory(invitation__contact__account=account, score=2)
    client.force_login(rm)
    page = client.get(reverse("reports:region_home"))
    html = page.content.decode()
    assert "Add an annual_revenue column to the customer file" in html
    assert 'id="weighted-nps"' not in html and page.context["revenue"]["weighted"] is None


def test_bad_period_and_scope_never_fail(client, book, director):
    client.force_login(director)
    assert client.get(reverse("reports:org_home") + "?period=nonsense").status_code == 200
    assert client.get(reverse("reports:region_detail", args=[999999])).status_code == 404


def test_the_revenue_section_speaks_danish(client, book):
    client.force_login(book.rm)
    html = client.get(reverse("reports:region_home"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Omsætning i risiko" in html and "Omsætningsdækning, seneste 3 måneder" in html
    assert "Kunder i risiko" in html and "Sådan tælles omsætningstallene" in html
