"""Chat alerts: a detractor alert and a digest posted to a Slack or Teams incoming webhook
through the outbox, as well as emailed. The webhook is a real HTTP server on loopback
(tests/chat_receiver.py); the answer goes through the answer service and the outbox."""

from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from feedback import chat, digests
from feedback.answering import response_submit
from feedback.models import NotificationSettings, Response
from feedback.personal_data import answers_erase
from feedback.services import notification_settings_update
from outbox.models import Message
from outbox.services import outbox_deliver_due
from surveys.tokens import invitation_token
from tests import factories
from tests.chat_receiver import ChatReceiver

SITE = "https://pulse.example.com"


@pytest.fixture
def receiver(settings):
    settings.CHAT_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is plain HTTP on loopback
    settings.SITE_URL = SITE
    found = ChatReceiver().start()
    yield found
    found.stop()


def _chat_on(user, url, kind="slack", alerts=True, digests=False):
    return chat.chat_settings_update(user=user, kind=kind, webhook_url=url, detractor_alerts=alerts, digests=digests)


def _answer(world, callbacks, score=2, reason="The delivery was late three times", execute=True):
    invitation = factories.InvitationFactory(contact__account=world.account, contact__name="Carla Customer")
    with callbacks(execute=execute) as done:
        response_submit(token=invitation_token(invitation), score=score, reason=reason)
    return Response.objects.get(invitation=invitation), done


def _texts(body) -> str:
    """Every string of a post, joined: what a person in the channel reads."""
    if isinstance(body, dict):
        return " ".join(_texts(v) for v in body.values())
    if isinstance(body, list):
        return " ".join(_texts(v) for v in body)
    return str(body) if body is not None else ""


def test_a_slack_style_receiver_gets_the_detractor_alert(
    world, receiver, smtp_server, django_capture_on_commit_callbacks
):
    _chat_on(world.am, receiver.url)
    response, _ = _answer(world, django_capture_on_commit_callbacks)
    [post] = receiver.posts
    assert receiver.requests[0]["path"] == "/services/T000/B000/secret"
    assert receiver.requests[0]["headers"]["Content-Type"].startswith("application/json")
    assert "2 out of 10" in post["text"] and "Nordic Freight A/S" in post["text"]
    [header, facts, quote, actions] = post["blocks"]
    assert header["type"] == "header"
    fields = [f["text"] for f in facts["fields"]]
    assert fields == ["*Score*\n2 / 10", "*Category*\nDetractor", "*Account*\nNordic Freight A/S",
                      "*Owner*\nAnna Andersen"]
    assert quote["text"]["text"] == ">The delivery was late three times"
    [button] = actions["elements"]
    assert button["url"] == f"{SITE}/answers/{response.pk}/"
    # The contact's name, email and phone stay in Pulse.
    assert "Carla" not in _texts(post) and response.contact.email not in _texts(post)
    smtp_server.wait_for(1)  # the email alert goes as before
    assert Message.objects.get(event="detractor_chat_queued").done_at is not None


def test_teams_gets_an_adaptive_card_for_the_region_manager(
    world, receiver, smtp_server, django_capture_on_commit_callbacks
):
    _chat_on(world.rm, receiver.url, kind="teams")
    response, _ = _answer(world, django_capture_on_commit_callbacks, score=0, reason="x" * 800)
    [post] = receiver.posts
    assert post["type"] == "message"
    [attachment] = post["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts == {"Score": "0 / 10", "Category": "Detractor", "Account": "Nordic Freight A/S",
                     "Owner": "Anna Andersen"}
    assert len(card["body"][2]["text"]) <= 500 and card["body"][2]["text"].endswith("…")  # the reason, cut
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the answer",
                                "url": f"{SITE}/answers/{response.pk}/"}]


