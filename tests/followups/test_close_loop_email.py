"""The close-the-loop email goes through the outbox: saved and queued with the request,
sent by the outbox's delivery, and the call's page tells queued, sent or failed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from followups.models import CloseLoopEmail, RootCause
from followups.services import attempt_log, close_loop_email_deliver, close_loop_email_queue
from outbox.models import Message
from outbox.services import outbox_deliver_due, outbox_retry
from surveys.templatetags.pulse_display import day_time
from tests.followups.conftest import answer_with_call
from tests.smtp import free_port

pytestmark = pytest.mark.django_db

EMAIL = {"subject": "What we do now", "body": "A new pallet on Friday."}


@pytest.fixture
def reached_call(account, am):
    call = answer_with_call(account, score=3, email="mette@customer.test")
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=RootCause.objects.get(name="Service").pk,
                agreed="A new pallet")
    return call


@pytest.fixture
def smtp_down(settings):
    """The SMTP backend pointed at a loopback port nobody listens on: connection refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def _smtp_back(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _email_on_page(client, call, language="en") -> str:
    html = client.get(f"/calls/{call.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    start = html.index('class="sent-email"')
    return html[start:html.index("</p>", start)]


def _post_with_the_server_down(client, am, call, capture):
    client.force_login(am)
    with capture(execute=True):  # the commit runs the row in-process, as embedded: the try fails
        response = client.post(f"/calls/{call.pk}/email/", EMAIL)
    assert response.status_code == 302 and response.url == f"/calls/{call.pk}/"
    return response


def test_with_the_mail_server_down_the_email_is_saved_queued_and_shown_queued(
    client, am, reached_call, smtp_down, django_capture_on_commit_callbacks
):
    _post_with_the_server_down(client, am, reached_call, django_capture_on_commit_callbacks)

    email = CloseLoopEmail.objects.get()
    assert (email.call_id, email.to, email.subject, email.sent_by) == (
        reached_call.pk, "mette@customer.test", "What we do now", am)
    assert email.sent_at is None
    message = Message.objects.get(event="close_loop_email_queued")
    assert email.outbox_message == message and message.kwargs == {"email_id": email.pk}
    # Tried once after the commit, refused, and waiting to be tried again.
    assert message.attempts == 1 and message.done_at is None and message.failed_at is None
    assert "Connection refused" in message.last_error

    shown = _email_on_page(client, reached_call)
    assert 'data-delivery="queued"' in shown
    assert "Queued for mette@customer.test" in shown and "not sent yet" in shown
    assert "it is tried again by itself" in shown
    assert "Sent to" not in shown
    danish = _email_on_page(client, reached_call, language="da")
    assert "I kø til mette@customer.test" in danish and "der prøves automatisk igen" in danish


def test_when_the_mail_server_is_back_the_outbox_sends_it_and_the_page_shows_it_sent(
    client, am, reached_call, smtp_down, settings, django_capture_on_commit_callbacks
):
    _post_with_the_server_down(client, am, reached_call, django_capture_on_commit_callbacks)
    _smtp_back(settings)

    assert outbox_deliver_due(now=timezone.now() + timedelta(hours=1)) == 1

    [sent] = mail.outbox
    assert sent.to == ["mette@customer.test"] and sent.subject == "What we do now"
    assert sent.reply_to == [am.email] and sent.body == "A new pallet on Friday.\n"
    assert "A new pallet on Friday." in sent.alternatives[0][0]
    email = CloseLoopEmail.objects.get()
    assert email.sent_at is not None and email.outbox_message.done_at is not None
    shown = _email_on_page(client, reached_call)
    assert 'data-delivery="sent"' in shown
    assert f"Sent to mette@customer.test on {day_time(timezone.localtime(email.sent_at))}" in shown
    assert "Queued" not in shown and "failed" not in shown
    # Delivered: the poll has nothing more to run, nothing goes out twice.
    assert outbox_deliver_due(now=timezone.now() + timedelta(days=1)) == 0 and len(mail.outbox) == 1


def test_when_the_outbox_gives_up_the_page_shows_failed_with_the_reason_and_a_retry_sends_it(
    client, am, reached_call, smtp_down, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    _post_with_the_server_down(client, am, reached_call, django_capture_on_commit_callbacks)
    outbox_deliver_due(now=timezone.now() + timedelta(hours=1))  # the second try: it stops

    message = Message.objects.get(event="close_loop_email_queued")
    assert message.failed_at is not None
    shown = _email_on_page(client, reached_call)
    assert 'data-delivery="failed"' in shown and "Not sent to mette@customer.test" in shown
    assert "Reason: " in shown and "Errno" in shown

    _smtp_back(settings)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_retry(message_ids=[message.pk])
    assert len(mail.outbox) == 1
    assert 'data-delivery="sent"' in _email_on_page(client, reached_call)


def test_delivering_twice_sends_once(am, reached_call, settings):
    _smtp_back(settings)
    email = close_loop_email_queue(call_id=reached_call.pk, by=am, **EMAIL)
    assert mail.outbox == []  # queued: nothing goes out before the commit
    close_loop_email_deliver(email_id=email.pk)
    close_loop_email_deliver(email_id=email.pk)
    assert len(mail.outbox) == 1
