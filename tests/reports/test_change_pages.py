"""The rollup and account pages show each headline figure's change against the previous
period in words, mark it significant only when it is, and group the AMs and regions by
what can be told apart."""

import re

import pytest
from django.urls import reverse

from feedback.summaries import summary_rebuild
from tests import factories
from tests.feedback.answers_in_months import a_clear_and_an_unclear_change, answers_in_month


@pytest.fixture
def changes(rm, region):
    return a_clear_and_an_unclear_change(region)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _row(html: str, name: str) -> str:
    """The text of the table row whose header names `name`, tags removed."""
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S):
        if name in row:
            return _text(row)
    raise AssertionError(f"no row of {name}")


def test_the_rm_reads_a_significant_change_and_one_within_noise(client, rm, changes):
    client.force_login(rm)
    html = client.get(reverse("reports:region_home")).content.decode()
    anna = _row(html, "Anna Clear")
    assert "▲ +30 (significant)" in anna and "40" in anna and "n=200" in anna
    otto = _row(html, "Otto Unclear")
    assert "▲ +4, within noise" in otto
    # The region: 10 -> 34.8 over 250 answers each.
    headline = _text(html.split('class="card headline"', 1)[1].split("</section>", 1)[0])
    assert "▲ +25 (significant)" in headline
    assert "then NPS 10 ± 10, n=250" in headline
    assert "more than 1.96 times its standard error" in headline


def test_ams_are_grouped_by_what_can_be_told_apart(client, rm, region, changes):
    thin = factories.UserFactory(role="am", full_name="Tina Thin")
    answers_in_month(factories.AccountFactory(owner=thin, region=region), 1, promoters=3, detractors=1)
    summary_rebuild()
    client.force_login(rm)
    html = client.get(reverse("reports:region_home")).content.decode()
    table = html.split('class="per-am"', 1)[1].split("</table>", 1)[0]
    # Otto (14, n=50) against Anna and Tina (40, n=204): z = -1.99, clearly below. Anna
    # (40, n=200) against Otto and Tina (17, n=54): z = 1.83, not to be told apart. Tina: 4 answers.
    order = [m.group(1) for m in re.finditer(r'<tbody class="standing-(\w+)">', table)]
    assert order == ["below", "within", "thin"]
    assert table.index("Otto Unclear") < table.index("Anna Clear") < table.index("Tina Thin")
    assert "Clearly below the rest of the region" in table and "Too few answers to compare" in table
    assert "class=\"interval-bar\"" in table and re.search(r"\d+ to \d+", table)
    assert "against the rest of the region" in html  # the rule is stated


@pytest.mark.parametrize("period,says", [
    ("all", "All time has no earlier period to compare with"),
    ("3m", "no answers in the previous period"),
])
def test_all_time_and_an_empty_previous_period_say_why_there_is_no_change(client, rm, changes, period, says):
    client.force_login(rm)
    html = client.get(reverse("reports:region_home"), {"period": period}).content.decode()
    assert says in html and "(significant)" not in html


def test_the_director_sees_regions_grouped_and_each_regions_trend(client, director, region, changes):
    south = factories.RegionFactory(name="South")
    answers_in_month(factories.AccountFactory(region=south), 2, promoters=5, passives=30, detractors=65)
    summary_rebuild()
    client.force_login(director)
    html = client.get(reverse("reports:org_home")).content.decode()
    regions = html.split('aria-labelledby="regions-h"', 1)[1].split("</section>", 1)[0]
    assert "Clearly above the rest of the organisation" in regions and "Clearly below" in regions
    assert "no answers in the previous period" in _row(regions, "South")
    multiples = html.split('aria-labelledby="region-trends-h"', 1)[1].split("</section>", 1)[0]
    assert multiples.count('role="group"') == 2 and "North" in multiples and "South" in multiples
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # one chart's title is not another's


def test_the_account_page_shows_its_change(client, rm, changes):
    _am, account = changes["clear"]
    client.force_login(rm)
    html = client.get(reverse("account_detail", args=[account.pk])).content.decode()
    headline = _text(html.split('class="card headline"', 1)[1].split("</section>", 1)[0])
    assert "Last 12 months" in headline and "▲ +30 (significant)" in headline
    html = client.get(reverse("account_detail", args=[account.pk]), {"period": "all"}).content.decode()
    assert "All time has no earlier period" in html and "n=400" in html
    assert client.get(reverse("account_detail", args=[account.pk]), {"period": "5y"}).status_code == 200


def test_the_change_reads_in_danish(client, rm, changes):
    client.force_login(rm)
    html = client.get(reverse("reports:region_home"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "(signifikant)" in html and "inden for usikkerheden" in html
    assert "Hver kundeansvarlig over for resten af regionen" in html and "Klart under resten af regionen" in html
    assert "(95 % sikkerhed)" in html and ">Ændring</th>" in html and "95 %-interval" in html
    assert not re.search(r'(?:x|y|cx|cy|width|height)="-?\d+,\d', html)  # no decimal commas in the SVG