def test_owner_and_manager_each_get_one_and_others_none(world, receiver, django_capture_on_commit_callbacks):
    _chat_on(world.am, receiver.url)
    _chat_on(world.rm, receiver.url + "/rm")
    _chat_on(world.far_rm, receiver.url + "/far")  # another region
    _chat_on(world.other_am, receiver.url + "/other")  # not the owner
    notification_settings_update(user=world.am, detractor_alerts=False, digest="off")  # email off, chat on
    _answer(world, django_capture_on_commit_callbacks)
    assert sorted(r["path"] for r in receiver.requests) == ["/services/T000/B000/secret",
                                                            "/services/T000/B000/secret/rm"]
    _answer(world, django_capture_on_commit_callbacks, score=9)  # a promoter: no alert
    _chat_on(world.am, receiver.url, alerts=False, digests=True)  # chat for digests only
    _answer(world, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 3  # the RM's only


def test_a_failing_receiver_is_retried_with_backoff(world, receiver, smtp_server, django_capture_on_commit_callbacks):
    _chat_on(world.am, receiver.url)
    receiver.answers = [503]
    _answer(world, django_capture_on_commit_callbacks)
    assert receiver.posts == []
    message = Message.objects.get(event="detractor_chat_queued")
    assert message.attempts == 1 and "HTTP 503" in message.last_error and message.done_at is None
    smtp_server.wait_for(1)  # the email did not wait for the chat
    now = timezone.now()
    assert outbox_deliver_due(now=now) == 0  # not due yet: its backoff
    assert outbox_deliver_due(now=now + timedelta(minutes=1)) == 1
    assert len(receiver.posts) == 1
    message.refresh_from_db()
    assert message.done_at is not None and message.attempts == 2
    assert smtp_server.count() == 1


def test_a_gone_channel_stops_chat_after_a_few_posts_and_tells_the_user(
    world, receiver, smtp_server, django_capture_on_commit_callbacks
):
    notification_settings_update(user=world.am, detractor_alerts=False, digest="off")  # only chat's email
    _chat_on(world.am, receiver.url)
    receiver.answers = [410] * chat.CHAT_GONE_LIMIT
    for _ in range(chat.CHAT_GONE_LIMIT):
        _answer(world, django_capture_on_commit_callbacks)
    saved = NotificationSettings.objects.get(user=world.am)
    assert saved.chat_disabled_at is not None and "HTTP 410" in saved.chat_last_error
    assert not Message.objects.filter(event="detractor_chat_queued", done_at__isnull=True).exists()  # not retried
    [email] = smtp_server.wait_for(1)
    assert email["To"] == world.am.email and "stopped" in email["Subject"]
    assert f"{SITE}/settings/notifications/" in email.get_body(("plain",)).get_content()
    _answer(world, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == chat.CHAT_GONE_LIMIT  # nothing more posted
    assert not saved.chat_on


def test_a_gone_answer_then_a_good_one_starts_the_count_again(world, receiver, django_capture_on_commit_callbacks):
    _chat_on(world.am, receiver.url)
    receiver.answers = [404]
    _answer(world, django_capture_on_commit_callbacks)
    assert NotificationSettings.objects.get(user=world.am).chat_gone_count == 1
    _answer(world, django_capture_on_commit_callbacks)
    saved = NotificationSettings.objects.get(user=world.am)
    assert saved.chat_gone_count == 0 and saved.chat_last_error == "" and saved.chat_on


def test_an_erased_contact_s_reason_never_goes(world, receiver, django_capture_on_commit_callbacks):
    _chat_on(world.am, receiver.url)
    response, callbacks = _answer(world, django_capture_on_commit_callbacks, reason="My name is Carla", execute=False)
    answers_erase(contact_ids=[response.contact_id])  # erased before the worker got to it
    for callback in callbacks:
        callback()
    # The route ran in a later callback: run what the callbacks queued.
    outbox_deliver_due(now=timezone.now() + timedelta(seconds=1))
    [post] = receiver.posts
    assert "Carla" not in _texts(post)
    assert "They gave no reason." in _texts(post)


def test_the_post_is_in_the_user_s_language(world, receiver, django_capture_on_commit_callbacks):
    world.am.language = "da"
    world.am.save()
    _chat_on(world.am, receiver.url)
    _answer(world, django_capture_on_commit_callbacks)
    [post] = receiver.posts
    assert "Kritiker" in post["text"] and "ud af 10" in post["text"]
    assert post["blocks"][-1]["elements"][0]["text"]["text"] == "Åbn svaret"


def test_the_digest_goes_to_chat_too(world, receiver, smtp_server):
    Response.objects.update(answered_at=timezone.make_aware(
        datetime.combine(timezone.localdate() - timedelta(days=1), datetime.min.time())) + timedelta(hours=12))
    _chat_on(world.rm, receiver.url, alerts=False, digests=True)
    _chat_on(world.director, receiver.url + "/director", alerts=True, digests=False)  # alerts only: no digest
    with transaction.atomic():
        assert digests.digest_send(user_id=world.rm.pk, frequency="weekly")
        assert digests.digest_send(user_id=world.director.pk, frequency="weekly")
    outbox_deliver_due(now=timezone.now() + timedelta(seconds=1))
    smtp_server.wait_for(2)
    [post] = receiver.posts
    assert post["text"].startswith("Your weekly digest")
    text = _texts(post)
    assert "2 (promoters 1, passives 0, detractors 1)" in text
    line = f"<{SITE}/answers/{world.response.pk}/|3 at Nordic Freight A/S (Anna Andersen): Late &lt;b&gt;deliveries"
    assert line in text
    assert world.far_response.account.name not in text  # the RM's region only
    assert digests.digest_send(user_id=world.rm.pk, frequency="weekly") is False  # once per period
    outbox_deliver_due(now=timezone.now() + timedelta(seconds=1))
    assert len(receiver.posts) == 1


# --- The address ---------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "url", "says"), [
    ("slack", "http://hooks.slack.com/services/T/B/x", "https://"),
    ("slack", "https://example.com/services/T/B/x", "hooks.slack.com"),
    ("teams", "https://10.1.2.3/webhook", "inside our own network"),
    ("teams", "https://localhost/webhook", "inside our own network"),
    ("teams", "ftp://example.webhook.office.com/x", "https://"),
    ("teams", "https://exa mple.com/x", "whole address"),
    ("teams", "https://[::1/x", "whole address"),
    ("", "https://hooks.slack.com/services/T/B/x", "Slack or Microsoft Teams"),
])
def test_addresses_refused_in_production(settings, kind, url, says):
    settings.CHAT_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(chat.ValidationError) as refused:
        chat.chat_webhook_check(kind=kind, url=url)
    assert says in " ".join(refused.value.messages)


