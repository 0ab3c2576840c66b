from celery import shared_task

from . import outbox


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=300, max_retries=8)
def outbox_deliver(message_id: int) -> None:
    outbox.outbox_deliver(message_id=message_id)


@shared_task
def outbox_redrive() -> None:
    outbox.outbox_redrive()
