"""Writes of the survey program: the program, planning waves, holds, sending, reminders,
unsubscribing (DESIGN §2 steps 2 and 3).

Planning
--------
Each contact has a stable phase, its id mod 12 (ids are dealt in order, so phases are
dealt round-robin). With P = 12 / frequency months, a contact is *due* in the months
whose index (year * 12 + month - 1) mod P equals its id mod P: f times a year, exactly
P months apart, and every residue holds the same share of the book, so each slice is
about N / P. A contact added mid-cycle waits for its phase (at most P - 1 months), so a
big import does not swell one wave.
A contact due earlier in the current cycle who existed then and was not asked since
(held by the AM, cut by the per-account cap, ineligible that month) is *owed* and rolls
over, ahead of the due ones, until its next due month. The first wave ever, and a change
of frequency, start a cycle (Program.cycle_start): nobody is owed for months before it.
Never asked: opted out, bounced, inactive account, asked within the
quiet period. At most K (per_account_cap) per account and wave. Planning selects in one
SQL statement and inserts in batches; one row per (wave, contact), so planning again
changes nothing.

Sending and the crash rule
--------------------------
`invitations_dispatch` (beat, every minute) hands due `planned` rows of sending waves to
Celery in batches, leasing them through `send_after` (the only place future send times
live: never long ETAs in Redis, celery/kombu#337). A batch task claims its rows with a
conditional UPDATE (planned -> sending, under select_for_update(skip_locked)), so a
retried, re-delivered or duplicated task is a no-op for rows already claimed or sent.
Each message is marked `sent` in its own commit right after the SMTP server accepted it.

Crash rule: a row left in `sending` for longer than SURVEYS_SENDING_STALE_AFTER seconds
(default 600; larger than the task hard time limit of 300 s, so never a live task's row)
belongs to a worker that died; the dispatcher puts it back to `planned` and it is sent
again. Only the one message a killed worker had handed to the SMTP server but not yet
committed as sent can go out twice: at most one duplicate per killed worker process.

Temporary SMTP failures (4xx, connection errors) put the row back to `planned` with
`send_after` backed off (1, 5, 15, 60, 180 minutes; `failed` after 6 attempts); permanent
ones (5xx) mark the invitation and the contact bounced. With a send rate, the dispatcher
hands out one minute's worth per run, batches starting spread over the minute (short
countdowns only). Reminders are claimed by setting `reminded_at` before sending: a
worker killed mid-send loses at most that reminder, never sends it twice.
"""

import html
import logging
import re
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation

from .emails import email_render
from .models import Account, Contact, Invitation, Program, User, Wave
from .tokens import invitation_token, token_fields_new

log = logging.getLogger(__name__)

INSERT_BATCH = 5000
SEND_BATCH = 100
# Without a rate limit, one dispatcher run hands out at most this many invitations.
DISPATCH_UNLIMITED = 30_000
# After this many attempts a temporary failure becomes `failed`.
MAX_ATTEMPTS = 6
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180)]
EMAIL_LANGUAGES = ("en", "da")


class WaveError(Exception):
    """A request the survey program cannot honour; the message is for the user."""


def _stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "SURVEYS_SENDING_STALE_AFTER", 600))


def _dispatch_lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "SURVEYS_DISPATCH_LEASE", 600))


# --- Months -------------------------------------------------------------------------

def month_parse(text: str) -> date:
    """'2026-12' -> date(2026, 12, 1); anything else is a WaveError with a clear message."""
    text = (text or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise WaveError(f"The month must look like 2026-12 (YYYY-MM); got {text!r}.")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def month_from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_add(month: date, months: int) -> date:
    return month_from_index(month_index(month) + months)


def month_start(month: date) -> datetime:
    return timezone.make_aware(datetime(month.year, month.month, 1))


def month_next_to_plan(today: date) -> date:
    """The wave whose hold window we are in or approaching: this month on the 1st, else next."""
    return today.replace(day=1) if today.day == 1 else month_add(today.replace(day=1), 1)


# --- The program ----------------------------------------------------------------------

def program_check(program: Program) -> None:
    """Raise WaveError listing every setting out of range (before planning or sending)."""
    try:
        program.full_clean()
    except ValidationError as error:
        problems = [f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()]
        raise WaveError("The survey program has settings out of range: " + "; ".join(problems))


@transaction.atomic
def program_update(*, program: Program, fields: dict, today: date | None = None) -> Program:
    """Save validated settings. A new frequency starts a new cycle from the next wave
    not yet sent, so nobody is counted as owed under the old rhythm."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    old_frequency = program.frequency
    for name, value in fields.items():
        setattr(program, name, value)
    program.full_clean()
    if program.frequency != old_frequency:
        today = today or timezone.localdate()
        started = Wave.objects.exclude(status=Wave.Status.PLANNED).order_by("-month").first()
        first = month_next_to_plan(today)
        if started and started.month >= first:
            first = month_add(started.month, 1)
        program.cycle_start = first
    program.save()
    return program


# --- Planning -------------------------------------------------------------------------

@dataclass
class PlanResult:
    wave: Wave
    added: int
    total: int


def _statistics_refresh() -> None:
    """Fresh planner statistics before the big query: last month's invitations would
    otherwise look like nothing to PostgreSQL. ANALYZE samples; it takes a moment."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Contact._meta.db_table}, {Invitation._meta.db_table}, {Wave._meta.db_table}")


