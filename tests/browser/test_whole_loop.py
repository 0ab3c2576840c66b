"""The whole loop in a real browser, from the email to the closed call.

A book (an AM, a region, an account, a contact with a phone); a wave planned and sent
by the real services to a real SMTP server; the customer clicks "2" in the email,
gives a reason and sends it at a person's pace; the AM's detractor alert arrives,
its link opens the answer after sign-in; the call is on the AM's list, due in two
business days; a voicemail, then reached with a root cause and what was agreed; the
close-the-loop email arrives; the call shows as reached. And every link of the
invitation opens the right page: the eleven score links and the unsubscribe link
(also the List-Unsubscribe header's URL), whose GET changes nothing.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import Response
from followups.business_days import add_business_days
from followups.models import Call, CloseLoopEmail, FollowupSettings, RootCause
from surveys import dispatch, planning, reminders
from surveys.models import Contact, Invitation, Program, Wave
from tests.factories import ContactFactory
from tests.feedback.answer_support import fast_password_hashing, fresh_rate_limits  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_rate_limits", "fast_password_hashing")]


@pytest.fixture
def root_causes(db):
    # Transactional tests (live_server) flush the migration-seeded rows; put them back.
    for position, name in enumerate(["Product", "Service", "Delivery", "Price", "Relationship"], 1):
        RootCause.objects.get_or_create(name=name, defaults={"position": position})


@pytest.fixture
def sent_invitation(page, smtp_server, account):
    """Plan and send this month's wave with the real services; returns the email."""
    ContactFactory(account=account, name="Mette Holm", email="mette@customer.test", phone="+45 20 30 40 50")
    program = Program.current()
    program.frequency, program.quiet_days = 12, 20  # monthly: the new contact is due this month
    program.save()
    month = timezone.localdate().replace(day=1)
    plan = planning.wave_plan(month=month)
    assert plan.added == 1
    dispatch.wave_send(month=month)
    messages = smtp_server.wait_for(1)
    assert len(messages) == 1
    assert Invitation.objects.get().status == Invitation.Status.SENT
    assert Wave.objects.get(month=month).status == Wave.Status.SENT
    return messages[0]


def score_links(message, subtype: str) -> dict[int, str]:
    body = message.get_body((subtype,)).get_content()
    if subtype == "html":
        pairs = re.findall(r'<a href="([^"]+)"[^>]*>(\d+)</a>', body)
        return {int(score): url.replace("&amp;", "&") for url, score in pairs}
    lines = (re.fullmatch(r"(\d+): (\S+)", line.strip()) for line in body.splitlines())
    return {int(m.group(1)): m.group(2) for m in lines if m}


