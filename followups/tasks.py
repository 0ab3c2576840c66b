from celery import shared_task

from config.celery import beat_schedule_add, crontab

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def overdue_calls_escalate() -> int:
    """Daily: each RM gets the overdue calls of their regions (once a day, see EscalationSent)."""
    return services.overdue_calls_escalate()


beat_schedule_add("followups-overdue-calls", "followups.tasks.overdue_calls_escalate", crontab(hour=7, minute=30))
