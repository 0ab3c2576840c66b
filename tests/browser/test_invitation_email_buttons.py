"""The invitation email's score buttons as a customer's phone and desktop show them:
the HTML part, rendered in Chromium at 360 px (a phone) and 600 px (the email's width).
Every button is a touch target of at least 44x44 px; on a phone they wrap onto two rows,
at 600 px they stand in one; nothing scrolls sideways."""

import pytest

from surveys.invitation_email import invitation_email
from surveys.models import Program
from tests.factories import ContactFactory, InvitationFactory

pytestmark = pytest.mark.browser

MIN_TARGET = 44


def email_html(account, language: str) -> str:
    invitation = InvitationFactory(contact=ContactFactory(account=account, name="Karen Kjær", language=language))
    return invitation_email(invitation, program=Program.current()).alternatives[0][0]


def score_buttons(page) -> list[dict]:
    """The bounding boxes of the eleven score links, in score order."""
    links = page.locator("a[href*='?score=']")
    assert links.count() == 11
    boxes = [links.nth(n).bounding_box() for n in range(11)]
    assert [links.nth(n).inner_text() for n in range(11)] == [str(n) for n in range(11)]
    return boxes


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize(("width", "rows"), [(360, 2), (600, 1)])
def test_every_score_button_is_a_44px_touch_target(browser, account, language, width, rows):
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.set_content(email_html(account, language))
        boxes = score_buttons(page)
        for score, box in enumerate(boxes):
            assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, (width, score, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, score, box)
        assert len({round(box["y"]) for box in boxes}) == rows, [box["y"] for box in boxes]
        # In order, left to right and top to bottom, and no two overlap.
        for before, after in zip(boxes, boxes[1:], strict=False):
            assert (after["y"] > before["y"]) or (after["x"] >= before["x"] + before["width"]), (before, after)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        legend = page.get_by_text("0 = not at all likely, 10 = extremely likely." if language == "en"
                                  else "0 = slet ikke sandsynligt, 10 = meget sandsynligt.")
        assert legend.bounding_box()["y"] > boxes[-1]["y"] + boxes[-1]["height"]  # under the buttons
    finally:
        context.close()
