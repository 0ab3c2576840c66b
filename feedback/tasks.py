from celery import shared_task

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
def summaries_rebuild() -> None:
    summaries.summary_rebuild()


# The themes' learning and discovery load scikit-learn (about 2 s and 100 MB): imported when
# the weekly or monthly task runs, not by every process that imports the tasks.

@shared_task
def theme_classifier_retrain() -> None:
    from .theme_learning import theme_classifier_retrain

    theme_classifier_retrain()


@shared_task
def new_themes_find() -> None:
    from .theme_discovery import new_themes_find

    new_themes_find()
