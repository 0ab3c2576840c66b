"""The navigation walked per role: at a laptop's width the top bar is one row; on a phone
nothing scrolls sideways and every link of the bar and the tabs is a 44 px touch target."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ONE_ROW = """nav => new Set([...nav.querySelectorAll('li')].map(li => li.offsetTop)).size"""
SHORTEST = """els => Math.min(...els.map(e => e.getBoundingClientRect().height))"""


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == 360:
        assert page.locator(".topbar nav a, .tabs a").evaluate_all(SHORTEST) >= 44


@pytest.mark.parametrize("width", [1366, 360])
def test_the_administrator_finds_every_setting_under_settings(page, sign_in, admin_user, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(admin_user)
    main = page.get_by_role("navigation", name="Main")
    expect(main.get_by_role("link")).to_have_count(6)
    if width == 1366:
        assert main.evaluate(ONE_ROW) == 1
    _fits(page, width)
    main.get_by_role("link", name="Settings").click()
    tabs = page.get_by_role("navigation", name="Pages of this section")
    for tab, heading in [("Call settings", "Follow-up settings"), ("Import customers", "Import customers"),
                         ("Themes", "Themes"), ("Audit log", "Audit log"), ("API keys", "API keys"),
                         ("Webhooks", "Webhooks"),
                         ("Survey program", "Survey program")]:
        tabs.get_by_role("link", name=tab).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        expect(tabs.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")
        expect(main.get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")
        _fits(page, width)


@pytest.mark.parametrize("width", [1366, 360])
def test_the_regional_manager_moves_between_calls_and_waves(page, sign_in, rm, region, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(rm)
    main = page.get_by_role("navigation", name="Main")
    expect(main.get_by_role("link")).to_have_count(4)
    main.get_by_role("link", name="Calls").click()
    tabs = page.get_by_role("navigation", name="Pages of this section")
    tabs.get_by_role("link", name="Overdue calls").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdue calls")
    tabs.get_by_role("link", name="Follow-up discipline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up discipline")
    _fits(page, width)
    main.get_by_role("link", name="Waves").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waves")
    tabs.get_by_role("link", name="Next wave").click()
    expect(main.get_by_role("link", name="Waves")).to_have_attribute("aria-current", "page")
    _fits(page, width)


@pytest.mark.parametrize("width", [1366, 360])
def test_the_account_manager_has_four_items_and_notifications_by_the_name(page, sign_in, am, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(am)
    main = page.get_by_role("navigation", name="Main")
    expect(main.get_by_role("link")).to_have_count(4)
    _fits(page, width)
    page.locator(".topbar .who").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification settings")
    _fits(page, width)
