"""Planning a wave and its hold window (DESIGN §2 step 2).

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
Never asked: opted out, bounced, inactive account, asked within the quiet period,
erased on request (surveys.suppression: an erased contact is opted out too; this catches
their address added again by hand). At most K (per_account_cap) per account and wave.
Planning selects in one SQL statement and inserts in batches; one row per (wave,
contact), so planning again changes nothing.
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from .audit import audit_record
from .batching import INSERT_BATCH, chunks
from .models import Account, Contact, Invitation, Program, Suppression, User, Wave
from .months import month_begins, month_from_index, month_index, month_next_to_plan
from .program import WaveError, cycle_first_month, program_check, program_for_update
from .suppression import contacts_suppressed
from .tokens import token_pairs_new


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
    or ineligible then). One pass over the contacts, joined to a row per residue planned
    this month (`slot`), and one pass over the invitations that can matter, summed up
    per contact (`asked`): a scan and an anti-join per residue took P scans of the book."""
    ops = connection.ops
    month = wave.month
    period = program.period_months
    index = month_index(month)
    contact, account = Contact._meta.db_table, Account._meta.db_table
    invitation, wave_table = Invitation._meta.db_table, Wave._meta.db_table
    # (residue, owed, since): the due residue, then each earlier one of this cycle, owed since
    # its last due month. The due one's `since` is never read; it is `month` so the column has a type.
    slots = [(index % period, 0, month)]
    for residue in range(period):
        since = month_from_index(index - (index - residue) % period)
        if residue != index % period and not (program.cycle_start and since < program.cycle_start):
            slots.append((residue, 1, since))
    params: dict = {
        "month": ops.adapt_datefield_value(month),
        "oldest": ops.adapt_datefield_value(min(since for _, _, since in slots)),
        "cutoff": ops.adapt_datetimefield_value(month_begins(month) - timedelta(days=program.quiet_days)),
        "wave": wave.pk, "held": Invitation.Status.HELD.value, "active": True, "cap": program.per_account_cap,
    }
    values = []
    for number, (residue, owed, since) in enumerate(slots):
        values.append(f"(%(residue{number})s, %(owed{number})s, %(since{number})s, %(since_at{number})s)")
        params |= {f"residue{number}": residue, f"owed{number}": owed,
                   f"since{number}": ops.adapt_datefield_value(since),
                   f"since_at{number}": ops.adapt_datetimefield_value(month_begins(since))}
    sql = f"""
        WITH slot (residue, owed, since, since_at) AS (VALUES {", ".join(values)}),
        asked AS (
            -- Per contact: in this wave already, last sent, last month asked (a hold is not an ask).
            -- Only invitations of this cycle's months, or sent within the quiet period.
            SELECT i.contact_id,
                   MAX(CASE WHEN i.wave_id = %(wave)s THEN 1 ELSE 0 END) AS in_wave,
                   MAX(i.sent_at) AS last_sent,
                   MAX(CASE WHEN i.status <> %(held)s AND w.month < %(month)s THEN w.month END) AS last_month
            FROM {invitation} i JOIN {wave_table} w ON w.id = i.wave_id
            WHERE w.month >= %(oldest)s OR i.sent_at >= %(cutoff)s
            GROUP BY i.contact_id
        )
        SELECT id, account_id, rnk FROM (
            SELECT c.id, c.account_id,
                   ROW_NUMBER() OVER (PARTITION BY c.account_id ORDER BY s.owed DESC, c.id) AS rnk
            FROM {contact} c
            JOIN slot s ON s.residue = c.id %% {period}
            JOIN {account} a ON a.id = c.account_id
            LEFT JOIN asked q ON q.contact_id = c.id
            WHERE a.active = %(active)s AND c.opted_out_at IS NULL AND c.bounced_at IS NULL
              AND (s.owed = 0 OR c.created_at < s.since_at)
              AND (q.contact_id IS NULL
                   OR (q.in_wave = 0 AND (q.last_sent IS NULL OR q.last_sent < %(cutoff)s)
                       AND (s.owed = 0 OR q.last_month IS NULL OR q.last_month < s.since)))
        ) ranked
        WHERE rnk <= %(cap)s
    """
    return sql, params


def monthly_slice_size(*, frequency: int, today: date | None = None) -> int:
    """Contacts a month if each is asked `frequency` times a year: how many the planner
    would pick for the first wave a change to `frequency` applies to (a new cycle, so
    nobody is owed), under the saved program's quiet period and per-account cap, with
    the same candidates query and the same suppression list as wave_plan."""
    program = Program.current()
    program.frequency = frequency
    month = cycle_first_month(today or timezone.localdate())
    program.cycle_start = month
    # An unsaved wave: no contact is in it yet, so nobody is left out as already planned.
    sql, params = plan_candidates(program=program, wave=Wave(month=month))
    with connection.cursor() as cursor:
        if not Suppression.objects.exists():  # the usual case: a count, no ids fetched
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) picked", params)
            return cursor.fetchone()[0]
        cursor.execute(f"SELECT id FROM ({sql}) picked", params)
        chosen = [contact_id for (contact_id,) in cursor.fetchall()]
    return len(chosen) - len(contacts_suppressed(chosen))


