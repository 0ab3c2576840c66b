"""The outbox: events written with the change that causes them, each handler run once
after the commit, failures recorded and retried with backoff, stopped after N tries."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.events import HANDLERS
from outbox.models import Message
from outbox.services import (
    CLAIM_FOR,
    UnknownHandler,
    outbox_deliver,
    outbox_deliver_due,
    outbox_publish,
    outbox_retry,
    retry_delay,
)

pytestmark = pytest.mark.django_db

RAN: list[dict] = []


def _note(**kwargs):
    RAN.append(kwargs)


def _boom(**kwargs):
    raise RuntimeError(f"the handler broke on {kwargs}")


@pytest.fixture
def events(monkeypatch):
    """A test event with a handler that works and one that fails, beside the real ones."""
    RAN.clear()
    monkeypatch.setitem(HANDLERS, "test_event", {"note": _note, "boom": _boom})
    yield
    RAN.clear()


def test_every_event_handler_is_a_function():
    assert set(HANDLERS) >= {"answer_saved", "suspect_answer_saved", "owner_changed"}
    assert all(callable(handler) for handlers in HANDLERS.values() for handler in handlers.values())


def test_publish_writes_a_row_per_handler_and_runs_them_after_the_commit(events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = outbox_publish("test_event", thing_id=7)
        assert RAN == []  # nothing runs before the commit
    rows = {m.handler: m for m in Message.objects.filter(pk__in=ids)}
    assert set(rows) == {"note", "boom"}
    assert all(m.event == "test_event" and m.kwargs == {"thing_id": 7} for m in rows.values())
    assert RAN == [{"thing_id": 7}]
    assert rows["note"].done_at is not None and rows["note"].attempts == 1 and rows["note"].last_error == ""
    # The failing one failed alone: recorded, to be tried again later.
    assert rows["boom"].done_at is None and rows["boom"].attempts == 1


def test_publishing_an_unknown_event_fails_at_once():
    with pytest.raises(UnknownHandler):
        outbox_publish("no_such_event", thing_id=1)
    assert not Message.objects.exists()


def test_a_delivered_row_does_not_run_again(events):
    message = Message.objects.create(event="test_event", handler="note", kwargs={"n": 1})
    assert outbox_deliver(message_id=message.pk) is True
    assert outbox_deliver(message_id=message.pk) is False
    assert RAN == [{"n": 1}]
    message.refresh_from_db()
    assert message.attempts == 1


def test_a_failing_handler_records_each_attempt_backs_off_and_stops_after_n(events, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    now = timezone.now()
    message = Message.objects.create(event="test_event", handler="boom", kwargs={"n": 2}, next_try_at=now)
    waits = []
    for attempt in range(1, 4):
        assert outbox_deliver(message_id=message.pk, now=now) is False
        message.refresh_from_db()
        assert message.attempts == attempt
        assert message.last_error == "RuntimeError: the handler broke on {'n': 2}"
        assert message.failed_at is None and message.done_at is None
        waits.append(message.next_try_at - now)
        now = message.next_try_at
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert outbox_deliver(message_id=message.pk, now=now) is False  # the N-th: it stops
    message.refresh_from_db()
    assert (message.attempts, message.failed_at) == (4, now)
    # Stopped for good: neither the poll nor a late delivery runs it again.
    assert outbox_deliver_due(now=now + timedelta(days=1)) == 0
    assert outbox_deliver(message_id=message.pk, now=now) is False
    assert Message.objects.get(pk=message.pk).attempts == 4


def test_backoff_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]


def test_a_row_of_an_unknown_event_or_handler_records_the_error(events, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    renamed = Message.objects.create(event="answer_saved_v0", handler="route", kwargs={"response_id": 1})
    gone = Message.objects.create(event="test_event", handler="no_such_handler", kwargs={})
    for message, error in ((renamed, "unknown outbox event 'answer_saved_v0'"),
                           (gone, "event 'test_event' has no handler 'no_such_handler'")):
        assert outbox_deliver(message_id=message.pk) is False
        message.refresh_from_db()
        assert message.attempts == 1 and error in message.last_error and message.failed_at is None
        assert outbox_deliver(message_id=message.pk) is False  # the last try: stopped, not looping
        message.refresh_from_db()
        assert message.attempts == 2 and message.failed_at is not None


def test_the_poll_runs_what_is_due_and_nothing_else(events):
    now = timezone.now()
    due = Message.objects.create(event="test_event", handler="note", kwargs={"n": "due"}, next_try_at=now)
    Message.objects.create(event="test_event", handler="note", kwargs={"n": "later"},
                           next_try_at=now + timedelta(minutes=1))
    Message.objects.create(event="test_event", handler="note", kwargs={"n": "done"}, next_try_at=now, done_at=now)
    assert outbox_deliver_due(now=now) == 1
    assert RAN == [{"n": "due"}]
    due.refresh_from_db()
    assert due.done_at is not None


def test_with_a_worker_the_request_only_writes_rows_the_poll_runs_them(events, django_capture_on_commit_callbacks):
    from config.celery import app

    app.conf.task_always_eager = False  # as with a broker: nothing runs in-process (restored by conftest)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = outbox_publish("test_event", n=3)
    assert RAN == []
    rows = Message.objects.filter(pk__in=ids)
    assert all(m.next_try_at <= timezone.now() and m.done_at is None for m in rows)  # due at once
    now = timezone.now()
    assert outbox_deliver_due(now=now) == 1  # "note" ran; "boom" failed and waits
    assert RAN == [{"n": 3}]
    boom = rows.get(handler="boom")
    assert boom.next_try_at == now + retry_delay(1) and boom.attempts == 1


def test_a_claimed_row_is_left_alone_until_its_claim_runs_out(events):
    from outbox.services import _claim_due

    now = timezone.now()
    message = Message.objects.create(event="test_event", handler="note", kwargs={"n": 6}, next_try_at=now)
    assert _claim_due(now) == [message.pk]  # a worker took it, and died before running it
    assert _claim_due(now) == []
    assert outbox_deliver_due(now=now + CLAIM_FOR) == 1
    assert RAN == [{"n": 6}]


def test_outbox_claim_seconds_sets_how_long_a_claim_lasts(events, settings):
    from outbox.services import _claim_due

    settings.OUTBOX_CLAIM_SECONDS = 10
    now = timezone.now()
    message = Message.objects.create(event="test_event", handler="note", kwargs={"n": 7}, next_try_at=now)
    assert _claim_due(now) == [message.pk]  # and the database went away before the attempt was recorded
    assert outbox_deliver_due(now=now + timedelta(seconds=9)) == 0
    assert outbox_deliver_due(now=now + timedelta(seconds=10)) == 1
    assert RAN == [{"n": 7}]


def test_retry_runs_a_failed_row_again_with_fresh_attempts(events, django_capture_on_commit_callbacks):
    now = timezone.now()
    message = Message.objects.create(event="test_event", handler="note", kwargs={"n": 4}, attempts=8,
                                     failed_at=now, last_error="RuntimeError: SMTP was down")
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_retry(message_ids=[message.pk]) == 1
    message.refresh_from_db()
    assert (message.attempts, message.failed_at, message.last_error) == (1, None, "")
    assert message.done_at is not None and RAN == [{"n": 4}]


def test_admin_lists_failed_rows_and_retries_them(client, admin_user, events, django_capture_on_commit_callbacks):
    failed = Message.objects.create(event="test_event", handler="note", kwargs={"n": 5}, attempts=8,
                                    failed_at=timezone.now(), last_error="Traceback...\nRuntimeError: SMTP was down")
    Message.objects.create(event="test_event", handler="note", done_at=timezone.now())
    client.force_login(admin_user)
    page = client.get("/admin/outbox/message/?state=failed")
    assert page.status_code == 200
    html = page.content.decode()
    assert "RuntimeError: SMTP was down" in html and html.count('name="_selected_action"') == 1
    assert client.get(f"/admin/outbox/message/{failed.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/outbox/message/", {"action": "retry", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.done_at is not None and failed.failed_at is None
    assert RAN == [{"n": 5}]
