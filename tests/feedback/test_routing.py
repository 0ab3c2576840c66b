"""The detractor alert: routed through the outbox after an answer is saved, emailed once
to the account's owner over real SMTP, linking to the answer's page."""


from django.db import transaction

from feedback.answering import response_submit
from feedback.models import MonthSummary, Response
from feedback.routing import response_route
from feedback.services import notification_settings_update
from outbox.models import Message
from outbox.services import outbox_deliver, outbox_publish
from surveys.tokens import invitation_token
from tests import factories


def _route(response, django_capture_on_commit_callbacks):
    """As the answer page does: publish the answer in the saving transaction."""
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            outbox_publish("answer_saved", response_id=response.pk)


def test_detractor_emails_owner_once_with_link(world, smtp_server, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://pulse.example.com"
    _route(world.response, django_capture_on_commit_callbacks)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == world.am.email
    assert "Detractor" in message["Subject"] and "Carla Customer" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"https://pulse.example.com/answers/{world.response.pk}/"
    assert link in text and link in html
    assert "Late <b>deliveries</b>" in text
    assert "Late &lt;b&gt;deliveries&lt;/b&gt;" in html  # the customer's words, escaped
    # Re-delivered message, or a second route for the same answer: no second email.
    message_id = Message.objects.get(handler="route").pk
    Message.objects.filter(pk=message_id).update(done_at=None)
    outbox_deliver(message_id=message_id)
    response_route(response_id=world.response.pk)
    assert smtp_server.count() == 1
    assert Response.objects.get(pk=world.response.pk).alerted_at is not None


def test_promoter_passive_and_suspect_do_not_alert(world, smtp_server, django_capture_on_commit_callbacks):
    suspect = factories.ResponseFactory(invitation__contact__account=world.account, score=1, suspect=True)
    _route(world.other_response, django_capture_on_commit_callbacks)
    _route(suspect, django_capture_on_commit_callbacks)
    assert smtp_server.count() == 0
    assert Response.objects.get(pk=suspect.pk).alerted_at is None


def test_changed_to_detractor_alerts_then(world, smtp_server, django_capture_on_commit_callbacks):
    r = factories.ResponseFactory(invitation__contact__account=world.account, score=9)
    _route(r, django_capture_on_commit_callbacks)
    assert smtp_server.count() == 0
    r.refresh_from_db()
    r.set_score(2)
    r.save()
    _route(r, django_capture_on_commit_callbacks)
    smtp_server.wait_for(1)
    r.refresh_from_db()  # as the answer page does: it loads the answer, changes it, saves it
    r.set_score(4)
    r.save()
    _route(r, django_capture_on_commit_callbacks)
    assert smtp_server.count() == 1


def test_failed_send_is_retried_and_not_lost(world, smtp_server, django_capture_on_commit_callbacks):
    smtp_server.reject_next = ["451"]
    _route(world.response, django_capture_on_commit_callbacks)
    assert Response.objects.get(pk=world.response.pk).alerted_at is None
    message = Message.objects.get(handler="route")
    assert message.done_at is None
    assert message.attempts == 1 and "451" in message.last_error  # recorded, tried again later
    assert outbox_deliver(message_id=message.pk)  # the retry
    assert len(smtp_server.wait_for(1)) == 1


def test_owner_who_turned_alerts_off_gets_none(world, smtp_server, django_capture_on_commit_callbacks):
    notification_settings_update(user=world.am, detractor_alerts=False, digest="off")
    _route(world.response, django_capture_on_commit_callbacks)
    assert smtp_server.count() == 0


def test_the_answer_is_counted_before_routing_runs(world, django_capture_on_commit_callbacks):
    """The summaries count an answer in its own transaction; routing does not touch them."""
    invitation = factories.InvitationFactory(contact__account=world.account)
    before = sum(s.promoters for s in MonthSummary.objects.filter(account=world.account))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response_submit(token=invitation_token(invitation), score=10)
    assert callbacks  # routing and the call wait for the commit's callbacks, not run here
    after = sum(s.promoters for s in MonthSummary.objects.filter(account=world.account))
    assert after == before + 1
