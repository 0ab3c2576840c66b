"""Drivers on the rollups (issue 12, item 5): on the organisation's and the region's pages,
the drill to one account manager and the account's page, each theme's answers by
category, its share with a 95% interval, the NPS of the answers that mention it against
the rest with the difference's interval, its share by month, and the two lists a manager
reads first. Every number links to the answers behind it, filtered by theme; below 10
answers a figure is too few; a scope's neighbours never show; the query count is flat."""

import ast
import math
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from feedback.drivers import account_drivers, rollup_drivers
from feedback.figures import Figures, nps_difference
from feedback.models import ResponseTheme, Theme
from feedback.response_themes import reasons_tag_all
from feedback.summaries import summary_rebuild
from tests import factories
from tests.feedback.conftest import world  # noqa: F401 (two regions, three AMs, answers in each)
from tests.feedback.test_query_counts import assert_flat

DELIVERY = "The delivery was late again"
PRICE = "Too expensive for what we get"
PRAISE = "Our account manager is great"


def answers(account, scores, reason):
    return [factories.ResponseFactory(invitation__contact__account=account, score=s, reason=reason) for s in scores]


@pytest.fixture
def tagged(world):  # noqa: F811
    """The north region's AM: 12 detractors about delivery, 4 about price, 11 promoters
    praising the account manager; a few answers elsewhere. Tagged, summaries rebuilt."""
    answers(world.account, [1, 2, 3, 4, 5, 6, 0, 2, 3, 4, 5, 6], DELIVERY)
    answers(world.account, [3, 4, 5, 2], PRICE)
    answers(world.account, [9, 10, 9, 10, 9, 10, 9, 10, 9, 10, 10], PRAISE)
    answers(world.account, [7, 8], "")
    answers(world.far_account, [2, 3], DELIVERY)
    reasons_tag_all()
    summary_rebuild()
    return world


def _theme(drivers, key):
    return next(d for d in drivers.rows if d.theme.key == key)


def test_the_figures_of_a_theme(tagged):
    drivers = rollup_drivers(tagged.rm, region=tagged.region, period="12m")
    delivery = _theme(drivers, "delivery")
    # world.response (a detractor, "Late deliveries") is in the region too.
    assert (delivery.mention.promoters, delivery.mention.passives, delivery.mention.detractors) == (0, 0, 13)
    total = drivers.total
    assert total.n == 12 + 4 + 11 + 2 + 2  # and world.response and world.other_response
    assert (delivery.share.count, delivery.share.n) == (13, total.n)
    low, high = delivery.share.interval
    assert low < 13 / total.n < high
    assert delivery.rest.n == total.n - 13 and delivery.rest.detractors == total.detractors - 13
    assert delivery.difference.delta == pytest.approx(-100 - delivery.rest.nps)
    se = math.hypot(delivery.mention.standard_error, delivery.rest.standard_error)
    assert delivery.difference.low == pytest.approx(delivery.difference.delta - 1.96 * se)
    assert delivery.difference.significant
    assert [d.theme.key for d in drivers.leave][:2] == ["delivery", "price"]
    assert [d.theme.key for d in drivers.stay] == ["relationship"]
    assert _theme(drivers, "relationship").promoter_share.count == 11
    this_month = timezone.localdate().replace(day=1)
    assert drivers.months[-1] == this_month
    assert delivery.trend[-1].mentions == 13 and delivery.trend[-1].answers == total.n


def test_a_difference_is_claimed_only_with_ten_answers_on_each_side():
    few = Figures(n=9, promoters=0, passives=0, detractors=9)
    many = Figures(n=40, promoters=30, passives=5, detractors=5)
    assert nps_difference(few, many).delta == -100 - 62.5
    assert not nps_difference(few, many).significant and not nps_difference(few, many).comparable
    assert nps_difference(Figures(), many).delta is None


def _links(html: str, key: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html) if f"theme={key}" in unescape(h)]


def test_the_region_page_shows_why_and_links_to_the_answers_of_a_theme(client, tagged):
    client.force_login(tagged.rm)
    page = client.get(reverse("reports:region_home"))
    html = page.content.decode()
    assert "Why detractors leave" in html and "Why promoters stay" in html
    leave = html[html.index('id="why-leave"'):html.index("</ol>", html.index('id="why-leave"'))]
    assert "Delivery" in leave and "13 of" in leave
    links = _links(leave, "delivery")
    assert links and all(f"region={tagged.region.pk}" in link and "category=detractor" in link for link in links)
    # Every count of the table links to the answers of the theme, of its category.
    table = html[html.index('class="stack drivers-table"'):]
    assert any("theme=price" in link and "category=detractor" in link for link in _links(table, "price"))
    assert "too few answers" in table  # price: 4 of the answers, its NPS too few


def test_below_ten_answers_a_share_is_too_few(client, world):  # noqa: F811
    answers(world.far_account, [1, 2], DELIVERY)
    reasons_tag_all()
    summary_rebuild()
    client.force_login(world.far_rm)
    html = client.get(reverse("reports:region_home")).content.decode()
    leave = html[html.index('<ol class="why">', html.index('id="why-leave"')):]
    leave = leave[:leave.index("</ol>")]
    assert "2 of 3" in leave and "too few answers" in leave and '<span class="share"><strong>' not in leave


