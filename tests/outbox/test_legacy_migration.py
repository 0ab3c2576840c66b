"""feedback 0007 copies the old feedback outbox rows (a dotted handler path each) into
outbox.Message (an event and a handler key)."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

migration = importlib.import_module("feedback.migrations.0007_outbox_messages_to_outbox_app")
BEFORE = [("feedback", "0006_response_category_index"), ("outbox", "0001_initial")]
AFTER = [("feedback", "0007_outbox_messages_to_outbox_app")]


def test_every_old_handler_maps_to_an_event_handler_of_today():
    from config.events import HANDLERS

    now = timezone.now()
    assert migration.legacy_message_fields(handler="feedback.routing.response_route", done_at=None, now=now) == {
        "event": "answer_saved", "handler": "route", "next_try_at": now,
    }
    assert migration.legacy_message_fields(
        handler="followups.services.call_queue_for_response", done_at=None, now=now
    ) == {"event": "answer_saved", "handler": "queue_call", "next_try_at": now}
    assert migration.legacy_message_fields(
        handler="followups.services.calls_move_for_account", done_at=None, now=now
    ) == {"event": "owner_changed", "handler": "move_calls", "next_try_at": now}
    for event, key in migration.LEGACY_HANDLERS.values():
        assert key in HANDLERS[event]


def test_an_unknown_old_handler_is_copied_as_failed_with_the_reason():
    now = timezone.now()
    fields = migration.legacy_message_fields(handler="feedback.gone.away", done_at=None, now=now)
    assert (fields["event"], fields["handler"], fields["failed_at"]) == ("unknown", "feedback.gone.away", now)
    assert "feedback.gone.away" in fields["last_error"]
    done = migration.legacy_message_fields(handler="feedback.gone.away", done_at=now, now=now)
    assert "failed_at" not in done  # history, nothing to do


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_the_rows_and_drops_the_old_table():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    Old = old_apps.get_model("feedback", "OutboxMessage")
    done = timezone.now()
    Old.objects.create(handler="feedback.routing.response_route", kwargs={"response_id": 1}, done_at=done,
                       attempts=1)
    Old.objects.create(handler="followups.services.call_queue_for_response", kwargs={"response_id": 2})
    Old.objects.create(handler="followups.services.calls_move_for_account", kwargs={"account_id": 3,
                       "new_owner_id": 4}, attempts=2, last_error="boom")
    Old.objects.create(handler="feedback.gone.away", kwargs={})

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    rows = {m.kwargs.get("response_id") or m.kwargs.get("account_id") or 0: m
            for m in new_apps.get_model("outbox", "Message").objects.all()}
    assert (rows[1].event, rows[1].handler, rows[1].done_at, rows[1].attempts) == ("answer_saved", "route", done, 1)
    assert (rows[2].event, rows[2].handler, rows[2].done_at) == ("answer_saved", "queue_call", None)
    assert rows[2].next_try_at <= timezone.now()  # due at once for a worker's poll
    assert (rows[3].event, rows[3].handler, rows[3].attempts, rows[3].last_error) == (
        "owner_changed", "move_calls", 2, "boom")
    assert rows[0].failed_at is not None and "feedback.gone.away" in rows[0].last_error
    assert "feedback_outboxmessage" not in connection.introspection.table_names()

    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
