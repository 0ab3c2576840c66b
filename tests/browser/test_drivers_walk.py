"""Why detractors leave, in a real browser: the regional manager reads the region's page,
finds the theme most detractors mention and follows it to those answers."""

import re

import pytest
from playwright.sync_api import expect

from feedback.models import Theme
from feedback.response_themes import reasons_tag_all
from feedback.summaries import summary_rebuild
from feedback.theme_defaults import default_themes_create
from feedback.themes import taxonomy_forget
from tests import factories

pytestmark = pytest.mark.browser


def _answers(account, scores, reason):
    return [factories.ResponseFactory(invitation__contact__account=account, score=s, reason=reason) for s in scores]


@pytest.mark.parametrize("width", [1366, 360])
def test_rm_opens_why_detractors_leave_and_follows_a_theme_to_its_answers(page, sign_in, rm, region, account,
                                                                         width):
    default_themes_create(Theme)  # a live server's test empties the tables, the migrated themes too
    taxonomy_forget()
    _answers(account, [1, 2, 3, 4, 5, 6, 2, 3, 4, 0, 1], "The delivery was late again")
    _answers(account, [3, 5], "Too expensive")
    _answers(account, [9, 10, 10, 9, 10, 9, 10, 9, 10, 10], "Our account manager is great")
    reasons_tag_all()
    summary_rebuild()
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(rm)
    expect(page.get_by_role("heading", name="Region North")).to_be_visible()
    leave = page.get_by_role("group", name="Why detractors leave")
    expect(leave).to_contain_text("The themes most mentioned by the 13 detractors")
    first = leave.get_by_role("listitem").first
    expect(first).to_contain_text("Delivery: 11 of 13")
    expect(first).to_contain_text("85%")
    expect(page.get_by_role("group", name="Why promoters stay")).to_contain_text("Relationship: 10 of 10")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/answers/\?"))
    query = page.url.split("?", 1)[1].split("&")
    assert {"theme=delivery", "category=detractor", f"region={region.pk}", "suspect=no"} <= set(query), page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text("Answers")
    expect(page.locator("li.answer", has_text="The delivery was late again").first).to_be_visible()


def test_the_pages_with_themes_fit_a_phone(page, sign_in, rm, am, region, account):
    from followups.models import RootCause
    from followups.services import attempt_log, call_queue_for_response

    default_themes_create(Theme)
    taxonomy_forget()
    answers = _answers(account, [1, 2, 3, 4, 5, 6, 2, 3, 4, 0, 1], "Late delivery, wrong invoices and nobody answers")
    _answers(account, [9, 10, 10, 9, 10, 9, 10, 9, 10, 10], "Our account manager is great")
    reasons_tag_all()
    summary_rebuild()
    call = call_queue_for_response(response_id=answers[0].pk)
    price, _ = RootCause.objects.get_or_create(name="Price")
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=price.pk,
                agreed="A credit note and a fixed delivery day")
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(rm)
    for path, heading in [
        (f"/drivers/?region={region.pk}&owner={am.pk}", "Why the customers of Anna Andersen stay and leave"),
        (f"/accounts/{account.pk}/", account.name),
        ("/calls/discipline/", "Follow-up discipline"),
        (f"/calls/{call.pk}/", "Call"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    expect(page.locator(".outcome-themes")).to_contain_text("Delivery")
