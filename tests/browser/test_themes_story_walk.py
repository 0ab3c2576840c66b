"""The why, from the customer's words to the regional manager's drill-down, in a real
browser: a detractor's reason arrives through the answer page and is tagged by the
worker's step; the account manager removes the wrong theme and adds the right one; the
regional manager opens "why detractors leave", follows the corrected theme and finds that
answer among the answers behind the figure."""

import re

import pytest
from playwright.sync_api import expect

from feedback.models import Response, Theme
from feedback.response_themes import reasons_tag_all, response_theme_keys
from feedback.summaries import summary_rebuild
from feedback.theme_defaults import default_themes_create
from feedback.themes import taxonomy_forget
from tests import factories
from tests.feedback.answer_support import answer_path, fast_password_hashing, fresh_rate_limits  # noqa: F401
from tests.polling import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_rate_limits", "fast_password_hashing")]

REASON = "We waited three weeks for a reply about the broken machine"


def _no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (page.url, overflow)


@pytest.mark.parametrize("width", [1366, 360])
def test_a_reason_is_tagged_corrected_and_found_by_the_rm(page, sign_in, am, rm, region, account, width):
    default_themes_create(Theme)  # a live server's test empties the tables, the migrated themes too
    taxonomy_forget()
    # Enough detractors in the region for the figures to be shown (below 10: too few).
    for score in [0, 1, 2, 3, 4, 5, 6, 2, 3, 4]:
        factories.ResponseFactory(invitation__contact__account=account, score=score,
                                  reason="Nobody at the service desk helps when the machine breaks")
    reasons_tag_all()
    summary_rebuild()  # the factory's answers bypass the services that keep the summaries
    invitation = factories.InvitationFactory(contact__account=account, contact__name="Carla Customer")
    page.set_viewport_size({"width": width, "height": 800})

    # The customer answers 2 with a reason, at a person's pace.
    page.goto(answer_path(invitation, score=2))
    page.get_by_label("What are the reasons behind your assessment?").fill(REASON)
    page.wait_for_timeout(600)  # a person reads before sending: the answer page's floor is 0.5 s
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    answer = Response.objects.get(invitation=invitation)

    # The worker's step tags it; "waited three weeks" reads as delivery to the machine.
    wait_for("the answer tagged", lambda: response_theme_keys(answer.pk), timeout=10)
    assert response_theme_keys(answer.pk) == ["product", "delivery", "communication"]

    # The AM removes the wrong theme and adds the right one, in place.
    sign_in(am)
    page.goto(f"/answers/{answer.pk}/")
    expect(page.get_by_text(REASON)).to_be_visible()
    page.get_by_role("button", name="Remove theme Delivery").click()
    expect(page.get_by_role("button", name="Remove theme Delivery")).to_have_count(0)
    page.get_by_text("Add a theme").click()
    page.get_by_role("button", name="Add theme Support").click()
    expect(page.get_by_role("list", name="Themes")).to_contain_text("Support")
    assert response_theme_keys(answer.pk) == ["product", "support", "communication"]
    _no_sideways_scroll(page)

    # The RM reads why detractors leave: the 11 detractors, support first with the corrected answer.
    page.context.clear_cookies()
    sign_in(rm)
    expect(page.get_by_role("heading", name="Region North")).to_be_visible()
    leave = page.get_by_role("group", name="Why detractors leave")
    expect(leave).to_contain_text("The themes most mentioned by the 11 detractors")
    support = leave.get_by_role("listitem").filter(has_text="Support")
    expect(support).to_contain_text("Support: 11 of 11")
    expect(leave).not_to_contain_text("Delivery")
    _no_sideways_scroll(page)
    support.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/answers/\?.*theme=support"))
    expect(page.locator(f"#answer-{answer.pk}")).to_contain_text("Carla Customer")
    expect(page.locator(f"#answer-{answer.pk}")).to_contain_text(REASON)
    expect(page.locator("li.answer")).to_have_count(11)
    _no_sideways_scroll(page)