def plan_candidates(*, program: Program, wave: Wave):
    """Contacts to add to `wave`: (contact_id, account_id, rank within its account) rows,
    owed ones ranked first, at most per_account_cap per account, from one SQL statement.

    A contact's phase is its id mod 12 (ids are dealt in order, so phases are dealt
    round-robin); it is due when (month index - id) mod P == 0, and owed since its last
    due month in the cycle if it existed then and nobody asked it since (held, capped,
    or ineligible then). Each branch is a plain anti-join, so PostgreSQL hashes them."""
    ops = connection.ops
    month = wave.month
    period = program.period_months
    index = month_index(month)
    contact, account = Contact._meta.db_table, Account._meta.db_table
    invitation, wave_table = Invitation._meta.db_table, Wave._meta.db_table
    eligible = "c.opted_out_at IS NULL AND c.bounced_at IS NULL"
    branches = [f"SELECT c.id, c.account_id, 0 AS owed FROM {contact} c WHERE c.id %% {period} = %s AND {eligible}"]
    params: list = [index % period]
    for residue in range(period):
        if residue == index % period:
            continue
        since = month_from_index(index - (index - residue) % period)
        if program.cycle_start and since < program.cycle_start:
            continue
        branches.append(
            f"""SELECT c.id, c.account_id, 1 AS owed FROM {contact} c
            WHERE c.id %% {period} = %s AND {eligible} AND c.created_at < %s
            AND NOT EXISTS (SELECT 1 FROM {invitation} i JOIN {wave_table} w ON w.id = i.wave_id
                            WHERE i.contact_id = c.id AND w.month >= %s AND w.month < %s AND i.status <> %s)"""
        )
        params += [
            residue, ops.adapt_datetimefield_value(month_start(since)), ops.adapt_datefield_value(since),
            ops.adapt_datefield_value(month), Invitation.Status.HELD.value,
        ]
    cutoff = month_start(month) - timedelta(days=program.quiet_days)
    sql = f"""
        SELECT id, account_id, rnk FROM (
            SELECT d.id, d.account_id,
                   ROW_NUMBER() OVER (PARTITION BY d.account_id ORDER BY d.owed DESC, d.id) AS rnk
            FROM ({" UNION ALL ".join(branches)}) d
            JOIN {account} a ON a.id = d.account_id
            WHERE a.active = %s
              AND NOT EXISTS (SELECT 1 FROM {invitation} q WHERE q.contact_id = d.id AND q.sent_at >= %s)
              AND NOT EXISTS (SELECT 1 FROM {invitation} v WHERE v.contact_id = d.id AND v.wave_id = %s)
        ) ranked
        WHERE rnk <= %s
    """
    params += [True, ops.adapt_datetimefield_value(cutoff), wave.pk, program.per_account_cap]
    return sql, params


@transaction.atomic
def wave_plan(*, month: date, today: date | None = None) -> PlanResult:
    """Plan the wave of `month` (a first of the month). Planning again adds only
    contacts that became eligible since and never moves anyone already in it."""
    today = today or timezone.localdate()
    month = month.replace(day=1)
    if month < today.replace(day=1):
        raise WaveError(f"{month:%Y-%m} has passed; plan this month or a later one.")
    program = Program.current()
    program_check(program)
    wave = Wave.objects.select_for_update().filter(month=month).first()
    if wave is not None and wave.status != Wave.Status.PLANNED:
        raise WaveError(
            f"The {month:%Y-%m} wave is already {wave.get_status_display().lower()}; "
            "a wave is planned once, before it sends."
        )
    if wave is None:
        wave = Wave.objects.create(month=month, status=Wave.Status.PLANNED, planned_at=timezone.now())
    if program.cycle_start is None:
        # The first wave ever starts the first cycle: nobody is owed for the months before.
        Program.objects.filter(pk=program.pk).update(cycle_start=month)
        program.cycle_start = month
    _statistics_refresh()
    # Planning again: what each account already has counts against its cap.
    existing = dict(wave.invitations.values("account_id").annotate(n=Count("id")).values_list("account_id", "n"))
    cap = program.per_account_cap
    added = 0
    sql, params = plan_candidates(program=program, wave=wave)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(INSERT_BATCH):
            batch = [
                Invitation(wave=wave, contact_id=contact_id, account_id=account_id, **token_fields_new())
                for contact_id, account_id, rank in rows
                if rank <= cap - existing.get(account_id, 0)
            ]
            added += len(Invitation.objects.bulk_create(batch, ignore_conflicts=True))
    return PlanResult(wave=wave, added=added, total=wave.invitations.count())


