"""An RM reads the follow-up figures in a real browser, at a laptop's and a phone's width:
one overdue count on the region page, its box and the overdue page; a figure's "?" opens
its definition in place, with JavaScript and without; nothing scrolls the page sideways."""

import re

import pytest
from playwright.sync_api import expect

from feedback.summaries import summary_rebuild
from tests.reports.test_follow_up_figures import _call

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def book(account):
    _call(account, 2, due_in_days=-398, answered_days_ago=400, first_attempt_days_before_due=1,
          name="Yrsa Yearlate")
    _call(account, 7, due_in_days=-9, name="Paula Passive")
    _call(account, 9, due_in_days=-2, name="Pia Promoter")
    for _ in range(3):
        _call(account, 3, due_in_days=-1, state="reached", first_attempt_days_before_due=0)
    _call(account, 10, due_in_days=5, name="Nils Notdue")
    summary_rebuild()


def _no_sideways_scroll(page, where):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert overflow <= 0, (where, overflow, wide)


@pytest.mark.parametrize("width", [1366, 360])
def test_rm_reads_one_overdue_count_and_opens_definitions(page, sign_in, rm, region, book, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(rm)
    page.goto("/region/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Region North")
    box = page.locator("section.overdue-calls")
    expect(box.locator(".overdue-count")).to_contain_text(
        "3 calls open past their due date, 2 of them by more than 7 days")
    expect(box).to_contain_text(re.compile(r"due \d+ \w{3} \d{4}, 398 days late"))
    overdue_now = page.locator("li.overdue-now")
    expect(overdue_now.locator(".figure-value")).to_have_text("3")
    definition = overdue_now.locator("details.definition")
    expect(definition.locator(".definition-text")).to_be_hidden()
    definition.locator("summary").click()
    expect(definition.locator(".definition-text")).to_be_visible()
    expect(definition.locator(".definition-text")).to_contain_text("Open calls whose due date has passed")
    _no_sideways_scroll(page, "/region/ with a definition open")
    on_time = page.locator("li.on-time")
    expect(on_time).to_have_class(re.compile(r"\bdetractor\b"))  # a detractor waits a year: not green

    box.get_by_role("link", name="All overdue calls").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Overdue calls: North")
    expect(page.locator(".overdue-count")).to_contain_text("3 open calls past their due date in North")
    expect(page.locator("tbody tr")).to_have_count(3)
    _no_sideways_scroll(page, "/calls/overdue/")

    page.goto("/calls/discipline/")
    header = page.get_by_role("columnheader", name=re.compile("^Follow-up done"))
    header.locator("summary").click()
    expect(header.locator(".definition-text")).to_contain_text("Calls not due yet count as neither done nor missed")
    expect(page.locator(".followup-states")).to_contain_text("1 not due yet")
    _no_sideways_scroll(page, "/calls/discipline/")
    header.get_by_role("link", name="All definitions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What the figures mean")
    expect(page.locator("#followup_done")).to_be_in_viewport()
    _no_sideways_scroll(page, "/definitions/")


@pytest.mark.parametrize("width", [1366, 360])
def test_definitions_open_without_javascript(browser, live_server, rm, password, region, book, width):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB",
                                  viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto("/signin/")
        page.get_by_label("Email").fill(rm.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/calls/discipline/")
        done = page.locator("li.followup-done details.definition").first
        done.locator("summary").click()
        expect(done.locator(".definition-text")).to_be_visible()
        _no_sideways_scroll(page, "/calls/discipline/ without JavaScript")
    finally:
        context.close()
