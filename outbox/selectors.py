"""Reads of the outbox: what needs a person's eye."""

from datetime import datetime, timedelta

from django.utils import timezone

from .models import Message

# Due this long ago and still not run: no worker polls (beat or the worker is not running).
STUCK_AFTER = timedelta(minutes=10)


def outbox_health(now: datetime | None = None) -> dict:
    """Counts for /healthz: rows that failed for good, and rows overdue for a try."""
    now = now or timezone.now()
    pending = Message.objects.filter(done_at__isnull=True, failed_at__isnull=True)
    return {
        "failed": Message.objects.filter(failed_at__isnull=False).count(),
        "stuck": pending.filter(next_try_at__lt=now - STUCK_AFTER).count(),
    }
