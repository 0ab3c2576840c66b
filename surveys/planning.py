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
Never asked: opted out, bounced, inactive account, asked within the
quiet period. At most K (per_account_cap) per account and wave. Planning selects in one
SQL statement and inserts in batches; one row per (wave, contact), so planning again
changes nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from .batching import INSERT_BATCH
from .models import Account, Contact, Invitation, Program, User, Wave
from .months import month_begins, month_from_index, month_index, month_next_to_plan
from .program import WaveError, program_check, program_for_update
from .tokens import token_fields_new


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
            residue, ops.adapt_datetimefield_value(month_begins(since)), ops.adapt_datefield_value(since),
            ops.adapt_datefield_value(month), Invitation.Status.HELD.value,
        ]
    cutoff = month_begins(month) - timedelta(days=program.quiet_days)
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