def test_addresses_taken(settings):
    settings.CHAT_WEBHOOKS_ALLOW_PRIVATE = False
    assert chat.chat_webhook_check(kind="slack", url=" https://hooks.slack.com/services/T/B/x ") == \
        "https://hooks.slack.com/services/T/B/x"
    assert chat.chat_webhook_check(kind="teams", url="https://prod-12.westeurope.logic.azure.com/workflows/1")
    with pytest.raises(chat.ChatPostFailed):  # a name pointed inside since: refused when posting
        chat.chat_post_json("https://localhost./x", {})
    settings.CHAT_WEBHOOKS_ALLOW_PRIVATE = True
    assert chat.chat_webhook_check(kind="slack", url="http://127.0.0.1:8123/hook")


# --- The settings page -----------------------------------------------------------------

def _form(url, kind="slack", alerts=True, digests=False, **extra):
    data = {"detractor_alerts": "on", "digest": "weekly", "language": "", "chat-kind": kind,
            "chat-webhook_url": url, **extra}
    if alerts:
        data["chat-detractor_alerts"] = "on"
    if digests:
        data["chat-digests"] = "on"
    return data


def test_the_page_saves_chat_and_refuses_bad_addresses(client, world, settings):
    settings.CHAT_WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(world.rm)
    url = reverse("feedback:notification_settings")
    page = client.get(url)
    assert page.status_code == 200 and "Send a test message" in page.content.decode()
    refused = client.post(url, _form("https://example.com/hook"))
    assert refused.status_code == 400
    assert "A Slack incoming webhook&#x27;s address starts with https://hooks.slack.com/." in refused.content.decode()
    assert not NotificationSettings.objects.filter(user=world.rm).exists()  # nothing saved
    assert client.post(url, _form("", alerts=True)).status_code == 400  # alerts ticked, no address
    assert client.post(url, _form("https://hooks.slack.com/x", kind="irc")).status_code == 400
    assert client.post(url, _form("h" * 2000)).status_code == 400
    saved = client.post(url, _form("https://hooks.slack.com/services/T/B/x", digests=True))
    assert saved.status_code == 302
    rm = NotificationSettings.objects.get(user=world.rm)
    assert (rm.chat_kind, rm.chat_webhook_url, rm.chat_detractor_alerts, rm.chat_digests) == \
        ("slack", "https://hooks.slack.com/services/T/B/x", True, True)
    assert "https://hooks.slack.com/services/T/B/x" in client.get(url).content.decode()
    client.post(url, _form("", alerts=False))  # a blank address turns chat off
    assert not NotificationSettings.objects.get(user=world.rm).chat_on


