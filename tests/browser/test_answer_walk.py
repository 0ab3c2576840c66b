"""The customer's walk in a real browser: from the email to the answer, changed later;
Danish, a 360 px phone, the keyboard alone, and axe-core on every state's page."""

import re
from datetime import timedelta

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import Response
from tests.factories import ContactFactory, InvitationFactory, ResponseFactory
from tests.feedback.answer_support import (  # noqa: F401
    answer_path,
    fast_password_hashing,
    fresh_rate_limits,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("fresh_rate_limits", "fast_password_hashing")]


@pytest.fixture(autouse=True)
def _no_bot_timing(settings):
    # Playwright submits faster than any person; the timing rule has its own tests.
    settings.ANSWER_MIN_SECONDS = 0


@pytest.fixture
def invitation(account):
    contact = ContactFactory(account=account, name="Carla Customer", email="carla@customer.test")
    return InvitationFactory(contact=contact)


def send_invitation_email(invitation, base_url):
    """The email's eleven buttons, sent through Django's SMTP backend (the real
    invitation email is built by the waves issue; its links are these)."""
    links = [(n, f"{base_url}{answer_path(invitation, score=n)}") for n in range(11)]
    text = "\n".join(f"{n}: {url}" for n, url in links)
    html = "".join(f'<a href="{url}">{n}</a> ' for n, url in links)
    message = EmailMultiAlternatives("How likely are you to recommend Acme?", text, to=[invitation.contact.email])
    message.attach_alternative(f"<p>{html}</p>", "text/html")
    message.send()


def link_for(message, score: int) -> str:
    html = message.get_body(preferencelist=("html",)).get_content()
    return re.search(rf'<a href="([^"]+)">{score}</a>', html).group(1)


def assert_no_axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def assert_no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_email_click_3_answer_then_change_to_4(page, invitation, smtp_server):
    send_invitation_email(invitation, page.base_url)
    message = smtp_server.wait_for(1)[0]
    assert message["To"] == "carla@customer.test"

    page.goto(link_for(message, 3))
    assert page.get_by_role("heading", level=1).inner_text() == "Hello Carla, two quick questions"
    group = page.get_by_role("group", name="How likely is it that you would recommend Acme to others?")
    assert group.get_by_role("radio", name="3", exact=True).is_checked()
    assert Response.objects.count() == 0
    page.get_by_label("What are the reasons behind your assessment?").fill("Deliveries were late twice")
    page.get_by_role("button", name="Send answer").click()

    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    expect(page.get_by_text("Anna from Acme will call you to hear more.")).to_be_visible()
    page.get_by_role("link", name="Change your answer").click()
    assert page.get_by_role("radio", name="3", exact=True).is_checked()
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("heading", name="Thank you, your answer is updated")).to_be_visible()

    answer = Response.objects.get()
    assert (answer.score, answer.reason, answer.category) == (4, "Deliveries were late twice", "detractor")
    assert answer.changed_at > answer.answered_at


