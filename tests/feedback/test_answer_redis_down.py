"""An answer is saved and the customer thanked while Redis (broker and cache) is down;
the follow-up work happens once when Redis and a worker are back.

Services configuration only: a redis-server of this test's own on a free port is
killed and restarted (the shared one is never touched), and a real worker runs the
outbox's waiting rows.
"""

import os
import shutil
import subprocess
import time

import pytest
from django.utils import timezone

from feedback.models import Response
from outbox.models import Message
from outbox.services import outbox_deliver, outbox_deliver_due
from outbox.tasks import outbox_deliver_due as outbox_deliver_due_task
from tests.conftest import needs
from tests.factories import ContactFactory, InvitationFactory
from tests.feedback.answer_support import answer_path, fresh_rate_limits, post_answer  # noqa: F401
from tests.smtp import free_port

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.usefixtures("fresh_rate_limits")]


class OwnRedis:
    """A redis-server process of our own: start, kill, start again on the same port."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"own redis-server on port {self.port} did not start")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path, settings):
    """Our own Redis as the in-process Celery app's broker and as the cache."""
    needs("redis-server", bool(shutil.which("redis-server")))
    needs("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    from config.celery import app

    server = OwnRedis(tmp_path).start()
    before = app.conf.broker_url
    app.conf.broker_url = server.url
    _forget_broker_connections(app)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}}
    yield server
    server.kill()
    app.conf.broker_url = before
    _forget_broker_connections(app)


def _forget_broker_connections(app):
    """Pools made for the previous broker URL (the app's and kombu's process-wide ones,
    which earlier tests in the run filled) must not serve the new one."""
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


def test_answer_survives_redis_down_and_the_work_runs_once_when_back(
    client, account, own_redis, celery_worker_process
):
    contact = ContactFactory(account=account, name="Carla Customer")
    invitation = InvitationFactory(contact=contact)

    own_redis.kill()

    # The page and the answer need neither the broker nor the cache.
    assert client.get(answer_path(invitation, score=2)).status_code == 200
    response = post_answer(client, invitation, score="2", reason="Invoices are wrong")
    assert response.status_code == 200
    assert "Anna from Acme will call you to hear more." in response.content.decode()
    answer = Response.objects.get()
    assert (answer.score, answer.reason, answer.suspect) == (2, "Invoices are wrong", False)
    pending = Message.objects.filter(kwargs={"response_id": answer.pk})
    assert sorted(pending.values_list("handler", flat=True)) == ["queue_call", "route", "themes", "webhooks"]
    # Nothing went to the broker: the rows wait, due, for a worker's poll.
    assert not pending.filter(done_at__isnull=False).exists()
    assert not pending.filter(next_try_at__gt=timezone.now()).exists()

    # Redis back on the same port, a real worker, then beat's poll.
    own_redis.start()
    celery_worker_process(REDIS_URL=own_redis.url)
    outbox_deliver_due_task.delay()

    deadline = time.monotonic() + 60
    while pending.filter(done_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pending.filter(done_at__isnull=True).exists(), "the worker did not run the waiting work"

    # Exactly once: one attempt each, nothing left to run, a second delivery is a no-op.
    assert list(pending.values_list("attempts", flat=True)) == [1, 1, 1, 1]
    assert outbox_deliver_due() == 0
    for message in pending:
        assert outbox_deliver(message_id=message.pk) is False
    assert list(pending.values_list("attempts", flat=True)) == [1, 1, 1, 1]
    assert Response.objects.count() == 1
