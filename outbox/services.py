"""The transactional outbox: publish an event in the transaction that causes it; a
worker runs its handlers once each after the commit, retries with backoff, and stops
after a few tries.

    outbox_publish("answer_saved", response_id=response.pk)

writes one row per handler that config/events.py lists for the event, so a failing
handler retries alone. Rows are due at once; beat runs `outbox_deliver_due` every
half second (config/celery.py), and a worker claims the due rows and runs them. When tasks run
eagerly (embedded, and the tests) the rows run in-process right after the commit.
Publishing touches no broker: a request that saves an answer costs one INSERT more,
and works the same with Redis or the worker down.
Handlers take keyword arguments that are JSON values and must be safe to run twice.

This app imports no other app: config/events.py is read inside `event_handlers`.
"""

import json
import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Message

log = logging.getLogger(__name__)

# A claimed row not done this long after is claimed again: its worker died, or lost the
# database (a restart) before it could record the attempt. OUTBOX_CLAIM_SECONDS sets it.
CLAIM_FOR = timedelta(minutes=2)
# After the n-th failed attempt the next waits RETRY_BASE * 2**(n-1), at most RETRY_MAX.
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
# Rows claimed at a time, and at most per run of outbox_deliver_due.
CLAIM_BATCH = 50
RUN_AT_MOST = 1000


class UnknownHandler(LookupError):
    """An event or handler key that config/events.py does not list (any more)."""


def event_handlers(event: str) -> dict:
    """{handler key: function} of an event, as config/events.py maps them."""
    from config.events import HANDLERS  # here, not at the top: the outbox imports no app

    try:
        return HANDLERS[event]
    except KeyError:
        raise UnknownHandler(f"unknown outbox event {event!r}") from None


# Written out rather than by bulk_create: every answer publishes, and compiling the
# ORM's INSERT cost three times the CPU of running it (0.8 ms against 0.2 ms for the
# two rows of an answer). PostgreSQL and SQLite both take it.
_INSERT = (
    f"INSERT INTO {Message._meta.db_table} (event, handler, kwargs, created_at, next_try_at, attempts, last_error)"
    " VALUES {rows} RETURNING id"
)


def outbox_publish(event: str, **kwargs) -> list[int]:
    """Record `event` for each of its handlers, in the current transaction (due at once
    when it commits). Returns the rows' ids."""
    handlers = event_handlers(event)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values = json.dumps(kwargs)
    params = []
    for key in handlers:
        params += [event, key, values, now, now]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT.format(rows=", ".join(["(%s, %s, %s, %s, %s, 0, '')"] * len(handlers))), params)
        message_ids = [row[0] for row in cursor.fetchall()]
    _run_eagerly_on_commit(message_ids)
    return message_ids


def _run_eagerly_on_commit(message_ids: list[int]) -> None:
    """Where tasks run in-process there is no worker to poll: run the rows after the
    commit (at once outside a transaction)."""
    from config.celery import app

    if app.conf.task_always_eager:
        transaction.on_commit(lambda: outbox_deliver_many(message_ids=message_ids))


def outbox_deliver_due(*, now: datetime | None = None) -> int:
    """Claim the rows that are due (new, waiting to retry, or claimed by a worker that
    died) and run them; several workers may poll at once (SKIP LOCKED). Returns how
    many ran."""
    now = now or timezone.now()
    ran = claimed = 0
    while claimed < RUN_AT_MOST:
        message_ids = _claim_due(now)
        if not message_ids:
            break
        claimed += len(message_ids)
        ran += outbox_deliver_many(message_ids=message_ids, now=now)
    return ran


def claim_for() -> timedelta:
    seconds = getattr(settings, "OUTBOX_CLAIM_SECONDS", None)
    return CLAIM_FOR if seconds is None else timedelta(seconds=seconds)


def _claim_due(now: datetime) -> list[int]:
    with transaction.atomic():
        message_ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(done_at__isnull=True, failed_at__isnull=True, next_try_at__lte=now)
            .order_by("next_try_at")
            .values_list("pk", flat=True)[:CLAIM_BATCH]
        )
        Message.objects.filter(pk__in=message_ids).update(next_try_at=now + claim_for())
    return message_ids


def outbox_deliver(*, message_id: int, now: datetime | None = None) -> bool:
    """Run one row's handler once, under the row's lock. True when it ran and succeeded;
    False when it was done already, has failed for good, or failed now (the error, the
    attempt and the next try are recorded on the row)."""
    now = now or timezone.now()
    with transaction.atomic():
        message = _row_locked(message_id)
        if message is None:
            return False
        message.attempts += 1
        try:
            handler = _handler_of(message)
            with transaction.atomic():  # a failing handler's writes go, the row's record stays
                handler(**message.kwargs)
        except Exception as error:  # noqa: BLE001 - recorded on the row and retried later
            _record_failure(message, error, now)
            return False
        with connection.cursor() as cursor:
            cursor.execute(_DONE, [message.attempts, connection.ops.adapt_datetimefield_value(now), message.pk])
    return True


# Written out, as _INSERT: each answer's rows run these, and compiling the ORM's SELECT and
# UPDATE cost more CPU than running them (about 1.5 of the 4.5 ms a row took around its
# handler).
_SELECT = (
    f"SELECT event, handler, kwargs, attempts FROM {Message._meta.db_table}"
    " WHERE id = %s AND done_at IS NULL AND failed_at IS NULL"
)
_DONE = f"UPDATE {Message._meta.db_table} SET attempts = %s, done_at = %s, last_error = '' WHERE id = %s"


def _row_locked(message_id: int) -> Message | None:
    """The row, locked for this transaction, unless it is done or has failed for good."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(_SELECT + lock, [message_id])
        row = cursor.fetchone()
    if row is None:
        return None
    event, handler, kwargs, attempts = row
    message = Message(pk=message_id, event=event, handler=handler, attempts=attempts,
                      kwargs=json.loads(kwargs) if isinstance(kwargs, str | bytes) else kwargs)
    message._state.adding = False
    return message


def outbox_deliver_many(*, message_ids: list[int], now: datetime | None = None) -> int:
    """Deliver each row on its own (one failing does not hold up the others); returns
    how many ran."""
    return sum(outbox_deliver(message_id=message_id, now=now) for message_id in message_ids)


def _handler_of(message: Message):
    handler = event_handlers(message.event).get(message.handler)
    if handler is None:
        raise UnknownHandler(f"event {message.event!r} has no handler {message.handler!r}")
    return handler


def _record_failure(message: Message, error: Exception, now: datetime) -> None:
    message.last_error = "".join(traceback.format_exception_only(error)).strip()[:2000]
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        message.failed_at = now
        log.error("outbox %s failed for good after %d attempts: %s", message, message.attempts, message.last_error)
    else:
        message.next_try_at = now + retry_delay(message.attempts)
        log.warning("outbox %s failed (attempt %d): %s", message, message.attempts, message.last_error)
    message.save(update_fields=["attempts", "last_error", "next_try_at", "failed_at"])


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)


def outbox_retry(*, message_ids: list[int]) -> int:
    """A person asks for failed (or waiting) rows to be tried again now, with a fresh
    count of attempts. Returns how many rows."""
    ids = list(Message.objects.filter(pk__in=message_ids, done_at__isnull=True).values_list("pk", flat=True))
    Message.objects.filter(pk__in=ids).update(failed_at=None, attempts=0, next_try_at=timezone.now())
    _run_eagerly_on_commit(ids)
    return len(ids)
