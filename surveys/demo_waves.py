"""Past waves and invitations for the demo (seed_demo step 2).

Eighteen monthly waves up to this month, planned by the real planning service and
"sent" in bulk (most delivered, a few bounced or failed, reminders where due), then the
next wave planned in its hold window with a couple of contacts held out by their AMs.
"""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from .models import Contact, Invitation, Program, Wave
from .months import month_add
from .planning import invitation_hold, wave_plan

PAST_MONTHS = 18
HOLD_REASONS = [
    "Open escalation about the last delivery; I will call them first.",
    "Contract renewal under negotiation this month.",
    "New contact, introduced last week; survey next time.",
]


def _send_in_the_past(wave: Wave, rng: random.Random, program: Program, now) -> dict:
    """What sending did, in a few bulk UPDATEs: statuses, times, reminders, bounced contacts."""
    start = timezone.make_aware(datetime.combine(wave.month, time(9, 0)))
    rows = list(wave.invitations.filter(status=Invitation.Status.PLANNED).values_list("pk", "contact_id"))
    bounced, failed, sent, reminded = [], [], [], []
    for pk, contact_id in rows:
        roll = rng.random()
        if roll < 0.012:
            bounced.append((pk, contact_id))
        elif roll < 0.017:
            failed.append(pk)
        else:
            sent.append(pk)
            if program.reminder_days and rng.random() < 0.6:
                reminded.append(pk)
    invitations = Invitation.objects.filter(wave=wave)
    invitations.filter(pk__in=[pk for pk, _ in bounced]).update(
        status=Invitation.Status.BOUNCED, attempts=1, last_error="550 5.1.1 mailbox unavailable")
    Contact.objects.filter(pk__in=[contact_id for _, contact_id in bounced]).update(
        bounced_at=start + timedelta(minutes=5))
    invitations.filter(pk__in=failed).update(
        status=Invitation.Status.FAILED, attempts=6, last_error="451 4.7.1 try again later")
    reminder_after = start + timedelta(days=program.reminder_days) if program.reminder_days else None
    invitations.filter(pk__in=sent).update(
        status=Invitation.Status.SENT, attempts=1, sent_at=start,
        expires_at=start + timedelta(days=program.link_valid_days), reminder_after=reminder_after)
    if reminder_after and reminder_after <= now:
        invitations.filter(pk__in=reminded).update(reminded_at=reminder_after + timedelta(hours=1))
    else:
        reminded = []
    Wave.objects.filter(pk=wave.pk).update(
        status=Wave.Status.SENT, planned_at=start - timedelta(days=program.hold_days),
        send_started_at=start, sent_at=start + timedelta(minutes=10),
    )
    return {"sent": len(sent), "bounced": len(bounced), "failed": len(failed), "reminded": len(reminded)}


@transaction.atomic
def seed_waves(*, seed: int, stdout) -> str:
    if not Contact.objects.exists():
        return "Waves: no customer book yet, nothing planned."
    if Wave.objects.exists():
        return "Waves: already there, left as they are."
    rng = random.Random(seed)
    program = Program.current()
    now = timezone.now()
    this_month = timezone.localdate().replace(day=1)
    totals = {"sent": 0, "bounced": 0, "failed": 0, "reminded": 0}
    for back in range(PAST_MONTHS - 1, -1, -1):
        month = month_add(this_month, -back)
        result = wave_plan(month=month, today=month)
        for key, value in _send_in_the_past(result.wave, rng, program, now).items():
            totals[key] += value

    upcoming = wave_plan(month=month_add(this_month, 1)).wave
    planned = list(upcoming.invitations.select_related("account__owner").order_by("pk"))
    held = 0
    for invitation, reason in zip(rng.sample(planned, min(2, len(planned))), HOLD_REASONS, strict=False):
        invitation_hold(invitation=invitation, user=invitation.account.owner, reason=reason)
        held += 1
    return (
        f"Waves: {PAST_MONTHS} months sent ({totals['sent']} delivered, {totals['bounced']} bounced, "
        f"{totals['failed']} failed, {totals['reminded']} reminded); {upcoming} planned with "
        f"{len(planned)} contacts, {held} held out."
    )
