"""The pages that add up several apps' data (reports, and the answer's page with its call)
at a laptop's and a phone's width: their heading shows and nothing scrolls the page
sideways (wide tables scroll inside their own box)."""

import pytest
from playwright.sync_api import expect

from feedback.summaries import summary_rebuild
from followups.services import call_queue_for_response
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("width", [1366, 360])
def test_pages_fit_the_width(page, sign_in, width, rm, director, am, region, account):
    contact = factories.ContactFactory(account=account, name="Carla Customer", level="executive",
                                       phone="+45 20 30 40 50")
    answer = factories.ResponseFactory(invitation__contact=contact, score=2, reason="Late deliveries, again.")
    call_queue_for_response(response_id=answer.pk)
    for score in (9, 10, 7, 8, 10, 9, 6, 10, 9, 10, 3):
        factories.ResponseFactory(invitation__contact__account=account, score=score)
    summary_rebuild()
    page.set_viewport_size({"width": width, "height": 800})
    pages = [
        (rm, "/region/", "Region North"),
        (rm, f"/accounts/{account.pk}/", account.name),
        (rm, f"/accounts/{account.pk}/owner/", f"Change the owner of {account.name}"),
        (rm, f"/answers/{answer.pk}/", "Carla Customer at"),
        (rm, "/calls/discipline/", "Follow-up discipline"),
        (director, "/organisation/", "Organisation"),
        (director, f"/regions/{region.pk}/", "Region North"),
    ]
    signed_in = None
    for user, path, heading in pages:
        if user != signed_in:
            page.context.clear_cookies()
            sign_in(user)
            signed_in = user
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, width, overflow)
