"""Each role's day with the answers, in a real browser."""

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from feedback.summaries import summary_rebuild
from outbox.services import outbox_publish
from tests import factories

pytestmark = pytest.mark.browser


def _answers(account, scores, **extra):
    return [factories.ResponseFactory(invitation__contact__account=account, score=s, **extra) for s in scores]


def test_am_triages_a_new_detractor_from_the_alert_email(page, sign_in, am, account, smtp_server):
    contact = factories.ContactFactory(account=account, name="Carla Customer", level="executive")
    detractor = factories.ResponseFactory(invitation__contact=contact, score=2, reason="Late deliveries, again.")
    other = factories.ResponseFactory(invitation__contact__account=account, score=4, reason="Invoices wrong")
    _answers(account, [10, 8])
    with transaction.atomic():  # as the answer page does after saving
        outbox_publish("answer_saved", response_id=detractor.pk)
    [email] = smtp_server.wait_for(1)
    link = re.search(r"https?://\S+/answers/\d+/", email.get_body(("plain",)).get_content()).group(0)

    sign_in(am)
    expect(page.get_by_role("link", name=re.compile("Inbox"))).to_contain_text("4")  # new answers in the nav
    page.goto(link)
    expect(page.get_by_role("heading", name="Carla Customer at Nordic Freight A/S")).to_be_visible()
    expect(page.locator("blockquote.reason")).to_have_text("Late deliveries, again.")
    expect(page.locator("strong.state")).to_have_text("Seen")  # opening it marked it seen
    page.get_by_role("button", name="Mark handled").click()
    expect(page.locator("strong.state")).to_have_text("Handled")

    # Back in the inbox the other detractor is still pinned; handle it in place (htmx).
    page.goto("/inbox/")
    pinned = page.locator(".pinned li.answer")
    expect(pinned).to_have_count(1)
    row = page.locator(f"#answer-{other.pk}")
    url_before = page.url
    row.get_by_role("button", name=re.compile("Mark handled")).click()
    expect(page.locator(f"#answer-{other.pk}")).to_have_attribute("data-state", "handled")
    assert page.url == url_before
    # A handled row steps back by its tint, its text keeps full contrast (no fading).
    assert page.locator(f"#answer-{other.pk}").evaluate("e => getComputedStyle(e).opacity") == "1"


def test_inbox_filters_work(page, sign_in, am, account):
    _answers(account, [1, 9, 10])
    _answers(account, [7], reason="Slow web shop")
    sign_in(am)
    page.get_by_text("Filters").click()
    page.get_by_label("Category").select_option("passive")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("li.answer")).to_have_count(1)
    expect(page.locator("li.answer")).to_contain_text("Slow web shop")


