"""An account manager corrects the themes the tagger gave a reason, on a laptop and on a
phone: in place (htmx), with controls a thumb can hit, and the answers list filtered by
the right theme then shows the answer."""

import re

import pytest
from playwright.sync_api import expect

from feedback.models import Theme
from feedback.response_themes import response_theme_keys, response_themes_tag
from feedback.theme_defaults import default_themes_create
from tests import factories

pytestmark = pytest.mark.browser

TOUCH = 44  # px: the smallest control a thumb hits reliably


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (page.url, overflow)


def _touch_sized(locator):
    for i in range(locator.count()):
        box = locator.nth(i).bounding_box()
        assert box and box["width"] >= TOUCH and box["height"] >= TOUCH, (locator, i, box)


@pytest.mark.parametrize("width", [1366, 360])
def test_am_removes_a_wrong_theme_and_adds_the_right_one(page, sign_in, am, account, width):
    default_themes_create(Theme)  # a browser test's database is emptied after each test
    contact = factories.ContactFactory(account=account, name="Carla Customer")
    answer = factories.ResponseFactory(invitation__contact=contact, score=3,
                                       reason="We waited three weeks for a reply about the broken machine")
    other = factories.ResponseFactory(invitation__contact__account=account, score=9, reason="Great prices")
    for response in (answer, other):
        response_themes_tag(response_id=response.pk)  # as the worker does after the answer is saved
    # "waited three weeks" reads as delivery to the tagger; it is support the customer waited for.
    assert response_theme_keys(answer.pk) == ["product", "delivery", "communication"]

    page.set_viewport_size({"width": width, "height": 800})
    sign_in(am)
    page.goto(f"/answers/{answer.pk}/")
    themes = page.get_by_role("list", name="Themes")
    expect(themes.get_by_role("listitem")).to_have_text([re.compile(r"^Product"), re.compile(r"^Delivery"),
                                                         re.compile(r"^Communication")])
    expect(themes.get_by_role("listitem").nth(1)).to_have_attribute("title", "Suggested")
    if width == 360:
        _touch_sized(page.locator(".themes button.theme-remove"))
        _touch_sized(page.locator(".themes .theme-add > summary"))
    _no_sideways_scroll(page)

    url = page.url
    page.get_by_role("button", name="Remove theme Delivery").click()
    expect(page.get_by_role("button", name="Remove theme Delivery")).to_have_count(0)
    page.get_by_text("Add a theme").click()
    if width == 360:
        _touch_sized(page.locator(".themes .theme-options button"))
        _no_sideways_scroll(page)
    page.get_by_role("button", name="Add theme Support").click()
    themes = page.get_by_role("list", name="Themes")
    expect(themes.get_by_role("listitem")).to_have_text([re.compile(r"^Product"), re.compile(r"^Support"),
                                                         re.compile(r"^Communication")])
    expect(themes.get_by_role("listitem").nth(1)).to_have_attribute("title", "Added by Anna Andersen")
    assert page.url == url  # in place: the page was not loaded again
    assert response_theme_keys(answer.pk) == ["product", "support", "communication"]
    _no_sideways_scroll(page)

    # The answers list, filtered by the right theme, shows the answer, and by the wrong one not.
    page.goto("/answers/")
    page.get_by_text("Filters").click()
    page.get_by_label("Theme", exact=True).select_option(label="Support")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"theme=support"))
    expect(page.locator("li.answer")).to_have_count(1)
    expect(page.locator(f"#answer-{answer.pk}")).to_contain_text("Carla Customer")
    _no_sideways_scroll(page)
    page.goto("/answers/?theme=delivery")
    expect(page.get_by_text("No answers match these filters.")).to_be_visible()

    # In the inbox the row shows the corrected themes, and one is removed there in place.
    page.goto("/inbox/")
    row = page.locator(f"#answer-{answer.pk}")
    expect(row.get_by_role("list", name="Themes")).to_contain_text("Support")
    if width == 360:
        _touch_sized(row.locator(".themes button.theme-remove"))
    _no_sideways_scroll(page)
    row.get_by_role("button", name="Remove theme Communication").click()
    expect(row.get_by_role("list", name="Themes").get_by_role("listitem")).to_have_count(2)
    assert page.url.endswith("/inbox/")
    assert response_theme_keys(answer.pk) == ["product", "support"]
