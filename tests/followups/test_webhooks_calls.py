"""call.closed reaches a real receiver on loopback, signed, when an attempt closes a call,
and not for an attempt that leaves it open."""

from django.db import transaction

from feedback.answering import response_submit
from followups.models import Attempt, Call
from followups.services import attempt_log
from surveys.models import WebhookDelivery
from surveys.tokens import invitation_token
from tests.factories import ContactFactory, InvitationFactory


def test_a_closed_call_is_told_once(webhook_endpoint, webhook_receiver, account, am,
                                    django_capture_on_commit_callbacks):
    invitation = InvitationFactory(contact=ContactFactory(account=account, email="dan@customer.test"))
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(token=invitation_token(invitation), score=2, reason="Late")
    call = Call.objects.get()
    webhook_receiver.wait_for(1)  # answer.created
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            attempt_log(call_id=call.pk, by=am, outcome=Attempt.Outcome.NO_ANSWER)
    assert not WebhookDelivery.objects.filter(event_type="call.closed").exists()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            attempt_log(call_id=call.pk, by=am, outcome=Attempt.Outcome.DECLINED, note="Not now")

    _, closed = webhook_receiver.wait_for(2)
    assert closed.verified
    assert closed.payload["type"] == "call.closed"
    data = closed.payload["data"]
    assert data["call"]["id"] == call.pk and data["call"]["state"] == "declined"
    assert data["call"]["answer_id"] == call.response_id and data["call"]["attempts"] == 2
    assert data["contact"] == {"id": call.contact_id, "email": "dan@customer.test"}
    assert len(webhook_receiver.all()) == 2