def test_the_test_message_button(client, world, receiver):
    client.force_login(world.am)
    url = reverse("feedback:notification_settings")
    sent = client.post(url, _form(receiver.url, kind="teams", action="chat_test"))
    assert sent.status_code == 200 and "Test message sent." in sent.content.decode()
    [post] = receiver.posts
    assert post["attachments"][0]["content"]["body"][0]["text"] == "Pulse is connected"
    assert not NotificationSettings.objects.filter(user=world.am).exists()  # a test saves nothing
    receiver.answers = [404]
    failed = client.post(url, _form(receiver.url, action="chat_test"))
    assert failed.status_code == 200
    assert "The test message did not arrive: HTTP 404 no_service" in failed.content.decode()
    missing = client.post(url, _form("", alerts=False, action="chat_test"))
    assert missing.status_code == 400 and "Enter the webhook" in missing.content.decode()
    closed = ChatReceiver()  # nobody listening there
    closed.server.server_close()
    unreachable = client.post(url, _form(closed.url, action="chat_test"))
    assert unreachable.status_code == 200 and "No answer from the chat service" in unreachable.content.decode()


def test_a_stopped_chat_shows_on_the_page(client, world):
    NotificationSettings.objects.create(
        user=world.am, chat_kind="slack", chat_webhook_url="https://hooks.slack.com/services/T/B/x",
        chat_detractor_alerts=True, chat_gone_count=3, chat_last_error="HTTP 410 channel_is_archived",
        chat_disabled_at=timezone.now())
    client.force_login(world.am)
    body = client.get(reverse("feedback:notification_settings")).content.decode()
    assert "Chat stopped on" in body and "channel_is_archived" in body


def test_the_admin_lists_chat_but_never_shows_the_address(client, world):
    NotificationSettings.objects.create(user=world.am, chat_kind="slack",
                                        chat_webhook_url="https://hooks.slack.com/services/T/B/secret")
    client.force_login(world.admin)
    listing = client.get(reverse("admin:feedback_notificationsettings_changelist"))
    assert listing.status_code == 200 and "Slack" in listing.content.decode()
    row = NotificationSettings.objects.get(user=world.am)
    change = client.get(reverse("admin:feedback_notificationsettings_change", args=[row.pk]))
    assert change.status_code == 200 and "services/T/B/secret" not in change.content.decode()
