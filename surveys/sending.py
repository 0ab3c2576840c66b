"""Sending invitations: claim, send over one SMTP connection, mark (DESIGN §2 step 3).

A batch task claims its rows with a conditional UPDATE (planned -> sending, under
select_for_update(skip_locked)), so a retried, re-delivered or duplicated task is a no-op
for rows already claimed or sent. Each message is marked `sent` in its own commit right
after the SMTP server accepted it. Only the one message a killed worker had handed to the
SMTP server but not yet committed as sent can go out twice (dispatch.py's crash rule puts
its row back): at most one duplicate per killed worker process.

Temporary SMTP failures (4xx, connection errors) put the row back to `planned` with
`send_after` backed off (1, 5, 15, 60, 180 minutes; `failed` after 6 attempts); permanent
ones (5xx) mark the invitation and the contact bounced. A message that cannot be built
(a line break in a header, from the program or the contact) is `failed` at once with the
reason; any other error of one message is retried like a temporary one. Either way the
rest of the batch goes out and no row stays in `sending`.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .invitation_email import invitation_email
from .models import Contact, Invitation, Program, Wave
from .tallies import invitation_delivered_count

log = logging.getLogger(__name__)

SEND_BATCH = 100
# After this many attempts a temporary failure becomes `failed`.
MAX_ATTEMPTS = 6
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180)]


def _claim(ids: list[int], now) -> list[int]:
    """planned -> sending for those of `ids` nobody else claimed: the send guard."""
    with transaction.atomic():
        claimed = list(
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, status=Invitation.Status.PLANNED, wave__status=Wave.Status.SENDING)
            .values_list("id", flat=True)
        )
        if claimed:
            Invitation.objects.filter(pk__in=claimed).update(
                status=Invitation.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return claimed


def smtp_failure(error: Exception) -> tuple[bool, bool, str]:
    """(permanent, connection lost, text) for an exception from sending one message."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return permanent, False, f"recipient refused: {error.recipients}"[:500]
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our sender address was refused: not the contact's fault; retry, then fail.
        return False, False, f"{error.smtp_code} sender refused: {error.smtp_error!r}"[:500]
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return False, True, f"disconnected: {error}"[:500]
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500, error.smtp_code in (421,), f"{error.smtp_code} {error.smtp_error!r}"[:500]
    return False, True, f"{type(error).__name__}: {error}"[:500]


def _mark_failed(invitation_id: int, error: str) -> None:
    Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.FAILED, last_error=error[:500], claimed_at=None
    )


def _mark_retry(invitation_id: int, attempts: int, error: str, now) -> None:
    if attempts >= MAX_ATTEMPTS:
        _mark_failed(invitation_id, error)
        return
    delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.PLANNED, send_after=now + delay, claimed_at=None, last_error=error
    )


@transaction.atomic
def _mark_bounced(invitation: Invitation, error: str, now) -> None:
    """Refused for good: never delivered, so no summary changes (surveys.tallies)."""
    Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.BOUNCED, last_error=error, claimed_at=None
    )
    Contact.objects.filter(pk=invitation.contact_id, bounced_at__isnull=True).update(bounced_at=now)


def _mark_sent(invitation: Invitation, program: Program, now) -> None:
    """Its own commit, right after the SMTP server took the message. On PostgreSQL the
    commit does not wait for the WAL flush: a killed worker loses nothing by it (the commit
    is in the server); only a crash of the database server itself could forget the last
    instants of marks, and then those rows go back by the crash rule and are sent again.
    SET LOCAL lasts this transaction only, so nothing stays on a pooled connection.
    The summaries count the delivery in the same commit (surveys.tallies)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        marked = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.SENT,
            sent_at=now,
            expires_at=now + timedelta(days=program.link_valid_days),
            reminder_after=now + timedelta(days=program.reminder_days) if program.reminder_days else None,
            claimed_at=None,
            last_error="",
        )
        if marked:
            invitation_delivered_count(invitation_id=invitation.pk, sent_at=now)


def smtp_open(smtp) -> None:
    """One connection for the whole batch (a failure to connect shows on the first send)."""
    try:
        smtp.open()
    except (smtplib.SMTPException, OSError):
        log.warning("SMTP connection failed; each message of the batch is retried later")


def smtp_reopen(smtp) -> None:
    """After an unexpected error the session's state is unknown: start a new one."""
    smtp.close()
    smtp_open(smtp)


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0


def invitations_send(*, invitation_ids: list[int], now: datetime | None = None) -> SendResult:
    """Send one batch over one SMTP connection. Only rows this call claims are sent.
    `now`: the moment to record for every mark (tests); else the clock at each."""
    result = SendResult()
    claimed = _claim(invitation_ids, now or timezone.now())
    result.claimed = len(claimed)
    if not claimed:
        return result
    program = Program.current()
    invitations = list(
        Invitation.objects.filter(pk__in=claimed, status=Invitation.Status.SENDING)
        .select_related("contact", "account__owner")
        .order_by("id")
    )
    smtp = mail.get_connection()
    try:
        smtp_open(smtp)
        for invitation in invitations:
            if not invitation.contact.reachable:
                _mark_failed(invitation.pk, "Not sent: the contact opted out or bounced before sending.")
                result.failed += 1
                continue
            try:
                invitation_email(invitation, program=program, connection=smtp).send()
            except (smtplib.SMTPException, OSError) as error:
                permanent, lost, text = smtp_failure(error)
                if permanent:
                    _mark_bounced(invitation, text, now or timezone.now())
                    result.bounced += 1
                else:
                    _mark_retry(invitation.pk, invitation.attempts, text, now or timezone.now())
                    result.retried += 1
                if lost:
                    smtp.close()
                continue
            except ValueError as error:
                # Built from values no email can carry (BadHeaderError is one): sending it
                # again cannot help.
                _mark_failed(invitation.pk, f"Not sent: {error}")
                result.failed += 1
                continue
            except Exception as error:  # noqa: BLE001 - one message's error must not stop the batch
                log.exception("invitation %s: unexpected error while sending", invitation.pk)
                _mark_retry(invitation.pk, invitation.attempts, f"{type(error).__name__}: {error}"[:500],
                            now or timezone.now())
                result.retried += 1
                smtp_reopen(smtp)
                continue
            _mark_sent(invitation, program, now or timezone.now())
            result.sent += 1
    finally:
        smtp.close()
    return result


