"""Walk of the next wave's page as an AM, at 1366 and 360 px: the reasons to hold a contact
out show on its row, and holding one out and putting it back happen in place: the page
stays where it was scrolled to."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.services import call_queue_for_response
from surveys import months
from surveys.models import Invitation, Wave
from tests.factories import ContactFactory, InvitationFactory, ResponseFactory
from tests.surveys.book import invitations_create

pytestmark = pytest.mark.browser


@pytest.fixture
def long_wave(account):
    """Erik answered a 4 twelve days ago and his call is open; 30 more contacts without a
    reason, enough for the page to scroll at either width."""
    erik = ContactFactory(account=account, name="Erik Berg")
    answered_at = timezone.now() - timedelta(days=12)
    response = ResponseFactory(invitation=InvitationFactory(contact=erik, account=account, sent_at=answered_at),
                               score=4, answered_at=answered_at)
    call = call_queue_for_response(response_id=response.pk)
    others = [ContactFactory(account=account, name=f"Contact {n:02d}") for n in range(30)]
    wave = Wave.objects.create(month=months.month_add(timezone.localdate().replace(day=1), 1))
    invitations_create(wave=wave, contacts=[erik, *others])
    return call


def _scroll_y(page) -> float:
    return page.evaluate("window.scrollY")


@pytest.mark.parametrize("width", [1366, 360])
def test_am_sees_reasons_and_holds_a_contact_in_place(page, sign_in, am, long_wave, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(am)
    page.goto("/waves/next/")
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("Erik Berg")  # a reason to hold: first
    expect(first.get_by_text("Answered 12 days ago (score 4)")).to_be_visible()
    due = long_wave.due_on
    expect(first.get_by_text(f"Open detractor call, due {due.day} {due:%b %Y}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # On a phone the rows stack: the table's own box does not scroll sideways either, so the
    # hold form sits under its contact.
    box = page.locator(".table-wrap").first
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth"), box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    hold = first.get_by_role("button", name="Hold Erik Berg out").bounding_box()
    assert hold["x"] + hold["width"] <= width, hold
    if width == 1366:
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()

    page.get_by_role("link", name="With a reason to hold (1)").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name="All (31)").click()
    expect(page.locator("tbody tr")).to_have_count(31)

    row = page.locator("tr", has_text="Contact 25")
    row.get_by_label("Reason to hold Contact 25 out").fill("Contract talk")
    hold = row.get_by_role("button", name="Hold Contact 25 out")
    assert "secondary" in hold.get_attribute("class")  # the hold is not the page's main action
    hold.scroll_into_view_if_needed()
    before, top = _scroll_y(page), row.bounding_box()["y"]
    assert before > 0
    hold.click()
    expect(row.get_by_text("Contact 25 is held out of this wave")).to_be_visible()
    expect(row.get_by_text("Contract talk")).to_be_visible()
    # The page did not jump: the row is where it was on the screen (the browser's scroll
    # anchoring may shift the scroll position by the rows growing above the anchor).
    assert abs(row.bounding_box()["y"] - top) <= 2, (top, row.bounding_box()["y"], before, _scroll_y(page))
    expect(row).to_be_in_viewport()
    expect(page.get_by_text("31 contacts, 1 held out")).to_be_attached()  # the count follows
    invitation = Invitation.objects.get(contact__name="Contact 25")
    assert (invitation.status, invitation.hold_reason, invitation.held_by) == ("held", "Contract talk", am)

    put_back = row.get_by_role("button", name="Put Contact 25 back in the wave")
    expect(put_back).to_be_focused()  # the keyboard stays on the row
    put_back.click()
    expect(row.get_by_text("Contact 25 is back in this wave")).to_be_visible()
    assert _scroll_y(page) == before
    expect(row).to_be_in_viewport()
    expect(page.get_by_text("31 contacts, 0 held out")).to_be_attached()
    invitation.refresh_from_db()
    assert invitation.status == "planned" and invitation.hold_reason == ""
