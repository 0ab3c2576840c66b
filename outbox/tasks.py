from celery import shared_task

from . import services


@shared_task
def outbox_deliver(message_ids: list[int]) -> None:
    """Rows of one commit (or one re-drive batch); each runs once, failures are
    recorded on the row and retried by the re-drive, not by Celery."""
    services.outbox_deliver_many(message_ids=message_ids)


@shared_task
def outbox_redrive() -> None:
    services.outbox_redrive()
