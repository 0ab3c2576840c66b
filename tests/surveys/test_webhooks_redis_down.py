"""Done when: a webhook receiver gets each event once per delivery id, with valid
signatures, through a Redis outage.

Services configuration only: a redis-server of this test's own on a free port is killed
and started again (the machine's shared one is never touched); events happen while it is
down; then a real worker with beat delivers them to a real receiver on loopback."""

import time

import pytest
from django.db import transaction

from surveys.dispatch import waves_finish
from surveys.models import Wave, WebhookDelivery
from surveys.unsubscribe import contact_unsubscribe
from surveys.webhooks import webhooks_deliver_due
from tests.factories import ContactFactory, InvitationFactory, WaveFactory
from tests.feedback.answer_support import fresh_rate_limits, post_answer  # noqa: F401
from tests.feedback.test_answer_redis_down import own_redis  # noqa: F401

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.usefixtures("fresh_rate_limits", "own_redis")]


def test_each_event_reaches_the_receiver_once_through_a_redis_outage(
    request, client, account, webhook_endpoint, webhook_receiver, celery_worker_process
):
    redis = request.getfixturevalue("own_redis")
    redis.kill()

    # While Redis is down: a customer answers (the page needs no broker), another opts
    # out, and a wave finishes sending.
    answering = InvitationFactory(contact=ContactFactory(account=account))
    assert post_answer(client, answering, score="4", reason="Slow support").status_code == 200
    leaving = InvitationFactory(contact=ContactFactory(account=account))
    with transaction.atomic():
        contact_unsubscribe(invitation=leaving)
    wave = WaveFactory(month=answering.wave.month.replace(year=answering.wave.month.year - 1),
                       status=Wave.Status.SENDING)
    assert waves_finish() == 1
    assert webhook_receiver.all() == []  # nothing went out: the work waits in the database
    assert sorted(WebhookDelivery.objects.values_list("event_type", flat=True)) == [
        "contact.unsubscribed", "wave.sent"]  # the answer's waits in the outbox for its handler

    # Redis back on the same port; a real worker with beat polls the outbox and the deliveries.
    redis.start()
    celery_worker_process(beat=True, REDIS_URL=redis.url, WEBHOOKS_ALLOW_PRIVATE="true")
    received = webhook_receiver.wait_for(3, timeout=90)
    expected = {"answer.created", "contact.unsubscribed", "wave.sent"}
    assert {r.payload["type"] for r in received if r.payload} == expected, received

    # Exactly once per delivery id: once every attempt is recorded nothing is due, and no
    # poll (the worker's or ours) sends anything again.
    waiting = WebhookDelivery.objects.exclude(delivered_at__isnull=False, next_try_at__isnull=True)
    deadline = time.monotonic() + 30
    while waiting.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not waiting.exists()
    received = webhook_receiver.all()
    assert all(r.verified for r in received)
    ids = [r.webhook_id for r in received]
    assert len(ids) == len(set(ids)) == 3
    deliveries = WebhookDelivery.objects.all()
    assert {f"msg_{d.pk}" for d in deliveries} == set(ids)
    assert all(d.state == "delivered" and d.attempts == 1 for d in deliveries)
    assert webhooks_deliver_due() == 0
    assert [r.payload["data"]["wave"]["id"] for r in received if r.payload["type"] == "wave.sent"] == [wave.pk]
