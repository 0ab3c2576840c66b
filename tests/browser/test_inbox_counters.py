"""An AM triages detractors in place in the inbox: "Detractors to handle" and the
navigation's count of new answers follow each click, without a reload, at 1366 px and on a
360 px phone; undoing a triage puts them back."""

import re

import pytest
from playwright.sync_api import expect

from feedback.models import OPEN_DETRACTOR, Response
from tests import factories

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1366, 360])
def test_am_handles_a_detractor_in_place_and_the_counts_drop(page, sign_in, am, account, width):
    names = ["Dina Dahl", "Erik Enger", "Frey Falk"]
    late, slow, rude = (
        factories.ResponseFactory(invitation__contact=factories.ContactFactory(account=account, name=name), score=score)
        for name, score in zip(names, [2, 4, 6], strict=True)
    )
    factories.ResponseFactory(invitation__contact__account=account, score=10)  # new, not pinned
    factories.ResponseFactory(invitation__contact__account=account, score=1, triage="handled")  # done before

    def new_answers():
        return Response.objects.filter(account__owner=am, triage="new").count()

    def to_handle():
        return Response.objects.filter(OPEN_DETRACTOR, account__owner=am).count()

    page.set_viewport_size({"width": width, "height": 800})
    sign_in(am)  # an AM's home is the inbox
    heading = page.get_by_role("heading", name=re.compile("Detractors to handle"))
    badge = page.get_by_role("link", name=re.compile(r"^Inbox"))
    expect(heading).to_have_text("Detractors to handle 3")
    expect(badge).to_have_text("Inbox 4")
    assert (to_handle(), new_answers()) == (3, 4)

    loads, errors = [], []
    page.on("load", lambda _: loads.append(page.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    url = page.url

    page.locator(f"#answer-{slow.pk}").get_by_role("button", name=re.compile("Mark handled")).click()
    expect(page.locator(f"#answer-{slow.pk}")).to_have_attribute("data-state", "handled")
    expect(heading).to_have_text("Detractors to handle 2")
    expect(badge).to_have_text("Inbox 3")
    assert (to_handle(), new_answers()) == (2, 3)

    # Seen is still to handle: only the count of new answers drops.
    page.locator(f"#answer-{rude.pk}").get_by_role("button", name=re.compile("Mark seen")).click()
    expect(page.locator(f"#answer-{rude.pk}")).to_have_attribute("data-state", "seen")
    expect(badge).to_have_text("Inbox 2")
    expect(heading).to_have_text("Detractors to handle 2")
    assert (to_handle(), new_answers()) == (2, 2)

    # A slip of the finger, undone: marked new again, it counts again.
    page.locator(f"#answer-{slow.pk}").get_by_role("button", name=re.compile("Mark new")).click()
    expect(page.locator(f"#answer-{slow.pk}")).to_have_attribute("data-state", "new")
    expect(heading).to_have_text("Detractors to handle 3")
    expect(badge).to_have_text("Inbox 3")
    assert (to_handle(), new_answers()) == (3, 3)

    # The last new answers handled: the badge goes away, the section says 0 to handle.
    for row in (late, slow, rude):
        page.locator(f"#answer-{row.pk}").get_by_role("button", name=re.compile("Mark handled")).click()
        expect(page.locator(f"#answer-{row.pk}")).to_have_attribute("data-state", "handled")
    expect(heading).to_have_text("Detractors to handle 0")
    expect(badge).to_have_text("Inbox 1")  # the promoter is still new
    assert (to_handle(), new_answers()) == (0, 1)

    assert loads == [] and page.url == url  # all in place, never a reload
    assert errors == []  # every fragment found its place (htmx logs a missing target)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing spills off a phone

    page.reload()  # what a reload shows is what the page showed
    expect(page.get_by_role("heading", name=re.compile("Detractors to handle"))).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Inbox"))).to_have_text("Inbox 1")
