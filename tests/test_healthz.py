"""GET /healthz: the database, the broker and whether a worker answers."""

import os

import pytest

from tests.conftest import needs
from tests.smtp import free_port


def test_healthz_in_the_services_configuration_with_a_real_worker(client, celery_worker_process, settings):
    celery_worker_process()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "ok"}


def test_healthz_says_the_worker_is_down_when_none_answers(client, db, settings):
    needs("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "down"}


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
    assert response.json() == {"database": "ok", "broker": "down", "worker": "unknown"}