# --- The hold window -----------------------------------------------------------------

@transaction.atomic
def invitation_hold(*, invitation: Invitation, user: User, reason: str) -> Invitation:
    """Hold a planned contact out of the wave; it rolls over to the next one."""
    reason = (reason or "").strip()
    if not reason:
        raise WaveError("Say why you hold this contact out (an open escalation, a contract talk…).")
    if len(reason) > 300:
        raise WaveError("Keep the reason under 300 characters.")
    invitation = Invitation.objects.select_for_update().select_related("wave").get(pk=invitation.pk)
    if invitation.wave.status != Wave.Status.PLANNED:
        raise WaveError("This wave is already sending; it is too late to hold a contact out.")
    if invitation.status == Invitation.Status.HELD:
        raise WaveError("This contact is already held out of the wave.")
    if invitation.status != Invitation.Status.PLANNED:
        raise WaveError("Only a planned contact can be held out.")
    invitation.status = Invitation.Status.HELD
    invitation.hold_reason = reason
    invitation.held_by = user
    invitation.save(update_fields=["status", "hold_reason", "held_by"])
    return invitation


@transaction.atomic
def invitation_release(*, invitation: Invitation, user: User) -> Invitation:
    """Put a held contact back in the wave."""
    invitation = Invitation.objects.select_for_update().select_related("wave").get(pk=invitation.pk)
    if invitation.wave.status != Wave.Status.PLANNED:
        raise WaveError("This wave is already sending; the hold stays.")
    if invitation.status != Invitation.Status.HELD:
        raise WaveError("This contact is not held.")
    invitation.status = Invitation.Status.PLANNED
    invitation.hold_reason = ""
    invitation.held_by = None
    invitation.save(update_fields=["status", "hold_reason", "held_by"])
    return invitation


# --- Sending --------------------------------------------------------------------------

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


@dataclass
class DispatchResult:
    recovered: int = 0
    enqueued: int = 0
    reminders: int = 0
    finished: int = 0


def invitations_recover_stale(*, now=None) -> int:
    """The crash rule (module docstring): `sending` too long -> back to `planned`."""
    now = now or timezone.now()
    return Invitation.objects.filter(
        status=Invitation.Status.SENDING, claimed_at__lt=now - _stale_after()
    ).update(
        status=Invitation.Status.PLANNED, claimed_at=None, send_after=None,
        last_error="Back to planned: its worker stopped while sending.",
    )


