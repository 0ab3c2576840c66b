"""Every demo login printed by seed_demo signs in and lands on its home."""

from io import StringIO

import pytest
from playwright.sync_api import expect

from surveys.demo import demo_logins, seed_book
from surveys.models import User

pytestmark = pytest.mark.browser

HOMES = {"am": "/inbox/", "rm": "/region/", "director": "/organisation/", "admin": "/organisation/"}


def test_each_demo_role_signs_in_and_lands_on_its_home(page, transactional_db):
    seed_book(seed=7, stdout=StringIO())
    logins = demo_logins()
    seen_roles = set()
    for label, email in logins["users"]:
        user = User.objects.get(email=email)
        page.goto("/signin/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(logins["password"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**{HOMES[user.role]}")
        who = page.locator(".topbar .who").inner_text()
        assert user.full_name in who and user.get_role_display() in who, (label, who)
        if user.role == "admin":
            page.get_by_role("link", name="Settings", exact=True).click()
            page.get_by_role("link", name="Import customers").click()
            expect(page.get_by_role("heading", name="Import customers")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/signin/")
        seen_roles.add(user.role)
    assert seen_roles == set(HOMES)