@pytest.mark.parametrize("width", [1366, 360])
def test_am_finds_one_customer_s_answers_by_a_part_of_its_name(page, sign_in, am, region, account, width):
    oster = factories.AccountFactory(owner=am, region=region, name="Østergaard & Co")
    _answers(oster, [9], reason="Fast and friendly")
    _answers(account, [10, 2], reason="Nordic reasons")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(am)
    expect(page.locator("li.answer")).to_have_count(3)
    page.get_by_text("Filters").click()
    search = page.get_by_label("Account")
    search.fill("øster")
    search.press("Enter")
    expect(page.locator("li.answer")).to_have_count(1)
    expect(page.locator("li.answer")).to_contain_text("Fast and friendly")
    assert "account_name=" in page.url  # the search is in the address: a link to share, a page to go back to
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_rm_reads_the_region_and_drills_from_a_weak_am_to_the_answers(page, sign_in, rm, region, am, account):
    weak = factories.UserFactory(role="am", full_name="Walter Weak")
    weak_account = factories.AccountFactory(owner=weak, region=region, name="Grumpy Goods")
    _answers(weak_account, [0, 1, 2, 3, 4, 5, 6, 6, 8, 9, 2, 3], reason="Too slow")
    _answers(account, [9, 10, 10, 9, 8, 10, 9, 10, 10, 7])
    summary_rebuild()
    sign_in(rm)
    expect(page.get_by_role("heading", name="Region North")).to_be_visible()
    table = page.locator("table.per-am")
    expect(table.locator("tr.group-head").first).to_contain_text("Clearly below the rest of the region")
    first = table.locator("tbody tr:not(.group-head)").first
    expect(first).to_contain_text("Walter Weak")
    expect(first).to_have_class(re.compile("weak"))
    expect(page.locator(".headline")).to_contain_text("n=22")
    first.get_by_role("link", name="Walter Weak", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Answers"))).to_contain_text("Walter Weak")
    expect(page.locator("li.answer")).to_have_count(12)
    expect(page.locator(".figures-line")).to_contain_text("Detractors 10")


def test_director_compares_regions_and_drills_into_one(page, sign_in, director, region, account):
    south = factories.RegionFactory(name="South")
    south_account = factories.AccountFactory(region=south, name="Southern Steel")
    _answers(account, [10] * 12)
    _answers(south_account, [2] * 3)
    summary_rebuild()
    sign_in(director)
    expect(page.get_by_role("heading", name="Organisation")).to_be_visible()
    regions = page.get_by_role("region", name="Regions side by side")
    expect(regions.locator("tbody tr:not(.group-head)")).to_have_count(2)
    expect(regions.get_by_role("row", name=re.compile("North"))).to_contain_text("100")
    expect(regions.get_by_role("row", name=re.compile("South"))).to_contain_text("too few answers")
    expect(page.get_by_role("group", name="NPS by month", exact=True)).to_be_visible()
    for name in ("North", "South"):  # each region's trend side by side
        expect(page.get_by_role("group", name=f"NPS by month: {name}")).to_be_visible()
    regions.get_by_role("link", name="South").click()
    expect(page.get_by_role("heading", name="Region South")).to_be_visible()
    # Three detractors of three, with nobody else in the region to compare with and no calls
    # owed yet: the at-risk section says so rather than listing "too few answers".
    expect(page.locator(".at-risk")).to_contain_text("No account is at risk by these measures.")


def test_account_page_and_owner_change(page, sign_in, rm, account, am):
    factories.ContactFactory(account=account, name="Eve Executive", level="executive")
    manager = factories.ContactFactory(account=account, name="Max Manager", level="manager")
    factories.ResponseFactory(invitation__contact=manager, score=9, reason="Great")
    newbie = factories.UserFactory(role="am", full_name="Nina Ny")
    summary_rebuild()
    sign_in(rm)
    page.goto(f"/accounts/{account.pk}/")
    levels = page.locator("table.levels")
    expect(levels.get_by_role("row", name=re.compile("Eve Executive"))).to_contain_text("not answered")
    expect(levels.get_by_role("row", name=re.compile("Max Manager"))).to_contain_text("9")
    expect(levels.get_by_role("row", name=re.compile("Operational"))).to_contain_text("No contact at this level")
    page.get_by_role("link", name="Change owner").click()
    page.get_by_label("New owner").select_option(label="Nina Ny")
    page.get_by_role("button", name="Change owner").click()
    expect(page.get_by_role("status")).to_contain_text("now belongs to Nina Ny")
    expect(page.get_by_role("region", name="Ownership changes")).to_contain_text(f"{am} → {newbie}")


def test_notification_settings(page, sign_in, rm):
    sign_in(rm)
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_label("Weekly")).to_be_checked()
    page.get_by_label("Daily").check()
    page.get_by_label(re.compile("Email me at once")).uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.get_by_label("Daily")).to_be_checked()
    expect(page.get_by_label(re.compile("Email me at once"))).not_to_be_checked()


def test_rm_adds_a_note_in_place(page, sign_in, rm, account):
    answer = factories.ResponseFactory(invitation__contact__account=account, score=3, reason="Slow")
    sign_in(rm)
    page.goto(f"/answers/{answer.pk}/")
    expect(page.get_by_role("button", name="Mark handled")).to_have_count(0)  # RMs read, the owner triages
    page.get_by_label("Add a note").fill("Call me before you ring them.")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#notes ol.notes li")).to_have_count(1)
    expect(page.locator("#notes")).to_contain_text("Call me before you ring them.")
    expect(page.get_by_label("Add a note")).to_have_value("")


@pytest.mark.parametrize("who", ["am", "rm", "director"])
def test_pages_pass_axe(page, sign_in, who, request, am, rm, director, account):
    from axe_playwright_python.sync_playwright import Axe

    answer = factories.ResponseFactory(invitation__contact__account=account, score=2, reason="Slow")
    _answers(account, [9, 10, 7, 8, 10, 9, 6, 10, 9, 10])
    summary_rebuild()
    sign_in({"am": am, "rm": rm, "director": director}[who])
    paths = {
        "am": ["/inbox/", f"/answers/{answer.pk}/", f"/accounts/{account.pk}/", "/settings/notifications/"],
        "rm": ["/region/", "/answers/?suspect=no"],
        "director": ["/organisation/"],
    }[who]
    axe = Axe()
    for path in paths:
        page.goto(path)
        results = axe.run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, (path, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in serious])
