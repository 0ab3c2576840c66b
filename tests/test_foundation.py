import json

import pytest
from django.urls import reverse

from tests.factories import UserFactory


def test_healthz_says_the_worker_is_down_when_none_listens(client, db):
    # Embedded, the broker is a folder (the tests' own, see conftest): it is there, and
    # no worker listens on it. tests/test_process_model.py sees one answer.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "database": "ok", "broker": "ok", "worker": "down", "outbox": {"failed": 0, "stuck": 0},
    }


def test_healthz_says_the_folder_broker_is_down_when_it_cannot_write(client, db, tmp_path):
    from config.celery import app

    # The embedded configuration's folder broker, in every configuration (the Redis one's
    # outage is tests/test_healthz.py's).
    before_url, before_options = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = "filesystem://localhost/"
    gone = str(tmp_path / "gone")
    app.conf.broker_transport_options = {"data_folder_in": gone, "data_folder_out": gone}
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = before_url, before_options
    assert json.loads(response.content) == {
        "database": "ok", "broker": "down", "worker": "unknown", "outbox": {"failed": 0, "stuck": 0},
    }


def test_home_sends_signed_out_user_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


@pytest.mark.parametrize(
    "role, home",
    [("am", "feedback:inbox"), ("rm", "reports:region_home"), ("director", "reports:org_home"),
     ("admin", "reports:org_home")],
)
def test_home_sends_each_role_to_their_home(client, db, role, home):
    user = UserFactory(role=role)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(home)
    assert client.get(response["Location"]).status_code == 200


def test_sign_in_with_email_is_case_insensitive(client, am, password):
    response = client.post("/signin/", {"username": "ANNA@pulse.test", "password": password})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_failed_sign_ins_are_throttled(client, am, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/signin/", {"username": am.email, "password": "wrong"})
        assert response.status_code == 200
        assert b"Please enter a correct" in response.content
    response = client.post("/signin/", {"username": am.email, "password": "wrong"})
    assert response.status_code == 429
    # Locked now, even with the right password.
    response = client.post("/signin/", {"username": am.email, "password": password})
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content


def test_outbox_lists_and_renders_mail_when_debug(client, db, settings):
    from django.core.mail import EmailMultiAlternatives
    from django.test.utils import override_settings

    with override_settings(EMAIL_BACKEND="surveys.mailbox.MailDirBackend"):
        msg = EmailMultiAlternatives("Hello <there>", "Plain https://example.com/x", to=["c@customer.test"])
        msg.attach_alternative('<p><a href="https://example.com/x">Click</a></p>', "text/html")
        msg.send()
    settings.DEBUG = True
    listing = client.get(reverse("mail_outbox"))
    assert listing.status_code == 200
    assert b"Hello &lt;there&gt;" in listing.content
    name = listing.context["mails"][0].name
    detail = client.get(reverse("mail_outbox_message", args=[name]))
    assert detail.status_code == 200
    assert b"https://example.com/x" in detail.content
    assert client.get(reverse("mail_outbox_message", args=["..%2Fsettings.eml"])).status_code == 404


def test_outbox_is_hidden_without_debug(client, db, settings):
    settings.DEBUG = False
    assert client.get(reverse("mail_outbox")).status_code == 404
