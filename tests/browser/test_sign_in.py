import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_am_signs_in_lands_on_inbox_and_signs_out(page, sign_in, am):
    page.goto("/")
    assert "/signin/" in page.url
    sign_in(am)
    assert page.url.endswith("/inbox/")
    expect(page.get_by_role("heading", name="Your inbox")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin/")
    page.goto("/inbox/")
    assert "/signin/" in page.url


def test_wrong_password_shows_a_clear_message(page, am):
    page.goto("/signin/")
    page.get_by_label("Email").fill(am.email)
    page.get_by_label("Password").fill("not-it")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
