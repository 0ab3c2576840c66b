from celery import shared_task

from config.celery import beat_schedule_add, crontab

from . import digests, summaries


@shared_task
def digests_daily() -> None:
    """Fan out: one task per user who takes the daily digest."""
    for user_id in digests.digest_user_ids("daily"):
        digest_send.delay(user_id, "daily")


@shared_task
def digests_weekly() -> None:
    for user_id in digests.digest_user_ids("weekly"):
        digest_send.delay(user_id, "weekly")


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def digest_send(user_id: int, frequency: str) -> None:
    digests.digest_send(user_id=user_id, frequency=frequency)


@shared_task
def summaries_refresh_recent() -> None:
    summaries.summary_refresh_recent()


@shared_task
def summaries_rebuild() -> None:
    summaries.summary_rebuild()


beat_schedule_add("summaries-refresh-recent", "feedback.tasks.summaries_refresh_recent", 600.0)
beat_schedule_add("summaries-rebuild", "feedback.tasks.summaries_rebuild", crontab(hour=3, minute=15))
beat_schedule_add("digests-daily", "feedback.tasks.digests_daily", crontab(hour=6, minute=30))
beat_schedule_add("digests-weekly", "feedback.tasks.digests_weekly", crontab(hour=6, minute=45, day_of_week=1))
