"""An administrator makes an API key from the Settings tabs, copies it (shown once), sees
it work, and revokes it, at 1366 px and on a 360 px phone."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from surveys.models import ApiKey

pytestmark = pytest.mark.browser

FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _status(url: str, token: str) -> int:
    request = urllib.request.Request(url, data=json.dumps({"records": []}).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("width", [1366, 360])
def test_make_see_once_and_revoke_a_key(page, sign_in, admin_user, am, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(admin_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Pages of this section").get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API keys")
    expect(page.get_by_text("No keys yet.")).to_be_visible()

    page.get_by_label("Name").fill("CRM nightly sync")
    page.get_by_label("Acts as a member of staff").check()
    page.get_by_label("Acts as", exact=True).select_option(label=str(admin_user))
    page.get_by_role("button", name="Make the key").click()

    shown = page.locator("#new-key")
    expect(shown).to_contain_text("pulse_")
    token = shown.inner_text().strip()
    assert page.evaluate(FITS)
    key = ApiKey.objects.get()
    assert token.startswith(key.prefix) and key.secret_hash not in page.content()
    assert _status(page.base_url + "/api/v1/book/batches", token) == 400  # the key works (an empty batch)

    page.reload()  # shown once: not on the page again
    expect(page.locator("#new-key")).to_have_count(0)
    row = page.locator("tr", has_text="CRM nightly sync")
    expect(row).to_contain_text(key.prefix)
    expect(row).not_to_contain_text("never")  # its use shows

    row.get_by_role("button", name="Revoke CRM nightly sync").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.locator("tr", has_text="CRM nightly sync")).to_contain_text("Revoked")
    assert page.evaluate(FITS)
    assert _status(page.base_url + "/api/v1/book/batches", token) == 401


@pytest.mark.parametrize("width", [1366, 360])
def test_a_read_only_key_needs_nobody_to_act_as(page, sign_in, admin_user, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(admin_user)
    page.goto("/api-keys/")
    page.get_by_label("Name").fill("Reporting")
    page.get_by_label("Reads everything, as a director does").check()
    page.get_by_role("button", name="Make the key").click()
    expect(page.locator("#new-key")).to_contain_text("pulse_")
    expect(page.locator("tr", has_text="Reporting")).to_contain_text("Reads everything")
    assert page.evaluate(FITS)
