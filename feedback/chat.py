"""Chat alerts: a user's detractor alerts and digests posted to a Slack or Microsoft Teams
incoming webhook, as well as emailed.

Posts go through the outbox (config/events.py: "detractor_chat_queued" from
feedback.routing, "digest_chat_queued" from feedback.digests), one row per post, so a
chat service that is down retries alone with the outbox's backoff and never holds up the
email. Any answer but a 2xx is a failure and is retried, except 404 and 410: the
channel or the webhook is gone, and asking again will not bring it back. Those are
counted instead, and after CHAT_GONE_LIMIT in a row chat stops for that user, who is
told by email and on the settings page, until they save a working address again.

The webhook address is checked when it is saved and again when it is posted to: HTTPS,
on the internet, and for Slack on hooks.slack.com. CHAT_WEBHOOKS_ALLOW_PRIVATE (on with
DEBUG, and in the tests) also lets plain HTTP to loopback and private addresses through.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from surveys.addresses import address_inside, host_resolves_inside
from surveys.emails import email_message
from surveys.models import User

from . import chat_messages
from .digests import PERIOD_DAYS, digest_content
from .models import ChatKind, NotificationSettings, Response
from .notifications import default_digest
from .routing import response_url

TIMEOUT_SECONDS = 10
SLACK_HOST = "hooks.slack.com"
# Posts answered 404/410 in a row before chat stops for the user.
CHAT_GONE_LIMIT = 3
GONE = {404, 410}


class ChatPostFailed(Exception):
    """The chat service did not take the post (an answer but 2xx, or no answer)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


# --- The address -----------------------------------------------------------------------

def chat_webhook_check(*, kind: str, url: str) -> str:
    """The address, stripped, if a chat webhook of `kind` may be posted to; else a
    ValidationError saying why."""
    url = (url or "").strip()
    if kind not in ChatKind.values:
        raise ValidationError(_("Choose Slack or Microsoft Teams."))
    if not url:
        raise ValidationError(_("Enter the webhook's address."))
    if len(url) > 1000 or any(c.isspace() for c in url):
        raise ValidationError(_("Enter the webhook's whole address, as the chat service shows it."))
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname or "", parts.port
    except ValueError:
        raise ValidationError(_("Enter the webhook's whole address, as the chat service shows it.")) from None
    allow_private = getattr(settings, "CHAT_WEBHOOKS_ALLOW_PRIVATE", False)
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise ValidationError(_("Enter the webhook's whole address, starting with https://."))
    if address_inside(host) and not allow_private:
        raise ValidationError(_("This address is inside our own network; a chat webhook is on the internet."))
    if parts.scheme == "http" and not (allow_private and address_inside(host)):
        raise ValidationError(_("The address must start with https://: chat services take posts over HTTPS only."))
    if kind == ChatKind.SLACK and host.lower() != SLACK_HOST and not allow_private:
        raise ValidationError(_("A Slack incoming webhook's address starts with https://hooks.slack.com/."))
    return url


# --- Posting ---------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer but 2xx: a webhook answers where it is, and a redirect
    could lead a post inside our network."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def chat_post_json(url: str, body: dict) -> None:
    """POST `body` as JSON to the webhook; ChatPostFailed unless the answer is 2xx."""
    host = urlsplit(url).hostname or ""
    if not getattr(settings, "CHAT_WEBHOOKS_ALLOW_PRIVATE", False) and host_resolves_inside(host):
        raise ChatPostFailed(_("The address points inside our own network."))
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Pulse chat alerts"},
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            answer.read(1000)
            status = answer.status
    except urllib.error.HTTPError as error:
        excerpt = error.read(200).decode("utf-8", "replace").strip()
        raise ChatPostFailed(f"HTTP {error.code} {excerpt}".strip(), status=error.code) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ChatPostFailed(_("No answer from the chat service: %(reason)s") % {"reason": reason}) from None
    if not 200 <= status < 300:
        raise ChatPostFailed(f"HTTP {status}", status=status)


