"""The transactional outbox (see OutboxMessage).

    outbox_enqueue("followups.services.call_queue_for_response", response_id=r.pk)

The handler runs once, in a worker (or in-process when embedded), after the
enclosing transaction commits; if Redis is down then, beat re-drives it later.
Handlers must take keyword arguments that are JSON values.
"""

import atexit
import json
import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxMessage

log = logging.getLogger(__name__)

# A message dispatched this long ago and still not done is dispatched again.
REDRIVE_AFTER = timedelta(minutes=2)


def outbox_enqueue(handler: str, **kwargs) -> OutboxMessage:
    message = OutboxMessage.objects.create(handler=handler, kwargs=kwargs)
    transaction.on_commit(lambda: _dispatch(message.pk))
    return message


# Written out rather than by bulk_create: every answer enqueues, and compiling the
# ORM's INSERT cost more CPU than running it. PostgreSQL and SQLite both take it.
# The table and the columns a new message is written with, in the order of the values
# (handler, kwargs as JSON, created_at, dispatched_at, 0, ''); feedback.answering writes
# the same rows in its one-statement save on PostgreSQL.
OUTBOX_TABLE_COLUMNS = (
    f"{OutboxMessage._meta.db_table} (handler, kwargs, created_at, dispatched_at, attempts, last_error)"
)
_OUTBOX_INSERT = f"INSERT INTO {OUTBOX_TABLE_COLUMNS} VALUES {{rows}} RETURNING id"


def outbox_enqueue_many(calls: list[tuple[str, dict]], *, now=None) -> list[int]:
    """Several messages in one INSERT, handed to the broker together after the commit:
    the same guarantees as outbox_enqueue, fewer round trips on a hot path. Returns
    their ids.

    dispatched_at is written with the rows (no second transaction after the commit);
    if the broker does not take them, it is cleared again so the re-drive picks them
    up at once (and even if that failed, the re-drive takes them after REDRIVE_AFTER)."""
    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    params = []
    for handler, kwargs in calls:
        params += [handler, json.dumps(kwargs), now, now]
    rows = ", ".join(["(%s, %s, %s, %s, 0, '')"] * len(calls))
    with connection.cursor() as cursor:
        cursor.execute(_OUTBOX_INSERT.format(rows=rows), params)
        ids = [row[0] for row in cursor.fetchall()]
    outbox_hand_off(ids)
    return ids


def outbox_hand_off(message_ids: list[int]) -> None:
    """Hand rows just written (with dispatched_at set, as outbox_enqueue_many writes
    them) to the broker when the transaction commits; at once outside one."""
    transaction.on_commit(lambda: _hand_off(message_ids))


def _hand_off(message_ids: list[int]) -> None:
    from config.celery import app

    if app.conf.task_always_eager:  # embedded: the handlers run now, in-process
        _dispatch_many(message_ids)
    else:
        _handoff.submit(message_ids)


class _Handoff:
    """Publishes committed outbox ids from one background thread per process, the ids
    of everything enqueued within `linger` seconds of each other in one Celery message.

    Publishing a Celery message took about as much CPU as the rest of saving an answer
    (bench/answer_load.py); the answers of a busy moment now share one, and the
    customer's request does not wait for the broker at all. A process that dies with
    ids still here loses no work: the rows are in the database, dispatched_at set,
    and the re-drive publishes them after REDRIVE_AFTER."""

    def __init__(self, linger: float):
        self.linger = linger
        self._ids: list[int] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, message_ids: list[int]) -> None:
        with self._lock:
            self._ids.extend(message_ids)
            # Started on first use, so after gunicorn or Celery forked (a thread does not survive a fork).
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox-handoff", daemon=True)
                self._thread.start()
        self._wake.set()

    def flush(self) -> None:
        """Publish whatever is waiting, now (also at exit, for short-lived commands)."""
        with self._lock:
            message_ids, self._ids = self._ids, []
            self._wake.clear()
        if message_ids:
            _dispatch_many(message_ids)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.linger)
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the thread must live on; the re-drive has the rows
                log.exception("outbox hand-off failed; beat will re-drive")
            finally:
                connections.close_all()  # this thread's own, if the broker-down path opened one


_handoff = _Handoff(linger=settings.OUTBOX_HANDOFF_LINGER)
atexit.register(_handoff.flush)


def _dispatch_many(message_ids: list[int]) -> None:
    from .tasks import outbox_deliver_many

    try:
        # One broker message for the batch (retry=False: see _dispatch).
        outbox_deliver_many.apply_async(args=[message_ids], retry=False)
    except Exception:  # noqa: BLE001 - broker down: the re-drive takes them
        log.warning("outbox %s not dispatched; beat will re-drive them", message_ids, exc_info=True)
        OutboxMessage.objects.filter(pk__in=message_ids, done_at__isnull=True).update(dispatched_at=None)


def _dispatch(message_id: int) -> None:
    from .tasks import outbox_deliver

    try:
        # retry=False: with the broker down, fail now and leave it to the re-drive,
        # rather than keep the customer's request waiting.
        outbox_deliver.apply_async(args=[message_id], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure means "later", never a lost answer
        log.warning("outbox %s not dispatched; beat will re-drive it", message_id, exc_info=True)
        return
    OutboxMessage.objects.filter(pk=message_id, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )


def outbox_deliver(*, message_id: int) -> bool:
    """Run one message's handler once. Returns False when it was already done."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.done_at is not None:
            return False
        handler = import_string(message.handler)
        handler(**message.kwargs)
        message.done_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["done_at", "attempts"])
    return True


def outbox_pending_ids(now=None) -> list[int]:
    now = now or timezone.now()
    stale = now - REDRIVE_AFTER
    return list(
        OutboxMessage.objects.filter(done_at__isnull=True, created_at__lt=now - timedelta(seconds=30))
        .exclude(dispatched_at__gte=stale)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )


def outbox_redrive() -> int:
    """Dispatch what the broker did not take, or what no worker finished."""
    ids = outbox_pending_ids()
    for message_id in ids:
        OutboxMessage.objects.filter(pk=message_id).update(dispatched_at=None)
        _dispatch(message_id)
    return len(ids)
