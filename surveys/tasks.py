"""Thin tasks: reload, call the service (rules in the modules they call; config/celery.py says when beat runs them)."""

from celery import shared_task

from . import dispatch, planning, reminders, sending, tallies


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
@shared_task
def invitations_send_batch(invitation_ids: list[int]) -> None:
    sending.invitations_send(invitation_ids=invitation_ids)


@shared_task
def reminders_send_batch(invitation_ids: list[int]) -> None:
    reminders.reminders_send(invitation_ids=invitation_ids)



@shared_task
def summaries_windows_roll() -> None:
    tallies.account_windows_roll()

