"""The program page as an administrator, at 1366 px and on a 360 px phone: its groups, the
monthly figure following the frequency chosen, and the previews in both languages."""

import re

import pytest
from playwright.sync_api import expect

from feedback.models import Response
from surveys.models import Invitation, Program
from surveys.planning import monthly_slice_size
from tests.factories import ContactFactory
from tests.surveys.book import book_create

pytestmark = pytest.mark.browser


def _about(n: int):
    return re.compile(rf"About {n:,} contacts? a month")


@pytest.mark.parametrize("width", [1366, 360])
def test_admin_walks_the_program_page(page, sign_in, admin_user, account, am, region, width):
    page.set_viewport_size({"width": width, "height": 800})
    ContactFactory(account=account, name="Erik Berg", language="en")
    ContactFactory(account=account, name="Mette Dahl", language="da")
    book_create(sizes=[3] * 40, owner=am, region=region)
    twice, four_times = monthly_slice_size(frequency=2), monthly_slice_size(frequency=4)
    assert twice != four_times

    sign_in(admin_user)
    page.goto("/program/")
    expect(page.get_by_role("group", name="Who is asked and how often")).to_be_visible()
    expect(page.get_by_role("group", name="Sending")).to_be_visible()
    monthly = page.locator("#monthly")
    expect(monthly).to_contain_text(_about(twice))

    # The figure follows the choice before anything is saved.
    page.get_by_label("Times each contact is asked per year").select_option("4")
    expect(monthly).to_contain_text(_about(four_times))
    page.get_by_label("Times each contact is asked per year").select_option("2")
    expect(monthly).to_contain_text(_about(twice))
    assert Program.objects.count() == 0 or Program.current().frequency == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The invitation, in English then in Danish.
    page.get_by_role("link", name="Preview the invitation in English").click()
    expect(page.get_by_role("heading", name="Preview of the invitation")).to_be_visible()
    expect(page.get_by_text("Shown as Erik Berg of Nordic Freight A/S would see it")).to_be_visible()
    email = page.frame_locator("iframe.mail-preview")
    expect(email.get_by_text("How likely is it that you would recommend Acme to others?")).to_be_visible()
    page.get_by_role("link", name="Dansk").first.click()
    expect(page.get_by_text("Shown as Mette Dahl of Nordic Freight A/S would see it")).to_be_visible()
    expect(email.get_by_text("Hvor sandsynligt er det, at du vil anbefale Acme til andre?")).to_be_visible()
    # A score button opens the answer page's preview with that score chosen.
    email.get_by_role("link", name="9", exact=True).first.click()
    expect(page.get_by_role("heading", name="Preview of the answer page")).to_be_visible()
    answer = page.frame_locator("iframe.answer-preview")
    expect(answer.get_by_role("heading", name="Hej Mette, to hurtige spørgsmål")).to_be_visible()
    expect(answer.get_by_role("radio", name="9", exact=True)).to_be_checked()

    # The answer page in English, from the program page; its form sends nothing.
    page.goto("/program/")
    page.get_by_role("link", name="Preview the answer page in English").click()
    expect(answer.get_by_role("heading", name="Hello Erik, two quick questions")).to_be_visible()
    answer.locator("#score-10").check()
    answer.get_by_role("button", name="Send answer").click()
    # The frame may not send a form: the page in it stays as it was.
    expect(answer.get_by_role("heading", name="Hello Erik, two quick questions")).to_be_visible()
    expect(page.get_by_role("heading", name="Preview of the answer page")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert (Invitation.objects.count(), Response.objects.count()) == (0, 0)


def test_program_page_and_previews_pass_axe(page, sign_in, admin_user, account):
    from axe_playwright_python.sync_playwright import Axe

    ContactFactory(account=account, name="Erik Berg", language="en")
    sign_in(admin_user)
    for path in ("/program/", "/program/preview/invitation/en/", "/program/preview/invitation/da/",
                 "/program/preview/answer/en/", "/program/preview/answer/da/"):
        page.goto(path)
        results = Axe().run(page)
        assert results.violations_count == 0, (path, results.generate_report())
