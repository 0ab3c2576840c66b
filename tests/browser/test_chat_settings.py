"""The "Chat" part of the notification settings, in a real browser at 1366 and 360 px: an
AM pastes a webhook address, sends a test message to a real HTTP receiver on loopback,
saves, and is told plainly when an address cannot be a chat webhook."""

import pytest
from playwright.sync_api import expect

from feedback.models import NotificationSettings
from tests.chat_receiver import ChatReceiver

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver(settings):
    settings.CHAT_WEBHOOKS_ALLOW_PRIVATE = True
    found = ChatReceiver().start()
    yield found
    found.stop()


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("width", [1366, 360])
def test_an_am_connects_a_channel_tests_it_and_saves(page, sign_in, am, receiver, settings, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(am)
    page.goto("/settings/notifications/")
    chat = page.get_by_role("group", name="Chat")
    expect(chat).to_be_visible()
    _fits(page)
    chat.get_by_role("radio", name="Microsoft Teams").check()
    chat.get_by_label("Incoming webhook address").fill(receiver.url)
    chat.get_by_role("checkbox", name="Detractor alerts").check()
    page.get_by_role("button", name="Send a test message").click()
    expect(page.get_by_text("Test message sent.")).to_be_visible()
    [post] = receiver.posts
    assert post["attachments"][0]["content"]["body"][0]["text"] == "Pulse is connected"
    # What was typed is still there, unsaved until Save.
    expect(page.get_by_label("Incoming webhook address")).to_have_value(receiver.url)
    expect(page.get_by_role("radio", name="Microsoft Teams")).to_be_checked()
    assert not NotificationSettings.objects.filter(user=am, chat_webhook_url=receiver.url).exists()
    _fits(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    saved = NotificationSettings.objects.get(user=am)
    assert (saved.chat_kind, saved.chat_webhook_url, saved.chat_detractor_alerts, saved.chat_digests) == \
        ("teams", receiver.url, True, False)

    # In production: a Slack address off hooks.slack.com is refused, next to the field.
    settings.CHAT_WEBHOOKS_ALLOW_PRIVATE = False
    page.get_by_role("radio", name="Slack").check()
    page.get_by_label("Incoming webhook address").fill("https://example.com/services/T/B/x")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Please correct the choices below.")).to_be_visible()
    field = page.get_by_label("Incoming webhook address")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("A Slack incoming webhook's address starts with https://hooks.slack.com/.")).to_be_visible()
    _fits(page)
    assert NotificationSettings.objects.get(user=am).chat_webhook_url == receiver.url  # unchanged
