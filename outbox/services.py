"""The transactional outbox: publish an event in the transaction that causes it, run
its handlers once each after the commit, retry with backoff, stop after a few tries.

    outbox_publish("answer_saved", response_id=response.pk)

writes one row per handler that config/events.py lists for the event, so a failing
handler retries alone. The rows go to a worker when the transaction commits (in-process
when tasks run eagerly: embedded and in tests); if the broker does not take them, or no
worker finishes them, beat's re-drive hands them over again when `next_try_at` passes.
Handlers take keyword arguments that are JSON values and must be safe to run twice.

This app imports no other app: config/events.py is read inside `event_handlers`.
"""

import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Message

log = logging.getLogger(__name__)

# A row handed to the broker and not done this long after is handed over again.
REDRIVE_AFTER = timedelta(minutes=2)
# After the n-th failed attempt the next waits RETRY_BASE * 2**(n-1), at most RETRY_MAX.
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
# Rows handed over in one Celery message by the re-drive.
REDRIVE_BATCH = 100


class UnknownHandler(LookupError):
    """An event or handler key that config/events.py does not list (any more)."""


def event_handlers(event: str) -> dict:
    """{handler key: function} of an event, as config/events.py maps them."""
    from config.events import HANDLERS  # here, not at the top: the outbox imports no app

    try:
        return HANDLERS[event]
    except KeyError:
        raise UnknownHandler(f"unknown outbox event {event!r}") from None


def outbox_publish(event: str, **kwargs) -> list[int]:
    """Record `event` for each of its handlers, in the current transaction; they run
    after it commits (at once outside one). Returns the rows' ids."""
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(event=event, handler=key, kwargs=kwargs, created_at=now, next_try_at=now + REDRIVE_AFTER)
        for key in event_handlers(event)
    )
    message_ids = [message.pk for message in messages]
    transaction.on_commit(lambda: outbox_hand_over(message_ids))
    return message_ids


def outbox_hand_over(message_ids: list[int]) -> None:
    """Give committed rows to a worker in one Celery message, or run them now when
    tasks run eagerly. With the broker down they stay due for the re-drive."""
    from config.celery import app

    if app.conf.task_always_eager:
        outbox_deliver_many(message_ids=message_ids)
        return
    from .tasks import outbox_deliver

    try:
        # retry=False: with the broker down, fail now rather than keep a customer's
        # request waiting; the rows are safe in the database.
        outbox_deliver.apply_async(args=[message_ids], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure means "later", never lost work
        log.warning("outbox %s not handed over; the re-drive takes them", message_ids, exc_info=True)
        Message.objects.filter(pk__in=message_ids, done_at__isnull=True).update(next_try_at=timezone.now())


def outbox_deliver(*, message_id: int, now: datetime | None = None) -> bool:
    """Run one row's handler once, under the row's lock. True when it ran and succeeded;
    False when it was done already, has failed for good, or failed now (the error, the
    attempt and the next try are recorded on the row)."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id, done_at__isnull=True, failed_at__isnull=True)
            .first()
        )
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
        message.done_at = now
        message.last_error = ""
        message.save(update_fields=["attempts", "done_at", "last_error"])
    return True


def outbox_deliver_many(*, message_ids: list[int]) -> int:
    """Deliver each row on its own (one failing does not hold up the others); returns
    how many ran."""
    return sum(outbox_deliver(message_id=message_id) for message_id in message_ids)


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


def outbox_redrive(*, now: datetime | None = None) -> int:
    """Hand over again what is due: not taken by the broker, not finished by a worker,
    or waiting to retry. Returns how many rows."""
    now = now or timezone.now()
    message_ids = list(
        Message.objects.filter(done_at__isnull=True, failed_at__isnull=True, next_try_at__lte=now)
        .order_by("next_try_at")
        .values_list("pk", flat=True)[:1000]
    )
    # Not due again while a worker has them (the hand-over may put them back sooner).
    Message.objects.filter(pk__in=message_ids).update(next_try_at=now + REDRIVE_AFTER)
    for start in range(0, len(message_ids), REDRIVE_BATCH):
        outbox_hand_over(message_ids[start:start + REDRIVE_BATCH])
    return len(message_ids)


def outbox_retry(*, message_ids: list[int]) -> int:
    """A person asks for failed (or waiting) rows to be tried again now, with a fresh
    count of attempts. Returns how many rows."""
    ids = list(Message.objects.filter(pk__in=message_ids, done_at__isnull=True).values_list("pk", flat=True))
    Message.objects.filter(pk__in=ids).update(failed_at=None, attempts=0, next_try_at=timezone.now())
    if ids:
        transaction.on_commit(lambda: outbox_hand_over(ids))
    return len(ids)
