""""Forgot your password?": the page and its time are the same whether or not the address
has an account; the worker sends the link through the outbox, and the limits per email
and per address stop the sending, never the page."""

import logging

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outbox.models import Message
from outbox.services import outbox_deliver
from tests.smtp import free_port

pytestmark = pytest.mark.django_db

UNKNOWN = "nobody@pulse.test"


def _ask(client, email, address="127.0.0.1"):
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/password/reset/", {"email": email}, REMOTE_ADDR=address)
    return response, len(queries)


def _seen(response) -> tuple:
    """All an asker sees of the answer."""
    return response.status_code, tuple(sorted(response.items())), response.content


def _deliver() -> list[bool]:
    return [outbox_deliver(message_id=pk) for pk in Message.objects.filter(event="password_reset_asked")
            .filter(done_at__isnull=True).order_by("pk").values_list("pk", flat=True)]


def _link_path(message) -> str:
    link = next(line for line in message.body.splitlines() if "/password/reset/" in line)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_a_known_and_an_unknown_email_get_the_same_answer_with_the_same_queries(client, am):
    known, known_queries = _ask(client, am.email)
    unknown, unknown_queries = _ask(client, UNKNOWN)

    assert _seen(known) == _seen(unknown)
    assert known.status_code == 302 and known["Location"] == "/password/reset/sent/"
    assert known_queries == unknown_queries
    # Nothing is sent in the request: both asks wait in the outbox, alike.
    assert mail.outbox == []
    assert [m.kwargs for m in Message.objects.order_by("pk")] == [
        {"email": am.email, "language": "en"}, {"email": UNKNOWN, "language": "en"}]


def test_the_worker_sends_one_link_for_the_known_email_none_for_the_unknown(client, am):
    _ask(client, "  ANNA@Pulse.test ")  # as typed: the account is found all the same
    _ask(client, UNKNOWN)
    assert _deliver() == [True, True]

    [sent] = mail.outbox
    assert sent.to == [am.email] and sent.subject == "Set your Pulse password"
    assert _link_path(sent).startswith("/password/reset/")


def test_the_link_sets_a_password(client, am):
    _ask(client, am.email)
    _deliver()
    response = client.get(_link_path(mail.outbox[0]), follow=True)
    assert b"Choose a new password" in response.content
    new = {"new_password1": "a-Fresh-pass-42", "new_password2": "a-Fresh-pass-42"}
    assert client.post(response.redirect_chain[-1][0], new).status_code == 302
    am.refresh_from_db()
    assert am.check_password("a-Fresh-pass-42")


def test_the_worker_writes_in_the_language_of_the_page(client, am):
    client.post("/password/reset/", {"email": am.email}, HTTP_ACCEPT_LANGUAGE="da")
    assert Message.objects.get(event="password_reset_asked").kwargs["language"] == "da"


def test_the_link_comes_in_the_language_the_user_chose_whatever_the_page(client, am):
    am.language = "da"
    am.save(update_fields=["language"])
    client.post("/password/reset/", {"email": am.email}, HTTP_ACCEPT_LANGUAGE="en")
    assert _deliver() == [True]
    assert "adgangskode" in mail.outbox[0].subject.lower() + mail.outbox[0].body.lower()

    am.language = ""  # no choice: the page's language
    am.save(update_fields=["language"])
    mail.outbox.clear()
    client.post("/password/reset/", {"email": am.email}, HTTP_ACCEPT_LANGUAGE="en")
    assert _deliver() == [True]
    assert "password" in mail.outbox[0].subject.lower()


def test_a_mail_server_that_is_down_leaves_the_link_to_be_retried(client, am, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", free_port(), False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    _ask(client, am.email)
    assert _deliver() == [False]
    message = Message.objects.get(event="password_reset_asked")
    assert message.attempts == 1 and message.failed_at is None and "Connection refused" in message.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _deliver() == [True]
    assert len(mail.outbox) == 1


def test_asks_beyond_the_limit_per_email_send_nothing_and_look_the_same(client, am, settings, caplog):
    settings.PASSWORD_RESET_RATE_PER_EMAIL = "3/h"
    answers = [_ask(client, am.email, address=f"10.0.0.{n}")[0] for n in range(5)]
    answers.append(_ask(client, UNKNOWN, address="10.0.0.9")[0])  # another email: not limited

    assert len({_seen(response) for response in answers}) == 1
    assert "asked too often" in caplog.text
    _deliver()
    assert [m.to for m in mail.outbox] == [[am.email]] * 3


def test_asks_beyond_the_limit_per_address_send_nothing_and_look_the_same(client, am, settings, caplog):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "4/h"
    caplog.set_level(logging.WARNING, logger="surveys.staff")
    answers = [_ask(client, f"someone{n}@pulse.test", address="10.0.0.1")[0] for n in range(4)]
    answers.append(_ask(client, am.email, address="10.0.0.1")[0])  # the fifth: limited
    answers.append(_ask(client, am.email, address="10.0.0.2")[0])  # another address: sent

    assert len({_seen(response) for response in answers}) == 1
    assert Message.objects.filter(event="password_reset_asked").count() == 5
    assert "asked too often (from 10.0.0.1)" in caplog.text
    _deliver()
    assert [m.to for m in mail.outbox] == [[am.email]]


def test_the_admins_set_password_link_is_sent_at_once_and_works(client, admin_user, am):
    client.force_login(admin_user)
    response = client.post("/admin/surveys/user/", {"action": "send_set_password_link", "_selected_action": [am.pk]},
                           follow=True)
    assert b"Sent a set-password link to 1 staff" in response.content
    [sent] = mail.outbox
    assert sent.to == [am.email]
    client.logout()
    response = client.get(_link_path(sent), follow=True)
    assert b"Choose a new password" in response.content
