"""Revenue from the customer file to the regional manager's page, in a real browser: the
administrator picks the currency and uploads a file with annual revenue; the regional
manager reads revenue coverage, revenue at risk, the revenue-weighted NPS and the
accounts at risk by revenue, at a laptop's and a phone's width."""

import pytest
from playwright.sync_api import expect

from feedback.summaries import summary_rebuild
from followups.services import call_queue_for_response
from surveys.book_import import book_csv
from surveys.models import Account, User
from tests import factories
from tests.browser.test_customer_import import assert_accessible
from tests.factories import PASSWORD
from tests.surveys.test_book_import import good_rows

pytestmark = pytest.mark.browser


def _file_with_revenue() -> bytes:
    """Two accounts in the Nordics (rikke.rm manages the region): ACC-1 with its revenue on
    its first row, ACC-3 with one of its own; and ACC-2 in DACH."""
    rows = good_rows()
    rows[0]["annual_revenue"], rows[1]["annual_revenue"], rows[2]["annual_revenue"] = "2400000", "", "999000"
    rows.append({**good_rows()[1], "account_id": "ACC-3", "account_name": "Fjord Foods ApS",
                 "contact_email": "mia@fjordfoods.dk", "contact_name": "Mia Munk", "annual_revenue": "600000.50"})
    return book_csv(rows)


@pytest.mark.parametrize("width", [1366, 360])
def test_rm_reads_the_revenue_figures_of_a_file_with_revenue(page, sign_in, admin_user, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(admin_user)
    page.goto("/program/")
    page.get_by_label("Currency of the accounts' annual revenue").select_option("DKK")
    page.get_by_role("button", name="Save program").click()
    expect(page.get_by_text("Survey program saved")).to_be_visible()

    page.goto("/book/import/")
    page.get_by_label("Customer file (CSV, UTF-8)").set_input_files(
        {"name": "customers.csv", "mimeType": "text/csv", "buffer": _file_with_revenue()})
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#revenue-summary")).to_have_text(
        "Annual revenue given for 3 of 3 accounts, in DKK (the survey program's currency); the others are not known.")

    # The customers answer: Nordic Freight's executive is a detractor nobody has called yet.
    nordic, fjord = Account.objects.get(external_id="ACC-1"), Account.objects.get(external_id="ACC-3")
    karen = nordic.contacts.get(email="karen@nordicfreight.dk")
    detractor = factories.ResponseFactory(invitation__contact=karen, score=3, reason="Late again")
    call_queue_for_response(response_id=detractor.pk)
    factories.ResponseFactory(invitation__contact=fjord.contacts.get(), score=10)
    summary_rebuild()
    rm = User.objects.get(email="rikke.rm@pulse.test")
    rm.set_password(PASSWORD)
    rm.save()

    page.context.clear_cookies()
    sign_in(rm)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Region Nordics")
    revenue = page.locator("section.revenue")
    expect(revenue.locator("#known-revenue")).to_contain_text("DKK\u00a03,000,001")
    expect(revenue.locator("#known-revenue")).to_contain_text("2 of 2 active accounts")
    expect(revenue.locator("#revenue-coverage")).to_contain_text("100%")
    expect(revenue.locator("#revenue-coverage")).to_contain_text("on target (80%)")
    expect(revenue.locator("#revenue-at-risk")).to_contain_text("DKK\u00a02,400,000")
    expect(revenue.locator("#revenue-at-risk")).to_contain_text("1 account, 80% of known revenue")
    # (2,400,000 × −100 + 600,000.50 × 100) / 3,000,000.50: the big unhappy customer weighs more.
    expect(revenue.locator("#weighted-nps")).to_contain_text("NPS -60")
    revenue.get_by_text("How the revenue figures are counted").click()
    expect(revenue.get_by_text("CustomerGauge's users aim at 80%")).to_be_visible()

    at_risk = page.locator("section.at-risk")
    first = at_risk.locator("table.at-risk-table tbody tr").first
    expect(first).to_contain_text("Nordic Freight A/S")
    expect(first).to_contain_text("DKK\u00a02,400,000")
    expect(first).to_contain_text("at risk")
    expect(first).to_contain_text("1 of 1")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert_accessible(page)

    first.get_by_role("link", name="Nordic Freight A/S").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nordic Freight A/S")
    expect(page.locator("#annual-revenue")).to_have_text("DKK\u00a02,400,000")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
