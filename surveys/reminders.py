"""Reminders: one to each contact who has not answered, after the program's days."""

import logging
import smtplib

from django.core import mail
from django.db import transaction
from django.utils import timezone

from .invitation_email import invitation_email
from .models import Contact, Invitation, Program
from .sending import BACKOFF, SendResult, smtp_failure, smtp_open, smtp_reopen

log = logging.getLogger(__name__)


def reminders_due(*, now):
    """Sent, unanswered, still reachable and valid, reminder time passed, not reminded."""
    return Invitation.objects.filter(
        status=Invitation.Status.SENT,
        reminded_at__isnull=True,
        reminder_after__lte=now,
        expires_at__gt=now,
        contact__opted_out_at__isnull=True,
        contact__bounced_at__isnull=True,
        response__isnull=True,
    )


def reminders_send(*, invitation_ids: list[int], now=None) -> SendResult:
    """Send one batch of reminders. Claiming sets `reminded_at` first, so a reminder goes
    at most once (a worker killed mid-send loses that one reminder rather than repeat it).
    A reminder refused for good marks the contact bounced and leaves the invitation
    delivered: the mail server took the invitation itself (surveys.tallies). One that
    cannot be built is not sent and says why in last_error; the rest of the batch goes.
    `now`: the moment to record (tests); else the clock."""
    result = SendResult()
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=invitation_ids, status=Invitation.Status.SENT, reminded_at__isnull=True)
            .filter(contact__opted_out_at__isnull=True, contact__bounced_at__isnull=True, response__isnull=True)
            .values_list("id", flat=True)
        )
        Invitation.objects.filter(pk__in=claimed).update(reminded_at=now)
    result.claimed = len(claimed)
    if not claimed:
        return result
    program = Program.current()
    invitations = Invitation.objects.filter(pk__in=claimed).select_related("contact", "account__owner").order_by("id")
    smtp = mail.get_connection()
    try:
        smtp_open(smtp)
        for invitation in invitations:
            try:
                invitation_email(invitation, program=program, reminder=True, connection=smtp).send()
            except (smtplib.SMTPException, OSError) as error:
                permanent, lost, text = smtp_failure(error)
                if permanent:
                    Contact.objects.filter(pk=invitation.contact_id, bounced_at__isnull=True).update(bounced_at=now)
                    Invitation.objects.filter(pk=invitation.pk).update(last_error=f"reminder: {text}"[:500])
                    result.bounced += 1
                else:
                    Invitation.objects.filter(pk=invitation.pk).update(
                        reminded_at=None, reminder_after=now + BACKOFF[1],
                        last_error=f"reminder: {text}"[:500],
                    )
                    result.retried += 1
                if lost:
                    smtp.close()
                continue
            except ValueError as error:  # cannot be built (sending.py): not tried again
                Invitation.objects.filter(pk=invitation.pk).update(last_error=f"reminder: not sent: {error}"[:500])
                result.failed += 1
                continue
            except Exception as error:  # noqa: BLE001 - one message's error must not stop the batch
                log.exception("invitation %s: unexpected error while sending its reminder", invitation.pk)
                Invitation.objects.filter(pk=invitation.pk).update(
                    reminded_at=None, reminder_after=now + BACKOFF[1],
                    last_error=f"reminder: {type(error).__name__}: {error}"[:500],
                )
                result.retried += 1
                smtp_reopen(smtp)
                continue
            result.sent += 1
    finally:
        smtp.close()
    return result
