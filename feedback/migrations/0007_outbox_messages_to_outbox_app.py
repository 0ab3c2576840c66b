"""The outbox moved to its own app (outbox.Message), where rows name a stable event and
handler key instead of a function's dotted path. Copy every old row over, then drop the
old table.

Rows not done yet are due at once: the Celery messages that carried them named tasks
that no longer exist, so a worker's next poll runs them. A row whose dotted
path maps to no event is copied as failed, with the reason, for a person to look at in
the admin.
"""

from django.db import migrations
from django.utils import timezone

# The old rows' handlers, as (event, handler key) in config/events.py.
LEGACY_HANDLERS = {
    "feedback.routing.response_route": ("answer_saved", "route"),
    "followups.services.call_queue_for_response": ("answer_saved", "queue_call"),
    "followups.services.calls_move_for_account": ("owner_changed", "move_calls"),
}
BATCH = 2000


def legacy_message_fields(*, handler: str, done_at, now) -> dict:
    """The new row's event, handler key and state for an old row's dotted `handler`."""
    if handler in LEGACY_HANDLERS:
        event, key = LEGACY_HANDLERS[handler]
        return {"event": event, "handler": key, "next_try_at": now}
    fields = {"event": "unknown", "handler": handler[:100], "next_try_at": now}
    if done_at is None:
        fields |= {"failed_at": now, "last_error": f"no outbox event for the old handler {handler!r}"}
    return fields


def copy_messages(apps, schema_editor):
    Old = apps.get_model("feedback", "OutboxMessage")
    New = apps.get_model("outbox", "Message")
    now = timezone.now()
    batch = []
    for old in Old.objects.order_by("pk").iterator(chunk_size=BATCH):
        fields = legacy_message_fields(handler=old.handler, done_at=old.done_at, now=now)
        batch.append(New(
            kwargs=old.kwargs, created_at=old.created_at, done_at=old.done_at, attempts=old.attempts,
            last_error=fields.pop("last_error", old.last_error), **fields,
        ))
        if len(batch) == BATCH:
            New.objects.bulk_create(batch)
            batch = []
    New.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ("feedback", "0006_response_category_index"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_messages, migrations.RunPython.noop),
        migrations.DeleteModel(name="OutboxMessage"),
    ]
