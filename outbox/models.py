"""Work that must survive a broker outage: one row per handler of a published event."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Message(models.Model):
    """One handler's share of an event: `event` and `handler` are stable names that
    config/events.py maps to a function, `kwargs` its keyword arguments (JSON values).

    Written in the same transaction as the change that causes it and run by a worker's
    poll once `next_try_at` passes (at once for a new row): a failed attempt records
    its error and waits longer each time (attempts), and after OUTBOX_MAX_ATTEMPTS it
    stops (failed_at) for a person to look at in the admin."""

    event = models.CharField(max_length=100)
    handler = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # Due from then: a new row at once, a failed one after its backoff, a claimed one
    # when its worker's claim runs out.
    next_try_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The poll's due rows and the health check's stuck ones: few, whatever the history.
            models.Index(
                fields=["next_try_at"], condition=Q(done_at__isnull=True, failed_at__isnull=True),
                name="outbox_message_due",
            ),
            models.Index(fields=["failed_at"], condition=Q(failed_at__isnull=False), name="outbox_message_failed"),
        ]

    def __str__(self):
        return f"{self.event}/{self.handler}({self.kwargs})"
