"""The Celery app and the whole beat schedule.

Web, a worker and beat run in every configuration (the Procfile): on Redis when
REDIS_URL is set, else on a broker that is a folder under var/ (config/settings.py).
Times are Europe/Copenhagen (CELERY_TIMEZONE).
"""

import os

from celery import Celery
from celery.schedules import crontab

from .broker_files import use_for_filesystem_urls

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
use_for_filesystem_urls()  # the embedded broker writes each message whole (config/broker_files.py)

app = Celery("pulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # surveys: next month's wave is planned once its hold window opens (the task checks
    # daily), sent from the 1st at 09:00; the dispatcher hands out due sends, retries and
    # reminders, and applies the crash rule, every minute.
    "waves-plan": {"task": "surveys.tasks.waves_plan_due", "schedule": crontab(hour=7, minute=0)},
    "waves-send": {"task": "surveys.tasks.waves_send_due", "schedule": crontab(hour=9, minute=0)},
    "invitations-dispatch": {"task": "surveys.tasks.invitations_dispatch", "schedule": 60.0},
    # The summaries are exact at every commit (surveys.tallies). After midnight the account
    # windows move to the day's months (readers correct them until then, after a month
    # turned); at night a rebuild repairs anything written around the events.
    "summaries-windows-roll": {"task": "surveys.tasks.summaries_windows_roll", "schedule": crontab(hour=0, minute=1)},
    "summaries-rebuild": {"task": "feedback.tasks.summaries_rebuild", "schedule": crontab(hour=3, minute=15)},
    # feedback: the regional managers' digests.
    "digests-daily": {"task": "feedback.tasks.digests_daily", "schedule": crontab(hour=6, minute=30)},
    "digests-weekly": {
        "task": "feedback.tasks.digests_weekly",
        "schedule": crontab(hour=6, minute=45, day_of_week=1),
    },
    # The outbox's due rows (outbox.services): a saved answer's handlers start within
    # half a second, failed ones retry when their backoff ends. A poll older than a few
    # seconds is dropped rather than run late: the next one does its work.
    "outbox-deliver": {
        "task": "outbox.tasks.outbox_deliver_due",
        "schedule": 0.5,
        "options": {"expires": 10.0},
    },
    # Webhooks (surveys.webhooks): due deliveries go out within two seconds, failed ones
    # when their backoff ends; a late poll is dropped, the next does its work.
    "webhooks-deliver": {
        "task": "surveys.tasks.webhooks_deliver_due",
        "schedule": 2.0,
        "options": {"expires": 10.0},
    },
    # feedback's themes: the classifier learns from the week's corrections (skipped when
    # there are none) on Sunday night; on the 1st the reasons no theme covers are grouped
    # into candidate themes for an administrator.
    "themes-classifier-train": {
        "task": "feedback.tasks.theme_classifier_retrain",
        "schedule": crontab(hour=4, minute=30, day_of_week=0),
    },
    "themes-find-new": {
        "task": "feedback.tasks.new_themes_find",
        "schedule": crontab(hour=5, minute=0, day_of_month=1),
    },
    # followups: recovery surveys join the waves being planned; overdue calls go to the RM.
    "followups-recovery-surveys": {
        "task": "followups.tasks.recovery_invitations_plan",
        "schedule": crontab(hour=6, minute=15),
    },
    "followups-overdue-calls": {
        "task": "followups.tasks.overdue_calls_escalate",
        "schedule": crontab(hour=7, minute=30),
    },
    # The call summaries the discipline figures read are exact at every commit
    # (followups.tallies); at night a rebuild repairs anything written around the events.
    "followups-call-summaries-rebuild": {
        "task": "followups.tasks.call_summaries_rebuild",
        "schedule": crontab(hour=3, minute=45),
    },
    # reports: the program's retention erases the personal data of people no longer in the
    # book (reports.personal_data.retention_erase).
    "personal-data-retention": {
        "task": "reports.tasks.personal_data_retention",
        "schedule": crontab(hour=2, minute=30),
    },
}

# tests/test_process_model.py: every entry due every few seconds, so a test sees beat
# and the worker do the scheduled work without waiting for 07:00.
if os.environ.get("BEAT_EVERY_SECONDS"):
    for entry in app.conf.beat_schedule.values():
        entry["schedule"] = float(os.environ["BEAT_EVERY_SECONDS"])


__all__ = ("app",)
