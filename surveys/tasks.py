"""Thin tasks: reload, call the service (rules in the modules they call; config/celery.py says when beat runs them)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import book_import_jobs, dispatch, planning, reminders, sending, tallies, webhooks

# The database away for a moment (a restart, a failover) while a batch runs: the batch
# runs again 2, 4, 8 ... 60 s later, instead of its rows waiting out the dispatcher's
# lease (ten minutes, plus the minute a send rate spreads them over). The claim guards
# make the repeat a no-op for rows the first run claimed.
_RETRY_WHILE_DATABASE_AWAY = {
    "autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 2, "retry_backoff_max": 60,
    "retry_jitter": False, "max_retries": 6,
}


@shared_task
def waves_plan_due() -> None:
    planning.waves_plan_due()


@shared_task
def waves_send_due() -> None:
    dispatch.waves_send_due()


@shared_task
def invitations_dispatch() -> None:
    dispatch.invitations_dispatch()


# acks_late (settings): a killed worker's batch is delivered again; the claim guard makes
# the repeat a no-op for rows already claimed or sent.
@shared_task(**_RETRY_WHILE_DATABASE_AWAY)
def invitations_send_batch(invitation_ids: list[int]) -> None:
    sending.invitations_send(invitation_ids=invitation_ids)


@shared_task(**_RETRY_WHILE_DATABASE_AWAY)
def reminders_send_batch(invitation_ids: list[int]) -> None:
    reminders.reminders_send(invitation_ids=invitation_ids)


@shared_task
def summaries_windows_roll() -> None:
    tallies.account_windows_roll()


# A large file takes longer than the default limits (settings); the job says when it ran out.
@shared_task(soft_time_limit=30 * 60, time_limit=31 * 60)
def import_job_run(job_id: int) -> None:
    book_import_jobs.import_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def webhooks_deliver_due() -> None:
    """Beat runs this every two seconds: due webhook deliveries, one attempt each (failures
    wait their backoff on the row, not in Celery)."""
    webhooks.webhooks_deliver_due()