def test_danish_contact_sees_a_danish_page(page, account):
    invitation = InvitationFactory(contact=ContactFactory(account=account, name="Dorthe Dansk", language="da"))
    page.goto(answer_path(invitation, score=9))
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.get_by_role("heading", level=1).inner_text() == "Hej Dorthe, to hurtige spørgsmål"
    expect(page.get_by_role("radio", name="10 – Meget sandsynligt")).to_be_visible()
    page.get_by_role("button", name="Send svar").click()
    expect(page.get_by_role("heading", name="Tak for dit svar")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "da"
    assert Response.objects.get().language == "da"


def test_fits_a_360px_phone(page, invitation):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(answer_path(invitation, score=10))
    assert_no_horizontal_scroll(page)
    box = page.locator("label[for=score-10]").bounding_box()
    assert box["x"] + box["width"] <= 360 and box["height"] >= 24 and box["width"] >= 24
    page.get_by_label("What are the reasons behind your assessment?").fill("x" * 300 + " שירות מצוין 👍🏽")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("width", [360, 1366])
def test_walk_from_the_email_at_phone_and_desktop_widths(page, invitation, width):
    """The score chosen in the email, the page saying it is not saved yet, Send, thanks:
    nothing scrolls sideways, axe finds nothing, the note stands right above the button."""
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(answer_path(invitation, score=9))
    assert page.get_by_role("radio", name="9", exact=True).is_checked()
    note = page.get_by_text("Your answer is saved only when you press “Send answer”.")
    button = page.get_by_role("button", name="Send answer")
    expect(note).to_be_visible()
    note_box, button_box = note.bounding_box(), button.bounding_box()
    assert 0 <= button_box["y"] - (note_box["y"] + note_box["height"]) <= 24  # just above it
    assert button_box["height"] >= 44 and button_box["width"] >= 44
    assert_no_horizontal_scroll(page)
    assert_no_axe_violations(page)
    assert Response.objects.count() == 0

    button.click()
    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    expect(page.get_by_text("Anna from Acme will call you to hear more.")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_no_axe_violations(page)
    assert (Response.objects.get().score, Response.objects.get().suspect) == (9, False)


@pytest.mark.parametrize("width", [360, 1366])
def test_unsubscribe_by_mistake_and_subscribe_again(page, invitation, width):
    from surveys.models import Contact
    from surveys.tokens import invitation_token

    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/u/{invitation_token(invitation)}/")
    assert page.title() == "Unsubscribe · Acme"
    expect(page.get_by_role("banner")).to_have_text("Acme")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert Contact.objects.get(pk=invitation.contact_id).opted_out_at is not None
    assert_no_horizontal_scroll(page)
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Subscribe again").click()
    expect(page.get_by_role("heading", name="You are subscribed again")).to_be_visible()
    assert Contact.objects.get(pk=invitation.contact_id).opted_out_at is None
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Open the survey").click()
    expect(page.get_by_role("button", name="Send answer")).to_be_visible()


def test_keyboard_only_answer(page, invitation):
    page.goto(answer_path(invitation))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "score-0"
    # The focused option shows a visible focus ring (not colour alone: an outline).
    assert page.evaluate(
        "getComputedStyle(document.querySelector('label[for=score-0]')).outlineStyle"
    ) == "solid"
    page.keyboard.press("Space")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="7", exact=True).is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.type("Good, not great")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    answer = Response.objects.get()
    assert (answer.score, answer.reason, answer.suspect) == (7, "Good, not great", False)


def test_missing_score_shows_an_accessible_error(page, invitation):
    page.goto(answer_path(invitation))
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("alert").get_by_text("Please choose a number from 0 to 10.")).to_be_visible()
    assert page.title().startswith("Error:")
    assert_no_axe_violations(page)
    assert Response.objects.count() == 0


def test_axe_finds_no_violations_on_any_state(page, invitation, account):
    page.goto(answer_path(invitation, score=6))
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    assert_no_axe_violations(page)

    answered = InvitationFactory(contact=ContactFactory(account=account))
    ResponseFactory(invitation=answered, score=9, reason="Fast and friendly")
    page.goto(answer_path(answered))
    assert_no_axe_violations(page)

    expired = InvitationFactory(contact=ContactFactory(account=account),
                                expires_at=timezone.now() - timedelta(days=1))
    page.goto(answer_path(expired))
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    assert page.get_by_role("link", name="care@example.com").get_attribute("href").startswith("mailto:")
    assert_no_axe_violations(page)

    response = page.goto("/r/" + "Q" * 43 + "/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="We cannot find this page")).to_be_visible()
    assert_no_axe_violations(page)


def test_no_csp_violations_and_no_requests_beyond_the_page(page, invitation):
    requests, console = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(message.text))
    page.goto(answer_path(invitation, score=5))
    assert len(requests) == 1  # styles inline, no script, no images, no favicon
    assert not [text for text in console if "Content Security Policy" in text]
