from celery import shared_task

from config.celery import beat_schedule_add, crontab

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def overdue_calls_escalate() -> int:
    """Daily: each RM gets the overdue calls of their regions (once a day, see EscalationSent)."""
    return services.overdue_calls_escalate()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def recovery_invitations_plan() -> int:
    """Daily: recovery surveys the AMs asked for join the waves being planned."""
    return services.recovery_invitations_plan()


beat_schedule_add("followups-recovery-surveys", "followups.tasks.recovery_invitations_plan", crontab(hour=6, minute=15))
beat_schedule_add("followups-overdue-calls", "followups.tasks.overdue_calls_escalate", crontab(hour=7, minute=30))
