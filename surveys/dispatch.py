"""Handing out the work of a sending wave (DESIGN §2 step 3).

`invitations_dispatch` (beat, every minute) hands due `planned` rows of sending waves to
Celery in batches, leasing them through `send_after` (the only place future send times
live: never long ETAs in Redis, celery/kombu#337); sending.py claims and sends them.
With a send rate, the dispatcher hands out one minute's worth per run, batches starting
spread over the minute (short countdowns only). Due reminders are leased the same way,
through `reminder_after`.

Crash rule: a row left in `sending` for longer than SURVEYS_SENDING_STALE_AFTER seconds
(default 600; larger than the task hard time limit of 300 s, so never a live task's row)
belongs to a worker that died; the dispatcher puts it back to `planned` and it is sent
again.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from .batching import INSERT_BATCH, chunks
from .models import Invitation, Program, Wave
from .program import WaveError, program_check
from .reminders import reminders_due
from .sending import SEND_BATCH
from .webhooks import webhook_deliveries_create, webhook_time, webhooks_wanted

log = logging.getLogger(__name__)

# Without a rate limit, one dispatcher run hands out at most this many invitations.
DISPATCH_UNLIMITED = 30_000


def _stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "SURVEYS_SENDING_STALE_AFTER", 600))


def dispatch_lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "SURVEYS_DISPATCH_LEASE", 600))



@dataclass
class DispatchResult:
    recovered: int = 0
    enqueued: int = 0
    reminders: int = 0
    finished: int = 0


def wave_send(*, month: date, today: date | None = None, now=None, early: bool = False) -> Wave:
    """Start sending the wave of `month` (from its 1st on) and hand out the first batches.
    Calling it on a wave that is sending resumes; on a sent wave it is an error.
    `early` sends before the 1st, closing the hold window (an administrator's decision)."""
    today = today or timezone.localdate()
    month = month.replace(day=1)
    with transaction.atomic():
        wave = Wave.objects.select_for_update().filter(month=month).first()
        if wave is None:
            raise WaveError(f"No wave is planned for {month:%Y-%m}; plan it first (plan_wave --month {month:%Y-%m}).")
        if wave.status == Wave.Status.SENT:
            raise WaveError(f"The {month:%Y-%m} wave has already been sent.")
        if month > today and not early:
            raise WaveError(
                f"The {month:%Y-%m} wave sends on {month:%d %B %Y}; until then it is in its hold window"
                " (send_wave --now sends it at once)."
            )
        program_check(Program.current())
        if wave.status == Wave.Status.PLANNED:
            wave.status = Wave.Status.SENDING
            wave.send_started_at = now or timezone.now()
            wave.save(update_fields=["status", "send_started_at"])
    invitations_dispatch(now=now)
    return wave


def waves_send_due(*, today: date | None = None) -> list[Wave]:
    """Send every planned wave whose 1st has come (today's, or one beat missed)."""
    today = today or timezone.localdate()
    started = []
    for wave in Wave.objects.filter(status=Wave.Status.PLANNED, month__lte=today).order_by("month"):
        started.append(wave_send(month=wave.month, today=today))
    return started


def invitations_recover_stale(*, now=None) -> int:
    """The crash rule (module docstring): `sending` too long -> back to `planned`."""
    now = now or timezone.now()
    return Invitation.objects.filter(
        status=Invitation.Status.SENDING, claimed_at__lt=now - _stale_after()
    ).update(
        status=Invitation.Status.PLANNED, claimed_at=None, send_after=None,
        last_error="Back to planned: its worker stopped while sending.",
    )


def _enqueue(task, ids: list[int], rate: int, batch: int, after: int = 0) -> int:
    """Hand `ids` to `task` in batches; with a rate, batch n starts (after + n * batch) / rate
    seconds from now (within the minute: short countdowns, never long ETAs)."""
    sent = 0
    for number, chunk in enumerate(chunks(ids, batch)):
        countdown = (after + number * batch) / rate if rate else 0
        try:
            task.apply_async(args=[chunk], countdown=countdown or None, retry=False)
        except Exception:  # noqa: BLE001 - broker down: the lease runs out, the next run retries
            log.warning("broker refused a send batch; the dispatcher retries after the lease", exc_info=True)
            break
        sent += len(chunk)
    return sent


def _batch_size(rate: int) -> int:
    return min(SEND_BATCH, max(1, rate)) if rate else SEND_BATCH


def invitations_due_ids(*, now, limit: int, spread: float = 0) -> list[int]:
    """Lease up to `limit` due planned invitations of sending waves; returns their ids.
    The lease (send_after) outlasts the `spread` seconds over which their batches start."""
    with transaction.atomic():
        ids = list(
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Invitation.Status.PLANNED, wave__status=Wave.Status.SENDING)
            .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        lease_until = now + dispatch_lease() + timedelta(seconds=spread)
        for chunk in chunks(ids, INSERT_BATCH):
            Invitation.objects.filter(pk__in=chunk).update(send_after=lease_until)
    return ids


def reminders_due_ids(*, now, limit: int, spread: float = 0) -> list[int]:
    """Lease up to `limit` due reminders; the dispatcher passes 0 when the program sends none."""
    if limit <= 0:
        return []
    with transaction.atomic():
        ids = list(
            reminders_due(now=now).select_for_update(skip_locked=True, of=("self",))
            .order_by("id").values_list("id", flat=True)[:limit]
        )
        lease_until = now + dispatch_lease() + timedelta(seconds=spread)
        for chunk in chunks(ids, INSERT_BATCH):
            Invitation.objects.filter(pk__in=chunk).update(reminder_after=lease_until)
    return ids


def invitations_dispatch(*, now=None) -> DispatchResult:
    """Beat, every minute: recover stale rows, hand due invitations and reminders to the
    workers (about one minute's worth at the program's rate), close finished waves."""
    from . import tasks

    now = now or timezone.now()
    result = DispatchResult(recovered=invitations_recover_stale(now=now))
    program = Program.current()
    rate = program.send_rate
    limit = rate * 60 if rate else DISPATCH_UNLIMITED
    spread = 60 if rate else 0  # with a rate, one minute's batches start spread over the minute
    ids = invitations_due_ids(now=now, limit=limit, spread=spread)
    result.enqueued = _enqueue(tasks.invitations_send_batch, ids, rate, _batch_size(rate))
    reminder_limit = max(0, limit - len(ids)) if program.reminder_days else 0
    reminder_ids = reminders_due_ids(now=now, limit=reminder_limit, spread=spread)
    result.reminders = _enqueue(tasks.reminders_send_batch, reminder_ids, rate, _batch_size(rate), after=len(ids))
    result.finished = waves_finish(now=now)
    return result


def waves_finish(*, now=None) -> int:
    """A sending wave with nothing planned or sending left is sent (and webhook endpoints told: wave.sent)."""
    now = now or timezone.now()
    busy = Invitation.objects.filter(
        wave=OuterRef("pk"), status__in=[Invitation.Status.PLANNED, Invitation.Status.SENDING]
    )
    finished = 0
    with transaction.atomic():
        finishing = Wave.objects.select_for_update(skip_locked=True).filter(status=Wave.Status.SENDING)
        for wave in finishing.filter(~Exists(busy)):
            wave.status, wave.sent_at = Wave.Status.SENT, now
            wave.save(update_fields=["status", "sent_at"])
            finished += 1
            if webhooks_wanted():
                sent = wave.invitations.filter(status=Invitation.Status.SENT).count()
                webhook_deliveries_create("wave.sent", {
                    "wave": {"id": wave.pk, "month": f"{wave.month:%Y-%m}", "sent_at": webhook_time(now),
                             "invitations_sent": sent},
                }, key=str(wave.pk), now=now)
    return finished


@dataclass
class WaveSendSummary:
    """Where a wave stands right after `wave_send`: what send_wave prints."""

    planned: int
    held: int
    sent: int
    failed: int
    queued: int  # planned or sending, not sent yet: the dispatcher's and the workers' work
    due: int  # of those, the ones the dispatcher's next run hands out (the rest are with workers)
    lease_ends_at: datetime | None  # the earliest a row with a worker but not sent is handed out again
    rate: int


def wave_send_summary(wave: Wave, *, now=None) -> WaveSendSummary:
    now = now or timezone.now()
    rows = Invitation.objects.filter(wave=wave)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    S = Invitation.Status
    # The dispatcher's query (invitations_due_ids): planned and not leased to a worker.
    due = rows.filter(status=S.PLANNED).filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
    leased = rows.filter(status=S.PLANNED, send_after__gt=now)
    return WaveSendSummary(
        planned=sum(counts.values()),
        held=counts.get(S.HELD, 0),
        sent=counts.get(S.SENT, 0),
        failed=counts.get(S.FAILED, 0) + counts.get(S.BOUNCED, 0),
        queued=counts.get(S.PLANNED, 0) + counts.get(S.SENDING, 0),
        due=due.count(),
        lease_ends_at=leased.aggregate(first=Min("send_after"))["first"],
        rate=Program.current().send_rate,
    )
