from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def outbox_deliver_due() -> None:
    """Beat runs this every half second: the due rows, run once each (failures
    are recorded on the row and retried with backoff by a later run, not by Celery)."""
    services.outbox_deliver_due()
