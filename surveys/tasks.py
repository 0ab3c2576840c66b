"""Thin tasks: reload, call the service (see services for the rules; config/celery.py for when beat runs them)."""

from celery import shared_task

from . import services


@shared_task
def waves_plan_due() -> None:
    services.waves_plan_due()


@shared_task
def waves_send_due() -> None:
    services.waves_send_due()


@shared_task
def invitations_dispatch() -> None:
    services.invitations_dispatch()


# acks_late (settings): a killed worker's batch is delivered again; the claim guard makes
# the repeat a no-op for rows already claimed or sent.
@shared_task
def invitations_send_batch(invitation_ids: list[int]) -> None:
    services.invitations_send(invitation_ids=invitation_ids)


@shared_task
def reminders_send_batch(invitation_ids: list[int]) -> None:
    services.reminders_send(invitation_ids=invitation_ids)