def test_the_organisation_page_and_the_drill_to_one_account_manager(client, tagged):
    client.force_login(tagged.director)
    html = client.get(reverse("reports:org_home") + "?period=all").content.decode()
    assert "Why detractors leave" in html
    drill = f"{reverse('reports:drivers')}?owner={tagged.am.pk}&amp;period=all"
    assert drill in html  # the per-AM table's "why?"
    page = client.get(reverse("reports:drivers"), {"owner": tagged.am.pk, "region": tagged.region.pk, "period": "all"})
    assert page.status_code == 200
    drivers = page.context["drivers"]
    assert _theme(drivers, "delivery").mention.detractors == 13
    assert drivers.total.n == 12 + 4 + 11 + 2 + 1
    html = page.content.decode()
    assert all(f"owner={tagged.am.pk}" in link for link in _links(html, "delivery"))
    assert f"region={tagged.region.pk}&amp;owner={tagged.am.pk}&amp;period=3m" in html  # the periods keep the drill


def test_the_drill_answers_404_outside_the_scope(client, tagged):
    client.force_login(tagged.far_rm)
    url = reverse("reports:drivers")
    assert client.get(url, {"owner": tagged.am.pk}).status_code == 404
    assert client.get(url, {"region": tagged.region.pk}).status_code == 404
    assert client.get(url, {"owner": "x"}).status_code == 404
    assert client.get(url, {"period": "x"}).context["period"] == "12m"  # as on the rollup pages
    mine = client.get(url, {"region": tagged.far_region.pk, "owner": tagged.far_am.pk})
    assert mine.status_code == 200 and _theme(mine.context["drivers"], "delivery").mention.detractors == 2
    client.force_login(tagged.am)  # an AM sees their own customers' drivers
    own = client.get(url)
    assert own.status_code == 200 and _theme(own.context["drivers"], "delivery").mention.detractors == 13
    assert client.get(url, {"owner": tagged.far_am.pk}).status_code == 404


def test_the_account_page_counts_its_own_answers(client, tagged):
    drivers = account_drivers(tagged.account, period="12m")
    assert _theme(drivers, "delivery").mention.detractors == 13
    assert _theme(drivers, "relationship").mention.promoters == 11
    client.force_login(tagged.am)
    html = client.get(reverse("account_detail", kwargs={"pk": tagged.account.pk})).content.decode()
    assert "Why detractors leave" in html
    assert all(f"account={tagged.account.pk}" in link for link in _links(html, "delivery"))


def test_an_inactive_theme_is_not_shown(tagged):
    Theme.objects.filter(key="price").update(active=False)
    drivers = rollup_drivers(tagged.director, period="12m")
    assert "price" not in [d.theme.key for d in drivers.rows]


def test_the_pages_read_in_danish(client, tagged):
    client.force_login(tagged.rm)
    html = client.get(reverse("reports:region_home"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Hvorfor kritikerne går" in html and "Levering" in html


def tag_some(world):  # noqa: F811
    """Themes on a third of the answers (every theme in turn), counted."""
    themes = list(Theme.objects.all())
    from feedback.models import Response

    ResponseTheme.objects.bulk_create(
        [ResponseTheme(response_id=pk, theme=themes[pk % len(themes)], source="rules")
         for pk in Response.objects.values_list("pk", flat=True) if pk % 3 == 0],
        ignore_conflicts=True,
    )
    summary_rebuild()


PAGES = [
    ("am", "account_detail", lambda w: {"pk": w.account.pk}, ""),
    ("am", "reports:drivers", lambda w: {}, ""),
    ("rm", "reports:region_home", lambda w: {}, ""),
    ("rm", "reports:drivers", lambda w: {}, "?period=3m"),
    ("director", "reports:org_home", lambda w: {}, "?period=all"),
    ("director", "reports:drivers", lambda w: {}, "?owner={am}&region={region}"),
]


@pytest.mark.parametrize("role,name,kwargs,query", PAGES, ids=[f"{p[0]}-{p[1]}{p[3]}" for p in PAGES])
def test_query_count_is_flat(client, world, max_queries, role, name, kwargs, query):  # noqa: F811
    url = reverse(name, kwargs=kwargs(world)) + query.format(am=world.am.pk, region=world.region.pk)
    assert_flat(client, world, max_queries, getattr(world, role), url, more=tag_some)
    assert ResponseTheme.objects.count() > 300


@pytest.mark.parametrize("name", ["reports/_drivers.html", "followups/_root_causes_by_theme.html",
                                  "followups/_call_themes.html"])
def test_every_string_of_the_drivers_is_translated_to_danish(name):
    from tests.reports.test_change_translations import _messages

    messages = _messages(name)
    assert messages
    with translation.override("da"):
        assert [m for m in messages if translation.gettext(m) == m] == []


def test_every_string_of_the_drivers_tags_is_translated_to_danish():
    from pathlib import Path

    from django.conf import settings

    source = (Path(settings.BASE_DIR) / "reports" / "templatetags" / "pulse_drivers.py").read_text()
    messages = [ast.literal_eval(m) for m in re.findall(r'gettext\(("(?:[^"\\]|\\.)*")\)', source)]
    assert len(messages) >= 7
    with translation.override("da"):
        assert [m for m in messages if translation.gettext(m) == m] == []
