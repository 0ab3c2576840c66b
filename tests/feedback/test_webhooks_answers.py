"""answer.created and answer.changed reach a real receiver on loopback, signed (the
specification's receiver side verifies them), once per answer and once per change."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from feedback.answering import response_submit
from surveys.models import WebhookDelivery
from surveys.tokens import invitation_token
from tests.factories import ContactFactory, InvitationFactory


def _answer(capture, invitation, score, reason="", now=None):
    with capture(execute=True):
        with transaction.atomic():
            response_submit(token=invitation_token(invitation), score=score, reason=reason, now=now)


def test_an_answer_and_its_change_are_each_told_once(
    webhook_endpoint, webhook_receiver, account, django_capture_on_commit_callbacks
):
    contact = ContactFactory(account=account, email="carla@customer.test", name="Carla Customer")
    invitation = InvitationFactory(contact=contact)
    _answer(django_capture_on_commit_callbacks, invitation, 3, "Invoices are wrong")

    [created] = webhook_receiver.wait_for(1)
    assert created.verified
    assert created.payload["type"] == "answer.created"
    answer = created.payload["data"]["answer"]
    assert (answer["score"], answer["category"], answer["reason"]) == (3, "detractor", "Invoices are wrong")
    assert created.payload["data"]["contact"] == {"id": contact.pk, "email": "carla@customer.test"}
    assert created.payload["data"]["account"]["id"] == account.pk
    assert "Carla" not in created.body.decode()  # no more personal data than a CRM matches on

    # The same answer sent again changes nothing and tells nobody; a change is told.
    _answer(django_capture_on_commit_callbacks, invitation, 3, "Invoices are wrong")
    _answer(django_capture_on_commit_callbacks, invitation, 9, "Sorted out", now=timezone.now() + timedelta(minutes=5))
    _, changed = webhook_receiver.wait_for(2)
    assert changed.verified
    assert changed.payload["type"] == "answer.changed"
    assert changed.payload["data"]["answer"]["id"] == answer["id"]
    assert (changed.payload["data"]["answer"]["score"], changed.payload["data"]["answer"]["category"]) == (
        9, "promoter")
    assert changed.webhook_id != created.webhook_id
    assert len(webhook_receiver.all()) == 2
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event_type", "attempts", "last_status")) == [
        ("answer.created", 1, 200), ("answer.changed", 1, 200)]


def test_the_handler_run_twice_makes_one_delivery(webhook_endpoint, webhook_receiver, account,
                                                 django_capture_on_commit_callbacks):
    from feedback.webhooks import answer_webhooks

    invitation = InvitationFactory(contact=ContactFactory(account=account))
    _answer(django_capture_on_commit_callbacks, invitation, 10)
    response_id = WebhookDelivery.objects.get().payload["data"]["answer"]["id"]
    assert answer_webhooks(response_id=response_id) == []  # the outbox ran the handler again
    assert WebhookDelivery.objects.count() == 1
