"""The follow-up loop in a real browser: the AM's list, a voicemail, a reached call with a
root cause and a close-the-loop email that arrives; the RM's overdue view; the discipline page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import Call, CloseLoopEmail, RootCause
from followups.tallies import call_summaries_rebuild
from tests.followups.conftest import answer_with_call

pytestmark = pytest.mark.browser


@pytest.fixture
def root_causes(db):
    # Transactional tests flush the seeded rows; make sure they are there.
    for position, name in enumerate(["Product", "Service", "Delivery", "Price", "Relationship"], 1):
        RootCause.objects.get_or_create(name=name, defaults={"position": position})


def test_am_logs_voicemail_then_reached_and_emails_the_customer(page, sign_in, am, account, smtp_server,
                                                                root_causes):
    later = answer_with_call(account, score=9, name="Peter Promoter")
    call = answer_with_call(account, score=3, name="Mette Holm", email="mette@customer.test",
                            reason="Deliveries <always> late", phone="+45 20 30 40 50")
    Call.objects.filter(pk=call.pk).update(due_on=timezone.localdate())
    Call.objects.filter(pk=later.pk).update(due_on=timezone.localdate() + timedelta(days=10))
    call_summaries_rebuild()  # due dates written around the services: recount (the list reads the counts)

    sign_in(am)
    page.get_by_role("link", name="Calls", exact=True).click()
    page.wait_for_url("**/calls/")
    expect(page.get_by_role("heading", name="Your calls")).to_be_visible()
    rows = page.locator("tr.call-row")
    expect(rows).to_have_count(2)
    first = rows.nth(0)
    assert "Mette Holm" in first.inner_text() and "Due today" in first.inner_text()
    assert "Deliveries <always> late" in first.inner_text()
    assert first.get_by_role("link", name="+45 20 30 40 50").get_attribute("href") == "tel:+4520304050"

    first.get_by_role("link", name="Open the call to Mette Holm").click()
    page.get_by_label("Voicemail").check()
    page.get_by_label("Note").fill("Left a message, will try after lunch")
    page.get_by_role("button", name="Log attempt").click()
    page.wait_for_url("**/calls/")
    expect(page.get_by_text("Logged: Voicemail.")).to_be_visible()

    page.get_by_role("link", name="Open the call to Mette Holm").click()
    expect(page.get_by_text("Left a message, will try after lunch")).to_be_visible()
    page.get_by_label("Reached").check()
    page.get_by_label("Root cause").select_option(label="Delivery")
    page.get_by_label("What was agreed").fill("A fixed delivery slot on Tuesdays from next week")
    page.get_by_label("Who owns the action").fill("Logistics, Jens")
    page.get_by_label("By when").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Log attempt").click()
    page.wait_for_url(re.compile(rf".*/calls/{call.pk}/$"))
    assert page.locator("#call-state").inner_text() == "Reached"

    body = page.get_by_label("Text")
    assert "A fixed delivery slot on Tuesdays" in body.input_value()
    assert body.input_value().startswith("Dear Mette")
    body.fill(body.input_value() + "\n\nPS: I will call you after the first Tuesday.")
    page.get_by_role("button", name="Send to mette@customer.test").click()
    expect(page.get_by_text("Email to mette@customer.test queued for sending.")).to_be_visible()

    smtp_server.wait_for(1)
    message = smtp_server.messages[0]
    assert message["To"] == "mette@customer.test"
    text = message.get_body(("plain",)).get_content()
    assert "A fixed delivery slot on Tuesdays" in text and "PS: I will call you" in text
    assert CloseLoopEmail.objects.get().call_id == call.pk

    page.get_by_role("link", name="Calls", exact=True).click()
    expect(page.locator("tr.call-row")).to_have_count(1)


def test_rm_sees_overdue_calls_and_the_discipline_page(page, sign_in, rm, am, account, root_causes):
    call = answer_with_call(account, score=1, name="Oskar Overdue")
    Call.objects.filter(pk=call.pk).update(due_on=timezone.localdate() - timedelta(days=9))
    answer_with_call(account, score=10, name="Nina Notdue")
    call_summaries_rebuild()  # a due date written around the services: recount

    sign_in(rm)
    page.get_by_role("link", name="Calls", exact=True).click()
    page.get_by_role("navigation", name="Pages of this section").get_by_role("link", name="Overdue calls").click()
    expect(page.get_by_role("heading", name="Overdue calls")).to_be_visible()
    expect(page.get_by_role("cell", name="Oskar Overdue")).to_be_visible()
    expect(page.get_by_role("cell", name="Nina Notdue")).to_have_count(0)
    assert "Anna Andersen" in page.locator("tbody").inner_text()

    page.get_by_role("link", name="Follow-up discipline", exact=True).click()
    expect(page.get_by_role("heading", name="Follow-up discipline", exact=True).first).to_be_visible()
    expect(page.get_by_text("0 of 1; the standard is 80% or better, with none open past its due date")).to_be_visible()
    expect(page.get_by_role("heading", name="Per account manager")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Anna Andersen")).to_be_visible()
    expect(page.get_by_role("heading", name="Per region")).to_have_count(0)  # one region: the summary is its row


def test_am_names_a_cover_and_hands_a_call_to_a_colleague(page, sign_in, am, account, region):
    from tests.factories import AccountFactory, UserFactory

    colleague = UserFactory(role="am", full_name="Bo Berg")
    AccountFactory(owner=colleague, region=region)
    call = answer_with_call(account, score=6, name="Carla Cover")

    sign_in(am)
    page.goto("/calls/")
    page.get_by_role("link", name="Away? Name a cover").click()
    page.get_by_label("Who covers for you").select_option(label="Bo Berg")
    today = timezone.localdate()
    page.get_by_label("First day away").fill(today.isoformat())
    page.get_by_label("Last day away").fill((today + timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("While you are away, new calls go to Bo Berg.")).to_be_visible()
    assert answer_with_call(account, score=2).assignee == colleague
    page.get_by_role("button", name="I am back").click()
    expect(page.get_by_text("Welcome back")).to_be_visible()

    page.goto(f"/calls/{call.pk}/")
    page.get_by_role("link", name="Reassign").click()
    page.get_by_label("Hand the call to").select_option(label="Bo Berg")
    page.get_by_role("button", name="Reassign").click()
    expect(page.get_by_text("The call is now with Bo Berg.")).to_be_visible()
    assert Call.objects.get(pk=call.pk).assignee == colleague


def test_admin_changes_the_follow_up_settings(page, sign_in, admin_user):
    from followups.models import FollowupSettings

    sign_in(admin_user)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Call settings").click()
    page.get_by_label("Detractor due days").fill("1")
    page.get_by_label("Max unanswered attempts").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Follow-up settings saved")).to_be_visible()
    row = FollowupSettings.current()
    assert (row.detractor_due_days, row.max_unanswered_attempts) == (1, 4)


@pytest.mark.parametrize("width", [1366, 360])
def test_am_walks_the_call_list_by_urgency(page, sign_in, am, account, width):
    """Nine promoters overdue since last year and two fresh detractors: the detractors come
    first, each row says how late it is, under Overdue, Today and Later, on a phone too."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.followups.conftest import bulk_calls

    today = timezone.localdate()
    bulk_calls(account, 9, score=9, due_on=today - timedelta(days=300))
    detractors = bulk_calls(account, 2, score=1, due_on=today - timedelta(days=1))
    bulk_calls(account, 1, score=7, due_on=today)
    bulk_calls(account, 1, score=10, due_on=today + timedelta(days=6))

    page.set_viewport_size({"width": width, "height": 800})
    sign_in(am)
    page.goto("/calls/")
    headings = page.locator("h2.call-group")
    assert [headings.nth(i).inner_text().split(" (")[0] for i in range(headings.count())] == [
        "Overdue", "Today", "Later"]
    expect(headings.nth(0)).to_contain_text("(11)")
    overdue = page.get_by_role("table", name=re.compile("^Overdue"))
    rows = overdue.locator("tr.call-row")
    expect(rows).to_have_count(11)
    assert [rows.nth(i).get_attribute("data-call") for i in range(2)] == [str(c.pk) for c in detractors]
    expect(rows.nth(0)).to_contain_text("1 day overdue")
    expect(rows.nth(0)).to_be_in_viewport()
    expect(rows.nth(2)).to_contain_text("300 days overdue")
    expect(page.get_by_role("table", name=re.compile("^Today")).locator("tr.call-row")).to_contain_text("Due today")
    expect(page.get_by_role("table", name=re.compile("^Later")).locator("tr.call-row")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    serious = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious

    rows.nth(0).get_by_role("link", name=re.compile("^Open the call to")).click()
    page.wait_for_url(re.compile(rf".*/calls/{detractors[0].pk}/$"))
