from celery import shared_task

from . import outbox


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def outbox_deliver(message_id: int) -> None:
    outbox.outbox_deliver(message_id=message_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def outbox_deliver_many(message_ids: list[int]) -> None:
    """Several outbox messages in one broker message; each still runs once (done_at)."""
    failure = None
    for message_id in message_ids:
        try:
            outbox.outbox_deliver(message_id=message_id)
        except Exception as exc:  # noqa: BLE001 - run the others, then let Celery retry
            failure = exc
    if failure is not None:
        raise failure


@shared_task
def outbox_redrive() -> None:
    outbox.outbox_redrive()
