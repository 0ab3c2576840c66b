"""Thin tasks: reload, call the service. Beat entries at the bottom (the rules are in the modules they call)."""

from celery import shared_task

from config.celery import beat_schedule_add, crontab

from . import dispatch, planning, reminders, sending


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


# Planned from hold_days before the 1st (the task checks the window daily), sent from the
# 1st at 09:00, and the dispatcher every minute: due sends, retries, reminders, crash rule.
beat_schedule_add("waves-plan", "surveys.tasks.waves_plan_due", crontab(hour=7, minute=0))
beat_schedule_add("waves-send", "surveys.tasks.waves_send_due", crontab(hour=9, minute=0))
beat_schedule_add("invitations-dispatch", "surveys.tasks.invitations_dispatch", 60.0)
