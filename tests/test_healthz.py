"""GET /healthz: the database, the broker and whether a worker answers."""

import os

import pytest

from tests.conftest import needs
from tests.smtp import free_port

NO_OUTBOX_TROUBLE = {"outbox": {"failed": 0, "stuck": 0}}


def test_healthz_in_the_services_configuration_with_a_real_worker(client, celery_worker_process, settings):
    celery_worker_process()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "ok", **NO_OUTBOX_TROUBLE}


def test_healthz_says_the_worker_is_down_when_none_answers(client, db, settings):
    needs("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "down", **NO_OUTBOX_TROUBLE}


@pytest.fixture
def broker_nobody_listens_on():
    from config.celery import app

    # The raw value, not the property: that falls back to broker_url, and restoring it
    # would pin every later publish to this run's broker URL.
    before = app.conf.get("broker_write_url")
    app.conf.broker_write_url = f"redis://127.0.0.1:{free_port()}/0"
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_write_url = before
    app._pool = None
    app.amqp._producer_pool = None


def test_healthz_says_the_broker_is_down_when_redis_is_unreachable(client, db, settings, broker_nobody_listens_on):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "down", "worker": "unknown", **NO_OUTBOX_TROUBLE}


def test_healthz_counts_failed_and_stuck_outbox_rows(client, db):
    from datetime import timedelta

    from django.utils import timezone

    from outbox.models import Message

    now = timezone.now()
    Message.objects.create(event="answer_saved", handler="route", failed_at=now, attempts=8, last_error="boom")
    Message.objects.create(event="answer_saved", handler="route", next_try_at=now - timedelta(hours=1))
    Message.objects.create(event="answer_saved", handler="route", next_try_at=now)  # due now: not stuck yet
    Message.objects.create(event="answer_saved", handler="route", done_at=now, next_try_at=now - timedelta(hours=1))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["outbox"] == {"failed": 1, "stuck": 1}
