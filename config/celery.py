"""The Celery app and its beat schedule.

Without REDIS_URL there is no broker: settings turn on CELERY_TASK_ALWAYS_EAGER and
every task runs in-process, so the embedded app and the tests exercise the same code.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # The outbox's due rows (outbox.services): a saved answer's handlers start within
    # half a second, failed ones retry when their backoff ends. A poll older than a few
    # seconds is dropped rather than run late: the next one does its work.
    "outbox-deliver": {
        "task": "outbox.tasks.outbox_deliver_due",
        "schedule": 0.5,
        "options": {"expires": 10.0},
    },
}


def beat_schedule_add(name: str, task: str, schedule) -> None:
    """Apps add their periodic tasks here, so the whole schedule reads in one place."""
    app.conf.beat_schedule[name] = {"task": task, "schedule": schedule}


__all__ = ("app", "crontab", "beat_schedule_add")
