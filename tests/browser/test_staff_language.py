"""Staff pages in the staff member's language: a Danish browser gets the sign-in page and
the inbox in Danish; an account manager who sets English on the notifications page gets
English from then on, whatever the browser says, at 1366 and 360 px."""

import pytest
from playwright.sync_api import expect

from surveys.models import User

pytestmark = pytest.mark.browser


@pytest.fixture
def danish_page(browser, live_server, settings):
    """A page of a browser set to Danish (Accept-Language: da-DK); fails on any
    Content-Security-Policy violation, as the `page` fixture does."""
    settings.SITE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url, locale="da-DK")
    context.set_default_timeout(10_000)
    violations = []
    context.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page = context.new_page()
    yield page
    context.close()
    assert not violations, "\n".join(violations)


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_danish_browser_then_english_chosen_on_the_notifications_page(danish_page, am, password):
    page = danish_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/signin/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", name="Log ind på Pulse")).to_be_visible()
    expect(page.get_by_role("link", name="Har du glemt din adgangskode?")).to_be_visible()
    page.get_by_label("E-mail").fill(am.email)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url("**/inbox/")
    expect(page.get_by_role("heading", name="Din indbakke")).to_be_visible()
    expect(page.get_by_text("Ingen svar endnu.")).to_be_visible()
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()

    page.get_by_role("link", name="Notifikationer").click()
    expect(page.get_by_role("heading", name="Notifikationsindstillinger")).to_be_visible()
    expect(page.get_by_role("radio", name="Det samme som min browser")).to_be_checked()
    page.get_by_role("radio", name="English").check()
    page.get_by_role("button", name="Gem").click()

    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Notification settings")).to_be_visible()
    expect(page.get_by_role("radio", name="English")).to_be_checked()
    assert User.objects.get(pk=am.pk).language == "en"

    for width in (1366, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/inbox/")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", name="Your inbox")).to_be_visible()
        expect(page.get_by_text("No answers yet.")).to_be_visible()
        no_sideways_scroll(page)
        page.get_by_role("link", name="Notifications").click()
        expect(page.get_by_role("heading", name="Notification settings")).to_be_visible()
        no_sideways_scroll(page)


def test_danish_chosen_in_an_english_browser(page, sign_in, am):
    sign_in(am)
    expect(page.get_by_role("heading", name="Your inbox")).to_be_visible()
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("radio", name="Dansk").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Dine notifikationsindstillinger er gemt.")).to_be_visible()
    for width in (1366, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/inbox/")
        expect(page.locator("html")).to_have_attribute("lang", "da")
        expect(page.get_by_role("heading", name="Din indbakke")).to_be_visible()
        no_sideways_scroll(page)