def chunks(items: list, size: int) -> Iterator[list]:
    """`items` in slices of at most `size`, in order."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


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
        lease_until = now + _dispatch_lease() + timedelta(seconds=spread)
        for chunk in chunks(ids, INSERT_BATCH):
            Invitation.objects.filter(pk__in=chunk).update(send_after=lease_until)
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
    """A sending wave with nothing planned or sending left is sent."""
    busy = Invitation.objects.filter(
        wave=OuterRef("pk"), status__in=[Invitation.Status.PLANNED, Invitation.Status.SENDING]
    )
    return Wave.objects.filter(status=Wave.Status.SENDING).filter(~Exists(busy)).update(
        status=Wave.Status.SENT, sent_at=now or timezone.now()
    )


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


def email_language(contact: Contact) -> str:
    language = (contact.language or "en").lower()[:2]
    return language if language in EMAIL_LANGUAGES else "en"


_PLACEHOLDER = re.compile(r"@@(\w+)@@")
_skeletons: dict = {}


def _email_skeleton(name: str, language: str, has_phone: bool, program: Program) -> tuple[str, str, str]:
    """The email's subject, text and HTML rendered once per language (and program version)
    with @@placeholders@@ for what differs per message; filled by `_fill`. Rendering three
    templates per message would cost more than sending it."""
    key = (name, language, has_phone, program.pk, program.updated_at, settings.SITE_URL)
    skeleton = _skeletons.get(key)
    if skeleton is not None:
        return skeleton
    context = {
        "contact_first_name": "@@first_name@@",
        "account": {"name": "@@account@@"},
        "owner": {"phone": "@@owner_phone@@" if has_phone else "", "email": "@@owner_email@@"},
        "owner_name": "@@owner_name@@",
        "company": "@@company@@",
        "question": "@@question@@",
        "scores": [(score, f"@@answer_url@@?score={score}") for score in range(11)],
        "answer_url": "@@answer_url@@",
        "unsubscribe_url": "@@unsubscribe_url@@",
        "language": language,
    }
    with translation.override(language):
        skeleton = email_render(name, context)
    if len(_skeletons) > 64:
        _skeletons.clear()
    _skeletons[key] = skeleton
    return skeleton


def _fill(skeleton: str, values: dict, escape: bool) -> str:
    """One pass, so a value that looks like a placeholder stays as it is."""
    if escape:
        return _PLACEHOLDER.sub(lambda m: html.escape(values[m.group(1)], quote=True), skeleton)
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], skeleton)


def invitation_email(invitation: Invitation, *, program: Program, reminder: bool = False, connection=None):
    """The invitation (or its reminder) as an EmailMultiAlternatives, in the contact's language:
    templates/emails/{invitation,reminder}.{subject.txt,txt,html}."""
    contact = invitation.contact
    owner = invitation.account.owner
    token = invitation_token(invitation)
    unsubscribe_url = settings.SITE_URL + reverse("surveys:unsubscribe", args=[token])
    language = email_language(contact)
    values = {
        "first_name": contact.first_name,
        "account": invitation.account.name,
        "owner_name": owner.full_name or owner.email,
        "owner_phone": owner.phone,
        "owner_email": owner.email,
        "company": program.company_name,
        "question": program.question(language),
        "answer_url": settings.SITE_URL + reverse("answer:answer", args=[token]),
        "unsubscribe_url": unsubscribe_url,
    }
    name = "reminder" if reminder else "invitation"
    subject, text, html_body = _email_skeleton(name, language, bool(owner.phone), program)
    subject, text, html_body = _fill(subject, values, False), _fill(text, values, False), _fill(html_body, values, True)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        "Content-Language": language,
    }
    if reminder:
        headers["Message-ID"] = invitation.message_id.replace("@pulse>", "-reminder@pulse>")
        headers["In-Reply-To"] = invitation.message_id
        headers["References"] = invitation.message_id
    else:
        headers["Message-ID"] = invitation.message_id
    message = mail.EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((program.sender_name, program.sender_email)),
        to=[formataddr((contact.name, contact.email))],
        reply_to=[formataddr((owner.full_name, owner.email))],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html_body, "text/html")
    return message


def _smtp_failure(error: Exception) -> tuple[bool, bool, str]:
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


def _mark_retry(invitation_id: int, attempts: int, error: str, now) -> None:
    if attempts >= MAX_ATTEMPTS:
        Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.FAILED, last_error=error, claimed_at=None
        )
        return
    delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.PLANNED, send_after=now + delay, claimed_at=None, last_error=error
    )


@transaction.atomic
def _mark_bounced(invitation: Invitation, error: str, now) -> None:
    Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.BOUNCED, last_error=error, claimed_at=None
    )
    Contact.objects.filter(pk=invitation.contact_id, bounced_at__isnull=True).update(bounced_at=now)


def _mark_sent(invitation: Invitation, program: Program, now) -> None:
    Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.SENT,
        sent_at=now,
        expires_at=now + timedelta(days=program.link_valid_days),
        reminder_after=now + timedelta(days=program.reminder_days) if program.reminder_days else None,
        claimed_at=None,
        last_error="",
    )


def _smtp_open(smtp) -> None:
    """One connection for the whole batch (a failure to connect shows on the first send)."""
    try:
        smtp.open()
    except (smtplib.SMTPException, OSError):
        log.warning("SMTP connection failed; each message of the batch is retried later")


def _commit_default() -> None:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")


def _commit_fast() -> None:
    """Each `sent` mark is its own commit; on PostgreSQL, do not wait for the WAL flush.
    A killed worker loses nothing by it (the commit is in the server); only a crash of
    the database server itself could forget the last instants of marks, and then those
    rows go back by the crash rule and are sent again."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0