def test_whole_loop_from_the_email_to_the_closed_call(page, password, am, account, smtp_server, sent_invitation,
                                                      root_causes):
    message = sent_invitation
    assert message["To"] == "Mette Holm <mette@customer.test>"

    # Both parts carry the same eleven score links, to this server's answer page.
    html_links, text_links = score_links(message, "html"), score_links(message, "plain")
    assert sorted(html_links) == list(range(11))
    assert html_links == text_links
    for score, url in html_links.items():
        assert url.startswith(f"{page.base_url}/r/") and url.endswith(f"?score={score}"), url

    # The customer clicks "2": the page opens with 2 chosen.
    page.goto(html_links[2])
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Mette, two quick questions")
    assert page.get_by_role("radio", name="2", exact=True).is_checked()
    assert Response.objects.count() == 0
    page.get_by_label("What are the reasons behind your assessment?").fill("Two late deliveries in a row")
    # A person takes a moment to write; answers sent under ANSWER_MIN_SECONDS (0.5 s) after
    # the page was served are marked suspect and get no alert or call. Wait out that floor.
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    expect(page.get_by_text("Anna from Acme will call you to hear more.")).to_be_visible()
    answer = Response.objects.get()
    assert (answer.score, answer.category, answer.suspect) == (2, "detractor", False)

    # The detractor alert reaches the AM (routed through the outbox) and links to the answer.
    smtp_server.wait_for(2)
    alerts = smtp_server.to("anna@pulse.test")
    assert len(alerts) == 1, [m["Subject"] for m in smtp_server.messages]
    alert_html = alerts[0].get_body(("html",)).get_content()
    alert_link = re.search(r'<a href="([^"]+)"[^>]*>Open the answer</a>', alert_html).group(1)
    assert alert_link in alerts[0].get_body(("plain",)).get_content()
    assert alert_link.startswith(page.base_url)
    page.goto(alert_link)
    expect(page).to_have_url(re.compile(r"/signin/\?next="))
    page.get_by_label("Email").fill(am.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(alert_link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Mette Holm at {account.name}")
    expect(page.get_by_text("Two late deliveries in a row")).to_be_visible()

    # The call is on the AM's list, due in two business days from the answer.
    page.get_by_role("link", name="Calls", exact=True).click()
    page.wait_for_url("**/calls/")
    call = Call.objects.get()
    days = FollowupSettings.current().due_days("detractor")
    due = add_business_days(timezone.localdate(answer.answered_at), days)
    assert (days, call.due_on, call.assignee) == (2, due, am)
    row = page.locator("tr.call-row", has_text="Mette Holm")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(due.strftime("%a %-d %b"))
    expect(row).to_contain_text("Two late deliveries in a row")
    row.get_by_role("link", name="Open the call to Mette Holm").click()
    expect(page.get_by_role("heading", name="Call Mette Holm")).to_be_visible()

    page.get_by_label("Voicemail").check()
    page.get_by_label("Note").fill("Left a message")
    page.get_by_role("button", name="Log attempt").click()
    page.wait_for_url("**/calls/")
    expect(page.get_by_text("Logged: Voicemail.")).to_be_visible()

    page.get_by_role("link", name="Open the call to Mette Holm").click()
    expect(page.get_by_text("Left a message")).to_be_visible()
    page.get_by_label("Reached").check()
    page.get_by_label("Root cause").select_option(label="Delivery")
    page.get_by_label("What was agreed").fill("A fixed delivery slot on Tuesdays")
    page.get_by_label("Who owns the action").fill("Logistics, Jens")
    page.get_by_label("By when").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Log attempt").click()
    page.wait_for_url(re.compile(rf".*/calls/{call.pk}/$"))
    expect(page.locator("#call-state")).to_have_text("Reached")

    # Close the loop by email; it arrives for the customer.
    page.get_by_role("button", name="Send to mette@customer.test").click()
    expect(page.get_by_text("Email to mette@customer.test queued for sending.")).to_be_visible()
    smtp_server.wait_for(3)
    to_customer = smtp_server.to("mette@customer.test")
    assert len(to_customer) == 2  # the invitation, then the close-the-loop email
    assert "A fixed delivery slot on Tuesdays" in to_customer[1].get_body(("plain",)).get_content()
    assert CloseLoopEmail.objects.get().call_id == call.pk

    # The open list is empty; the call shows as reached among the closed ones.
    page.get_by_role("link", name="Calls", exact=True).click()
    expect(page.locator("tr.call-row")).to_have_count(0)
    page.get_by_role("link", name="Recently closed").click()
    closed = page.locator("tr.call-row", has_text="Mette Holm")
    expect(closed).to_contain_text("Reached")
    call.refresh_from_db()
    assert call.state == Call.State.REACHED and call.root_cause.name == "Delivery"


def test_every_score_link_opens_the_answer_page_with_its_score(page, smtp_server, am, sent_invitation):
    links = score_links(sent_invitation, "html")
    html = sent_invitation.get_body(("html",)).get_content()
    others = set(re.findall(r'href="([^"]+)"', html)) - set(links.values())
    assert {link.split("/u/")[0] if "/u/" in link else link for link in others} == {
        f"mailto:{am.email}", page.base_url}  # the AM's address and the unsubscribe link

    # The reminder, when it goes, carries the same links.
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(reminder_after=timezone.now() - timedelta(minutes=1))
    assert reminders.reminders_send(invitation_ids=[invitation.pk]).sent == 1
    reminder = smtp_server.wait_for(2)[1]
    assert reminder["In-Reply-To"] == invitation.message_id
    assert score_links(reminder, "html") == score_links(reminder, "plain") == links
    for score in range(11):
        page.goto(links[score])
        expect(page.get_by_role("heading", level=1)).to_have_text("Hello Mette, two quick questions")
        assert page.get_by_role("radio", name=re.compile(rf"^{score}\b")).is_checked(), score
    assert Response.objects.count() == 0  # opening a link records nothing


def test_invitation_unsubscribe_link_opens_the_confirm_page(page, sent_invitation):
    html = sent_invitation.get_body(("html",)).get_content()
    text = sent_invitation.get_body(("plain",)).get_content()
    link = re.search(r'<a href="([^"]+)"[^>]*>Unsubscribe</a>', html).group(1)
    # A long header is folded onto its next line; unfolded, the leading space is not part of it.
    assert sent_invitation["List-Unsubscribe"].strip() == f"<{link}>"
    assert sent_invitation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text
    assert link.startswith(f"{page.base_url}/u/")

    page.goto(link)
    expect(page.get_by_role("heading", name="Unsubscribe from surveys?")).to_be_visible()
    expect(page.get_by_text("Acme will send no more surveys to mette@customer.test.")).to_be_visible()
    assert Contact.objects.get(email="mette@customer.test").opted_out_at is None  # GET changes nothing
    page.reload()
    expect(page.get_by_role("button", name="Unsubscribe")).to_be_visible()
    assert Contact.objects.get(email="mette@customer.test").opted_out_at is None
