"""An RM reads what changed and whether it is real, and the trend with its band, on a
laptop and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.feedback.answers_in_months import a_clear_and_an_unclear_change

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("width", [1366, 360])
def test_rm_reads_a_significant_change_one_within_noise_and_the_trend(page, sign_in, rm, region, width):
    changes = a_clear_and_an_unclear_change(region)
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(rm)
    expect(page.get_by_role("heading", name="Region North")).to_be_visible()

    # The region's NPS rose from 10 to 35 over 250 answers each: significant, in words, and
    # a screen reader hears it with the figure (the arrow is hidden from it).
    tile = page.get_by_role("link", name=re.compile(r"^NPS 35 ± \d+ n=250 \+25 \(significant\)$"))
    expect(tile).to_be_visible()
    expect(page.locator(".headline .change-note")).to_contain_text("then NPS 10 ± 10, n=250")
    # What NPS means is one click away, beside the figure, without leaving the page.
    page.locator(".headline .tile").first.locator("details.definition > summary").click()
    expect(page.locator(".headline .tile").first.locator(".definition-text")).to_contain_text("promoters")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    table = page.locator("table.per-am")
    anna = table.get_by_role("row", name=re.compile("Anna Clear"))
    expect(anna).to_contain_text("+30 (significant)")
    expect(anna.locator(".change")).to_have_class(re.compile("significant"))
    otto = table.get_by_role("row", name=re.compile("Otto Unclear"))
    expect(otto).to_contain_text("+4, within noise")
    expect(otto.locator(".change")).to_have_class(re.compile("within"))
    expect(page.get_by_role("region", name="Per account manager")).to_contain_text("cannot be told apart")
    expect(otto.locator("svg.interval-bar rect.range")).to_be_visible()
    expect(otto).to_contain_text(re.compile(r"-?\d+ to \d+"))

    # The trend: a band around the line, the answers in a strip below -100, years named.
    chart = page.get_by_role("group", name=re.compile("NPS by month"))
    expect(chart).to_be_visible()
    band = chart.locator("polygon.band")
    expect(band).to_have_count(1)
    band_box = band.bounding_box()
    assert band_box["height"] > 5 and band_box["width"] > 10
    bottom_gridline = chart.locator("line.grid").nth(4).bounding_box()  # NPS -100
    bars = chart.locator("rect.bar")
    for i in range(bars.count()):
        box = bars.nth(i).bounding_box()
        if box and box["height"]:
            assert box["y"] > bottom_gridline["y"], "answers drawn inside the NPS scale"
    expect(chart.locator("text.month").last).to_contain_text(re.compile(r"20\d\d"))
    font_px = float(chart.locator("text.month").last.evaluate("e => getComputedStyle(e).fontSize").rstrip("px"))
    assert font_px >= 11  # readable on a phone, not scaled down with the chart
    minor = chart.locator("text.month.minor").first
    if width == 360:  # every other month label, so the labels do not run into each other
        expect(minor).to_be_hidden()
    else:
        expect(minor).to_be_visible()
    chart_box = chart.bounding_box()
    assert chart_box["x"] >= 0 and chart_box["x"] + chart_box["width"] <= width

    page.get_by_text("Trend as a table").first.click()
    month_rows = page.locator(".trend-table tbody tr")
    expect(month_rows.filter(has_text=re.compile(r"n=100")).first).to_contain_text(re.compile(r"\d+ to \d+"))
    expect(month_rows.first.locator("th")).to_have_text(re.compile(r"^[A-Z][a-z]{2} 20\d\d"))

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    # Anna's account: the same change on the account's own page.
    _am, account = changes["clear"]
    page.goto(f"/accounts/{account.pk}/")
    expect(page.get_by_role("link", name=re.compile(r"^NPS 40 ± \d+ n=200 \+30 \(significant\)$"))).to_be_visible()
    page.get_by_role("link", name="All time").click()
    expect(page.locator(".change-note")).to_contain_text("All time has no earlier period to compare with")