def invitations_send(*, invitation_ids: list[int]) -> SendResult:
    """Send one batch over one SMTP connection. Only rows this call claims are sent."""
    result = SendResult()
    claimed = _claim(invitation_ids, timezone.now())
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
        _smtp_open(smtp)
        _commit_fast()
        for invitation in invitations:
            if not invitation.contact.reachable:
                Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENDING).update(
                    status=Invitation.Status.FAILED, claimed_at=None,
                    last_error="Not sent: the contact opted out or bounced before sending.",
                )
                result.failed += 1
                continue
            message = invitation_email(invitation, program=program, connection=smtp)
            try:
                message.send()
            except (smtplib.SMTPException, OSError) as error:
                permanent, lost, text = _smtp_failure(error)
                now = timezone.now()
                if permanent:
                    _mark_bounced(invitation, text, now)
                    result.bounced += 1
                else:
                    _mark_retry(invitation.pk, invitation.attempts, text, now)
                    result.retried += 1
                if lost:
                    smtp.close()
                continue
            _mark_sent(invitation, program, timezone.now())
            result.sent += 1
    finally:
        smtp.close()
        _commit_default()
    return result


# --- Reminders ------------------------------------------------------------------------

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


def reminders_due_ids(*, now, limit: int, spread: float = 0) -> list[int]:
    """Lease up to `limit` due reminders; the dispatcher passes 0 when the program sends none."""
    if limit <= 0:
        return []
    with transaction.atomic():
        ids = list(
            reminders_due(now=now).select_for_update(skip_locked=True, of=("self",))
            .order_by("id").values_list("id", flat=True)[:limit]
        )
        lease_until = now + _dispatch_lease() + timedelta(seconds=spread)
        for chunk in chunks(ids, INSERT_BATCH):
            Invitation.objects.filter(pk__in=chunk).update(reminder_after=lease_until)
    return ids


def reminders_send(*, invitation_ids: list[int]) -> SendResult:
    """Send one batch of reminders. Claiming sets `reminded_at` first, so a reminder goes
    at most once (a worker killed mid-send loses that one reminder rather than repeat it)."""
    result = SendResult()
    now = timezone.now()
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
        _smtp_open(smtp)
        for invitation in invitations:
            message = invitation_email(invitation, program=program, reminder=True, connection=smtp)
            try:
                message.send()
            except (smtplib.SMTPException, OSError) as error:
                permanent, lost, text = _smtp_failure(error)
                if permanent:
                    Contact.objects.filter(pk=invitation.contact_id, bounced_at__isnull=True).update(
                        bounced_at=timezone.now()
                    )
                    Invitation.objects.filter(pk=invitation.pk).update(last_error=f"reminder: {text}"[:500])
                    result.bounced += 1
                else:
                    Invitation.objects.filter(pk=invitation.pk).update(
                        reminded_at=None, reminder_after=timezone.now() + BACKOFF[1],
                        last_error=f"reminder: {text}"[:500],
                    )
                    result.retried += 1
                if lost:
                    smtp.close()
                continue
            result.sent += 1
    finally:
        smtp.close()
    return result


# --- Unsubscribe ----------------------------------------------------------------------

@transaction.atomic
def contact_unsubscribe(*, invitation: Invitation, now=None) -> Contact:
    """Opt the invitation's contact out. Repeat calls change nothing. Contacts still in an
    unsent wave leave it."""
    now = now or timezone.now()
    contact = Contact.objects.select_for_update().get(pk=invitation.contact_id)
    if contact.opted_out_at is None:
        contact.opted_out_at = now
        contact.save(update_fields=["opted_out_at", "updated_at"])
        Invitation.objects.filter(
            contact=contact, wave__status=Wave.Status.PLANNED,
            status__in=[Invitation.Status.PLANNED, Invitation.Status.HELD],
        ).delete()
    return contact


# --- Beat -----------------------------------------------------------------------------

def waves_plan_due(*, today: date | None = None) -> PlanResult | None:
    """Plan next month's wave once its hold window opens (hold_days before the 1st)."""
    today = today or timezone.localdate()
    month = month_next_to_plan(today)
    program = Program.current()
    if (month - today).days > program.hold_days:
        return None
    wave = Wave.objects.filter(month=month).first()
    if wave is not None and wave.status != Wave.Status.PLANNED:
        return None
    return wave_plan(month=month, today=today)


def waves_send_due(*, today: date | None = None) -> list[Wave]:
    """Send every planned wave whose 1st has come (today's, or one beat missed)."""
    today = today or timezone.localdate()
    started = []
    for wave in Wave.objects.filter(status=Wave.Status.PLANNED, month__lte=today).order_by("month"):
        started.append(wave_send(month=wave.month, today=today))
    return started