def _post(chat: NotificationSettings, post: chat_messages.Post) -> None:
    """Post to the user's chat. A gone channel is counted (and stops chat at the limit);
    any other failure raises, for the outbox to retry."""
    try:
        chat_post_json(chat.chat_webhook_url, post.body(chat.chat_kind))
    except ChatPostFailed as failure:
        if failure.status not in GONE:
            raise
        _gone(chat, str(failure))
        return
    if chat.chat_gone_count or chat.chat_last_error:
        NotificationSettings.objects.filter(pk=chat.pk).update(chat_gone_count=0, chat_last_error="")


def _gone(chat: NotificationSettings, error: str) -> None:
    chat.chat_gone_count += 1
    chat.chat_last_error = error[:300]
    if chat.chat_gone_count >= CHAT_GONE_LIMIT:
        chat.chat_disabled_at = timezone.now()
    NotificationSettings.objects.filter(pk=chat.pk).update(
        chat_gone_count=chat.chat_gone_count, chat_last_error=chat.chat_last_error,
        chat_disabled_at=chat.chat_disabled_at,
    )
    if chat.chat_disabled_at:
        user = chat.user
        with translation.override(user.email_language):
            email_message("chat_disabled", {
                "user": user, "chat": chat, "error": chat.chat_last_error,
                "settings_url": settings.SITE_URL + reverse("feedback:notification_settings"),
            }, to=[user.email]).send()


def _chat_of(user_id: int, *, wants: str) -> NotificationSettings | None:
    """The user's chat settings if they are active and take `wants` in chat."""
    chat = NotificationSettings.objects.select_related("user").filter(user_id=user_id, user__is_active=True).first()
    if chat is None or not chat.chat_on or not getattr(chat, wants):
        return None
    return chat


# --- Outbox handlers (config/events.py) ------------------------------------------------

def detractor_chat_post(*, user_id: int, response_id: int) -> None:
    """Post a detractor alert to the user's chat (the owner's, or the region manager's)."""
    chat = _chat_of(user_id, wants="chat_detractor_alerts")
    response = Response.objects.select_related("account__owner").filter(pk=response_id).first()
    if chat is None or response is None:
        return
    # The reason is read now: a contact erased since the answer has none left to send.
    with translation.override(chat.user.email_language):
        post = chat_messages.detractor_post(response, url=response_url(response))
    _post(chat, post)


def digest_chat_post(*, user_id: int, frequency: str, end: str) -> None:
    """Post the digest of the period ending at `end` (ISO) to the user's chat."""
    chat = _chat_of(user_id, wants="chat_digests")
    if chat is None or frequency not in PERIOD_DAYS:
        return
    end_at = datetime.fromisoformat(end)
    content = digest_content(chat.user, start=end_at - timedelta(days=PERIOD_DAYS[frequency]), end=end_at)
    with translation.override(chat.user.email_language):
        post = chat_messages.digest_post(frequency, content)
    _post(chat, post)


# --- The settings page ------------------------------------------------------------------

def chat_settings_update(
    *, user: User, kind: str, webhook_url: str, detractor_alerts: bool, digests: bool
) -> NotificationSettings:
    """Save the user's chat; a blank address turns chat off. Saving starts a stopped chat
    again (the user says the address works now)."""
    webhook_url = (webhook_url or "").strip()
    if webhook_url:
        webhook_url = chat_webhook_check(kind=kind, url=webhook_url)
    elif kind and kind not in ChatKind.values:
        raise ValidationError(_("Choose Slack or Microsoft Teams."))
    chat, _created = NotificationSettings.objects.get_or_create(user=user, defaults={"digest": default_digest(user)})
    chat.chat_kind = kind if webhook_url else ""
    chat.chat_webhook_url = webhook_url
    chat.chat_detractor_alerts = detractor_alerts
    chat.chat_digests = digests
    chat.chat_gone_count = 0
    chat.chat_disabled_at = None
    chat.chat_last_error = ""
    chat.save()
    return chat


def chat_test_send(*, user: User, kind: str, webhook_url: str) -> None:
    """Post a test message at once (in the request: the user waits for the answer);
    ValidationError or ChatPostFailed say why not."""
    url = chat_webhook_check(kind=kind, url=webhook_url)
    with translation.override(user.email_language):
        body = chat_messages.test_post().body(kind)
    chat_post_json(url, body)