@transaction.atomic
def wave_plan(*, month: date, today: date | None = None) -> PlanResult:
    """Plan the wave of `month` (a first of the month). Planning again adds only
    contacts that became eligible since and never moves anyone already in it."""
    today = today or timezone.localdate()
    month = month.replace(day=1)
    if month < today.replace(day=1):
        raise WaveError(f"{month:%Y-%m} has passed; plan this month or a later one.")
    program = program_for_update()
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
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Every row read before the first INSERT: the query reads the table we insert into.
        chosen = []
        while candidates := cursor.fetchmany(INSERT_BATCH):
            chosen += [(contact_id, account_id) for contact_id, account_id, rank in candidates
                       if rank <= cap - existing.get(account_id, 0)]
        suppressed = contacts_suppressed(contact_id for contact_id, _ in chosen)
        if suppressed:
            chosen = [pair for pair in chosen if pair[0] not in suppressed]
        constant = (wave.pk, Invitation.Status.PLANNED.value, "", 0, "", created_at)
        for sweep in chunks(chosen, _SWEEP):
            rows = [(contact_id, account_id, nonce, digest, *constant) for (contact_id, account_id), (nonce, digest)
                    in zip(sweep, token_pairs_new(len(sweep)), strict=True)]
            # In token_hash order: its unique index then takes the new keys in one sweep instead
            # of a random leaf page per row, which costs more as the table grows.
            rows.sort(key=itemgetter(3))
            if connection.vendor == "postgresql":
                added += _invitations_copy(cursor, rows)
            else:
                for batch in chunks(rows, _insert_batch()):
                    added += _invitations_insert(cursor, batch)
    return PlanResult(wave=wave, added=added, total=wave.invitations.count())


# Rows made, sorted and inserted at a time: one sweep of the token_hash index for a wave of
# 1,000,000 contacts asked twice a year, with memory bounded for a bigger one.
_SWEEP = 200_000

# Columns of a planned invitation, in the order of the tuples _invitations_insert takes.
_INSERT_FIELDS = ("contact", "account", "token_nonce", "token_hash", "wave", "status", "hold_reason", "attempts",
                  "last_error", "created_at")


def _invitations_copy(cursor, rows: list[tuple]) -> int:
    """Insert planned invitations with one COPY (PostgreSQL): no statement of 50,000 parameters
    to build and parse per 5,000 rows. No ON CONFLICT is needed: the wave is locked and the
    candidates exclude its contacts, so a duplicate here is a bug and fails the plan."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Invitation._meta.get_field(name).column) for name in _INSERT_FIELDS)
    # Every value is an integer, a hex string, a status or an empty string: nothing to escape.
    text = "".join("\t".join(map(str, row)) + "\n" for row in rows)
    cursor.copy_expert(f"COPY {quote(Invitation._meta.db_table)} ({columns}) FROM STDIN", io.StringIO(text))
    return len(rows)


def _insert_batch() -> int:
    """Rows per INSERT: INSERT_BATCH, or fewer where the database limits the parameters of one query (SQLite)."""
    limit = connection.features.max_query_params
    return INSERT_BATCH if limit is None else min(INSERT_BATCH, limit // len(_INSERT_FIELDS))


def _invitations_insert(cursor, rows: list[tuple]) -> int:
    """Insert planned invitations as one multi-row INSERT of plain tuples; returns the rows added.
    (Building a model instance per row for bulk_create cost more than the database's own
    work at 150,000 rows.) A contact already in the wave is skipped, as before."""
    quote = connection.ops.quote_name
    column = {name: quote(Invitation._meta.get_field(name).column) for name in _INSERT_FIELDS}
    one = "(" + ", ".join(["%s"] * len(_INSERT_FIELDS)) + ")"
    cursor.execute(
        f"INSERT INTO {quote(Invitation._meta.db_table)} ({', '.join(column.values())}) "
        f"VALUES {', '.join([one] * len(rows))} ON CONFLICT ({column['wave']}, {column['contact']}) DO NOTHING",
        [value for row in rows for value in row],
    )
    return cursor.rowcount


# --- The hold window ------------------------------------------------------------

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
    _hold_audit("invitation_held", invitation, by=user, reason=reason)
    return invitation


def _hold_audit(event: str, invitation: Invitation, *, by: User, reason: str = "") -> None:
    """A hold or put-back in the audit log: on the account, naming the contact by its id."""
    details = {"wave": str(invitation.wave), "contact": invitation.contact_id, "invitation": invitation.pk}
    audit_record(event, by=by, target=invitation.account, details={**details, **({"reason": reason} if reason else {})})


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
    _hold_audit("invitation_released", invitation, by=user)
    return invitation


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
