"""The summaries the rollups read (MonthSummary, OwnerMonthSummary, AccountSummary), kept
exact in the same transaction as each event that changes them. An event's work grows with
the event (one invitation, one answer, the months of one moved account or contact), never
with the history of the account or region.

What they count; every increment and the rebuild (surveys.tallies_rebuild) agree on it:
- delivered: invitations the mail server accepted (status "sent"), in the month they were
  sent. A send refused for good (5xx) marks the invitation bounced: never delivered. A
  reminder refused for good marks the contact bounced (never asked again) and leaves the
  invitation delivered: the server took the invitation itself days before, and its link
  may still be answered.
- answered: delivered invitations whose answer counts, in the month they were sent.
- promoters, passives, detractors: counted (not suspect) answers, in the month they were
  first given (a change of mind keeps that month).
- by the contact's level now, and the account's owner and region now.

Each event calls one function here, inside its own transaction:
  an invitation marked sent (surveys.sending) ............ invitation_delivered_count
  an answer saved or changed, suspect or not (feedback) ... invitation_answer_count
  an owner or region changed (import, owner change, admin)  accounts_moved
  a contact's level changed (import, admin) ............... contact_levels_changed
  contacts or accounts added (import) ..................... account_contacts_recount
  accounts deleted (admin) ................................ accounts_forget
An answer, an owner or region change, an account's summary written whole and the windows'
roll also keep the revenue sums (surveys.revenue_tallies.accounts_revenue_refresh), last;
so does an account's active flag or revenue changed (import, API, deactivation, admin).
An event that changed an account's counts, windows or executives' silence then tells the
apps above (signals.account_summaries_changed).
Bounces change nothing (see above). An administrator's edit of contacts recounts their
account whole (surveys.tallies_rebuild.accounts_recount); `tallies_rebuild` recomputes
everything from the invitations and contacts (a repair, nightly), and
`tallies_differences` says where the tables and a rebuild disagree.

Locking: a writer first locks the account's row (FOR NO KEY UPDATE on PostgreSQL; SQLite
runs one writing transaction at a time) and reads owner, region and the contact's level
under that lock. Two events of one account so apply one after the other, and an owner or
level change moves everything added before it and nothing added after. Then it writes
OwnerMonthSummary rows in key order, MonthSummary, AccountSummary, RevenueSummary: one
order for every writer, so no two wait on each other in a circle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import signals
from .batching import chunks
from .compiled_sql import ids_rows
from .models import Account, AccountSummary, Contact, Invitation, Level, MonthSummary, OwnerMonthSummary
from .months import month_begins, month_of_moment, month_window_first
from .revenue_tallies import accounts_revenue_refresh
from .summary_rows import rows_add

COUNT_FIELDS = ("promoters", "passives", "detractors", "delivered", "answered")
CATEGORY_FIELDS = {"promoter": "promoters", "passive": "passives", "detractor": "detractors"}
ANSWER_FIELDS = tuple(CATEGORY_FIELDS.values())
# The account windows AccountSummary keeps, by the suffix of their fields: months long.
WINDOWS = {"3m": 3, "12m": 12}
MONTH_KEYS = ("account_id", "month", "level")
OWNER_KEYS = ("owner_id", "region_id", "month", "level")
SENT = Invitation.Status.SENT
EXECUTIVE = Level.EXECUTIVE
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 500

_MS, _OMS, _AS = MonthSummary._meta.db_table, OwnerMonthSummary._meta.db_table, AccountSummary._meta.db_table
_INV, _ACC, _CON = Invitation._meta.db_table, Account._meta.db_table, Contact._meta.db_table


def zero_counts() -> dict:
    return dict.fromkeys(COUNT_FIELDS, 0)


def _lock_clause() -> str:
    """The row lock of the account, in a SELECT that joins it as `a`."""
    return " FOR NO KEY UPDATE OF a" if connection.vendor == "postgresql" else ""


def _as_datetime(value) -> datetime | None:
    """A datetime read by a raw cursor (SQLite returns text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def window_froms(now: datetime | None = None) -> dict[str, date]:
    """{"3m": first month, "12m": first month} of the account windows as of `now`."""
    return {suffix: month_window_first(months, now) for suffix, months in WINDOWS.items()}


def account_windows_current(now: datetime | None = None) -> bool:
    """Whether every account's stored window counts are this month's: false from the
    month's first moment until the daily roll has moved them on (a read of an index).
    The roll moves both windows at once, so the 3-month one tells."""
    first = window_froms(now)["3m"]
    return not AccountSummary.objects.filter(Q(window_3m_from__lt=first) | Q(window_3m_from__gt=first)).exists()


# --- Adding to the monthly rows ----------------------------------------------------------

def _summaries_add(changes: dict) -> None:
    """Add signed counts keyed by (account, owner, region, month, level) to the owner's
    and the account's monthly rows (in that order)."""
    owner_rows: dict = defaultdict(zero_counts)
    month_rows: dict = defaultdict(zero_counts)
    for (account_id, owner_id, region_id, month, level), counts in changes.items():
        for field, n in counts.items():
            owner_rows[(owner_id, region_id, month, level)][field] += n
            month_rows[(account_id, month, level)][field] += n
    rows_add(_OMS, OWNER_KEYS, owner_rows, COUNT_FIELDS)
    rows_add(_MS, MONTH_KEYS, month_rows, COUNT_FIELDS)


def accounts_locked(account_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Lock the accounts' rows (in id order) and read {id: (owner, region)} under the lock."""
    locked = {}
    for chunk in chunks(sorted(set(account_ids)), CHUNK):
        for pk, owner_id, region_id in ids_rows(_accounts_locking, chunk):
            locked[pk] = (owner_id, region_id)
    return locked


def _accounts_locking(account_ids: list[int]):
    return (Account.objects.select_for_update(no_key=True).filter(pk__in=account_ids).order_by("pk")
            .values_list("pk", "owner_id", "region_id"))


# --- An invitation sent ------------------------------------------------------------------

_SENT_INVITATION = (
    f"SELECT i.answer_category, i.account_id, a.owner_id, a.region_id, c.level FROM {_INV} i"
    f" JOIN {_ACC} a ON a.id = i.account_id JOIN {_CON} c ON c.id = i.contact_id WHERE i.id = %s"
)


def invitation_delivered_count(*, invitation_id: int, sent_at: datetime) -> None:
    """The invitation was just marked sent at `sent_at` in this transaction: it is
    delivered in that month (and answered, if its answer came first: a worker that died
    after the mail server took the message leaves the row to be sent again)."""
    with connection.cursor() as cursor:
        cursor.execute(_SENT_INVITATION + _lock_clause(), [invitation_id])
        category, account_id, owner_id, region_id, level = cursor.fetchone()
    counts = zero_counts()
    counts["delivered"] = 1
    counts["answered"] = 1 if category else 0
    _summaries_add({(account_id, owner_id, region_id, month_of_moment(sent_at), level): counts})
    if level == EXECUTIVE:
        _executive_refresh(account_id)
        _summaries_changed([account_id])


# --- An answer saved or changed -----------------------------------------------------------

_ANSWER_SET = (
    f"UPDATE {_INV} SET answer_category = %s, answered_at = %s WHERE id = %s"
    " RETURNING account_id, contact_id, status, sent_at"
)
_ACCOUNT_AND_LEVEL = (
    f"SELECT a.owner_id, a.region_id, c.level FROM {_ACC} a JOIN {_CON} c ON c.account_id = a.id"
    " WHERE a.id = %s AND c.id = %s"
)


@lru_cache(maxsize=4)
def _account_counts_sql(contacts_change: bool) -> str:
    """Add to one account's counts: all time, and each window when the answer's month is
    in it; with `contacts_change`, the answering contacts change by ±1 unless the contact
    has another counted answer, and the latest answer moves to this one if it is later."""
    sets = []
    for field in ANSWER_FIELDS:
        sets.append(f"{field}_all = {field}_all + %s")
        for suffix in WINDOWS:
            column = f"{field}_{suffix}"
            sets.append(f"{column} = {column} + CASE WHEN window_{suffix}_from <= %s THEN %s ELSE 0 END")
    if contacts_change:
        sets.append(
            "answering_contacts = answering_contacts + CASE WHEN EXISTS (SELECT 1 FROM"
            f" {_INV} WHERE contact_id = %s AND answer_category <> '' AND id <> %s) THEN 0 ELSE %s END"
        )
        sets.append("last_answer_at = CASE WHEN last_answer_at IS NULL OR last_answer_at < %s THEN %s"
                    " ELSE last_answer_at END")
    sets.append("refreshed_at = %s")
    return f"UPDATE {_AS} SET {', '.join(sets)} WHERE account_id = %s"


def invitation_answer_count(
    *, invitation_id: int, was: str, counts_as: str, answered_at: datetime, now: datetime
) -> int | None:
    """The invitation's answer counts as `counts_as` now (a category, or "" when it does not
    count: suspect), where it counted as `was`: write that on the invitation and add the
    difference to the summaries. Call in the answer's transaction with the answer's row
    locked (just inserted, or read FOR UPDATE), so that `was` is what the invitation holds.
    Returns the account's owner as read under its lock (None: nothing to count, no lock)."""
    if was == counts_as:
        return None
    adapt_datetime = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_ANSWER_SET, [counts_as, adapt_datetime(answered_at) if counts_as else None, invitation_id])
        account_id, contact_id, status, sent_at = cursor.fetchone()
        cursor.execute(_ACCOUNT_AND_LEVEL + _lock_clause(), [account_id, contact_id])
        owner_id, region_id, level = cursor.fetchone()
    month = month_of_moment(answered_at)
    counts = zero_counts()
    if was:
        counts[CATEGORY_FIELDS[was]] -= 1
    if counts_as:
        counts[CATEGORY_FIELDS[counts_as]] += 1
    changes = {(account_id, owner_id, region_id, month, level): counts}
    counted_change = bool(counts_as) - bool(was)  # +1 counts now, -1 no longer, 0 another category
    if counted_change and status == SENT and sent_at is not None:
        sent_key = (account_id, owner_id, region_id, month_of_moment(_as_datetime(sent_at)), level)
        changes.setdefault(sent_key, zero_counts())["answered"] += counted_change
    _summaries_add(changes)

    params = []
    adapt_date = connection.ops.adapt_datefield_value(month)
    for field in ANSWER_FIELDS:
        params.append(counts[field])
        for _suffix in WINDOWS:
            params += [adapt_date, counts[field]]
    if counted_change:
        # An answer that stops counting leaves the latest as it was here; recounted below.
        latest = adapt_datetime(answered_at if counted_change > 0 else None)
        params += [contact_id, invitation_id, counted_change, latest, latest]
    params += [adapt_datetime(now), account_id]
    with connection.cursor() as cursor:
        cursor.execute(_account_counts_sql(bool(counted_change)), params)
        found = cursor.rowcount
    if not found:  # an account made without its summary (the admin, a loader): count it whole
        account_summaries_write([account_id], now=now)
        return owner_id
    if counted_change < 0:
        _last_answer_recount(account_id)
    accounts_revenue_refresh([account_id])
    if level == EXECUTIVE and counted_change:
        _executive_refresh(account_id, answered_at=answered_at if counted_change > 0 else None,
                           full=counted_change < 0)
    _summaries_changed([account_id])
    return owner_id


def _summaries_changed(account_ids: Iterable[int]) -> None:
    """The apps above follow what they keep per account (signals.account_summaries_changed)."""
    signals.account_summaries_changed.send(sender=AccountSummary, account_ids=list(account_ids))


def _last_answer_recount(account_id: int) -> None:
    """An answer stopped counting: the account's latest counted answer read again."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_AS} SET last_answer_at = (SELECT MAX(answered_at) FROM {_INV}"
            f" WHERE account_id = %s AND answer_category <> '') WHERE account_id = %s", [account_id, account_id])


def _executive_refresh(account_id: int, *, answered_at: datetime | None = None, full: bool = False) -> None:
    """The account's last executive answer and the waves since in which an executive was
    asked and did not answer. `answered_at`: an executive's answer just counted; `full`:
    one no longer counts, or a contact became or stopped being an executive. The count
    reads the executives' invitations sent since their last answer (the figure itself)."""
    executive = Invitation.objects.filter(contact__account_id=account_id, contact__level=EXECUTIVE)
    if full:
        last = executive.exclude(answer_category="").aggregate(last=Max("answered_at"))["last"]
    else:
        last = AccountSummary.objects.filter(pk=account_id).values_list("last_executive_answer_at", flat=True).first()
        if answered_at is not None and (last is None or answered_at > last):
            last = answered_at
    waves = (
        executive.filter(status=SENT, answer_category="", sent_at__gt=last or EPOCH)
        .values("wave_id").distinct().count()
    )
    AccountSummary.objects.filter(pk=account_id).update(
        last_executive_answer_at=last, executive_waves_unanswered=waves
    )


# --- The book changed: owners, regions, levels, contacts -----------------------------------

def accounts_moved(moves: Iterable[tuple[int, tuple[int, int], tuple[int, int] | None]]) -> None:
    """Accounts given another owner or region: (account, (old owner, old region), (new
    owner, new region), or None for an account about to be deleted). Call in the
    transaction that changes them, after locking their rows (the UPDATE itself, or
    select_for_update) and before or after writing: their monthly rows move from the old
    owner's rows to the new owner's."""
    moves = {account_id: (old, new) for account_id, old, new in moves if old != new}
    if not moves:
        return
    # Summaries of higher apps (the follow-up calls) move with the accounts, in this transaction.
    signals.accounts_moved.send(sender=Account, moves=moves)
    deltas: dict = defaultdict(zero_counts)
    for chunk in chunks(sorted(moves), CHUNK):
        for account_id, month, level, *counts in MonthSummary.objects.filter(account_id__in=chunk).values_list(
            "account_id", "month", "level", *COUNT_FIELDS
        ):
            old, new = moves[account_id]
            for field, n in zip(COUNT_FIELDS, counts, strict=True):
                deltas[(*old, month, level)][field] -= n
                if new is not None:
                    deltas[(*new, month, level)][field] += n
    rows_add(_OMS, OWNER_KEYS, deltas, COUNT_FIELDS)
    # Rows left at zero add nothing; without them an old owner does not linger as a group.
    zero = {field: 0 for field in COUNT_FIELDS}
    for owners in chunks(sorted({old[0] for old, _new in moves.values()}), CHUNK):
        OwnerMonthSummary.objects.filter(owner_id__in=owners, **zero).delete()
    accounts_revenue_refresh(moves, pairs={account_id: new for account_id, (_old, new) in moves.items()})


def accounts_forget(account_ids: Iterable[int]) -> None:
    """Accounts about to be deleted in this transaction (their own rows go with them):
    take their counts out of their owners' rows."""
    accounts_moved((account_id, pair, None) for account_id, pair in accounts_locked(account_ids).items())


def contact_levels_changed(changes: Iterable[tuple[int, str, str]]) -> None:
    """Contacts whose level changed in this transaction: (contact, old level, new level).
    Their invitations' and answers' counts move from the old level's rows to the new."""
    changes = {contact_id: (old, new) for contact_id, old, new in changes if old != new}
    if not changes:
        return
    account_of = {}
    for chunk in chunks(sorted(changes), CHUNK):
        account_of.update(Contact.objects.filter(pk__in=chunk).values_list("pk", "account_id"))
    owners = accounts_locked(account_of.values())
    deltas: dict = defaultdict(zero_counts)
    for chunk in chunks(sorted(changes), CHUNK):
        for contact_id, account_id, status, sent_at, category, answered_at in Invitation.objects.filter(
            contact_id__in=chunk
        ).values_list("contact_id", "account_id", "status", "sent_at", "answer_category", "answered_at"):
            contributions = []
            if status == SENT and sent_at is not None:
                contributions += [(month_of_moment(sent_at), "delivered")]
                if category:
                    contributions += [(month_of_moment(sent_at), "answered")]
            if category:
                contributions += [(month_of_moment(answered_at), CATEGORY_FIELDS[category])]
            old, new = changes[contact_id]
            owner_id, region_id = owners[account_id]
            for month, field in contributions:
                deltas[(account_id, owner_id, region_id, month, old)][field] -= 1
                deltas[(account_id, owner_id, region_id, month, new)][field] += 1
    _summaries_add(deltas)
    executives = {account_of[c] for c, (old, new) in changes.items() if EXECUTIVE in (old, new)}
    for account_id in sorted(executives):
        if AccountSummary.objects.filter(pk=account_id).exists():
            _executive_refresh(account_id, full=True)
            _summaries_changed([account_id])
        else:
            account_summaries_write([account_id])


def account_contacts_recount(account_ids: Iterable[int], *, now: datetime | None = None) -> None:
    """Accounts that gained contacts (or were created) in this transaction: their contact
    count, and a summary for an account that has none yet."""
    ids = sorted(set(account_ids))
    contacts = (
        Contact.objects.filter(account_id=OuterRef("account_id")).order_by()
        .values("account_id").annotate(n=Count("pk")).values("n")
    )
    for chunk in chunks(ids, CHUNK):
        have = set(AccountSummary.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        missing = [pk for pk in chunk if pk not in have]
        if missing:
            accounts_locked(missing)
            account_summaries_write(missing, now=now)
        if have:
            AccountSummary.objects.filter(pk__in=have).update(contacts=Coalesce(Subquery(contacts), 0))


# --- Reading the account windows exactly ---------------------------------------------------

def account_window_counts(suffix: str, now: datetime | None = None) -> dict:
    """{"promoters": expression, ...}: an AccountSummary row's exact counts of the window
    `suffix` ("3m", "12m") as of `now`. The stored counts start at the row's
    `window_<suffix>_from`; when that is not the window's first month now (a month turned
    since the roll), the months between are added or taken away from MonthSummary, a few
    rows of the one account."""
    start = month_window_first(WINDOWS[suffix], now)
    from_field = f"window_{suffix}_from"
    between = MonthSummary.objects.filter(
        account_id=OuterRef("account_id"),
        month__gte=Least(OuterRef(from_field), Value(start, output_field=DateField())),
        month__lt=Greatest(OuterRef(from_field), Value(start, output_field=DateField())),
    ).order_by().values("account_id")
    counts = {}
    for field in ANSWER_FIELDS:
        gained = Sum(Case(When(month__gte=start, then=F(field)), default=-F(field), output_field=IntegerField()))
        correction = Coalesce(Subquery(between.annotate(n=gained).values("n")), 0)
        counts[field] = ExpressionWrapper(
            F(f"{field}_{suffix}") + Case(When(**{from_field: start}, then=Value(0)), default=correction),
            output_field=IntegerField(),
        )
    return counts


def account_windows_roll(*, now: datetime | None = None) -> int:
    """Move every account's stored windows to this month's (daily, and after the 1st):
    readers then need no correction. Returns the number of accounts moved."""
    froms = window_froms(now)
    stale = AccountSummary.objects.filter(
        ~Q(window_3m_from=froms["3m"]) | ~Q(window_12m_from=froms["12m"])
    ).order_by("pk").values_list("pk", flat=True)
    moved = 0
    for chunk in chunks(list(stale), CHUNK):
        with transaction.atomic():
            accounts_locked(chunk)
            updates = {}
            for suffix in WINDOWS:
                for field, expression in account_window_counts(suffix, now).items():
                    updates[f"{field}_{suffix}"] = expression
                updates[f"window_{suffix}_from"] = froms[suffix]
            moved += AccountSummary.objects.filter(pk__in=chunk).update(**updates)
            accounts_revenue_refresh(chunk)
            _summaries_changed(chunk)
    return moved


# --- An account's summary computed whole -----------------------------------------------------

def account_rows(account_ids: list[int], *, now: datetime | None = None) -> list[AccountSummary]:
    """AccountSummary rows computed from the invitations and contacts."""
    now = now or timezone.now()
    froms = window_froms(now)
    invitations = Invitation.objects.filter(account_id__in=account_ids)
    counted = invitations.exclude(answer_category="")
    fields: dict = defaultdict(dict)
    for account_id, n in Contact.objects.filter(account_id__in=account_ids).values_list("account_id").annotate(
        n=Count("pk")
    ).order_by():
        fields[account_id]["contacts"] = n
    for account_id, n in counted.values_list("account_id").annotate(n=Count("contact_id", distinct=True)).order_by():
        fields[account_id]["answering_contacts"] = n
    windows = {f"n_{suffix}": Count("pk", filter=Q(answered_at__gte=month_begins(froms[suffix]))) for suffix in WINDOWS}
    for account_id, category, last, n_all, *n_windows in (
        counted.values_list("account_id", "answer_category")
        .annotate(last=Max("answered_at"), n=Count("pk"), **windows).order_by()
    ):
        field = CATEGORY_FIELDS[category]
        fields[account_id][f"{field}_all"] = n_all
        known = fields[account_id].get("last_answer_at")
        fields[account_id]["last_answer_at"] = last if known is None or last > known else known
        for suffix, n in zip(WINDOWS, n_windows, strict=True):
            fields[account_id][f"{field}_{suffix}"] = n
    executive = counted.filter(contact__level=EXECUTIVE)
    for account_id, last in executive.values_list("account_id").annotate(last=Max("answered_at")).order_by():
        fields[account_id]["last_executive_answer_at"] = last
    last_of_outer = (
        Invitation.objects.filter(account_id=OuterRef("account_id"), contact__level=EXECUTIVE)
        .exclude(answer_category="").order_by().values("account_id").annotate(last=Max("answered_at")).values("last")
    )
    silent = (
        invitations.filter(contact__level=EXECUTIVE, status=SENT, answer_category="")
        .filter(sent_at__gt=Coalesce(Subquery(last_of_outer), Value(EPOCH)))
        .values_list("account_id").annotate(n=Count("wave_id", distinct=True)).order_by()
    )
    for account_id, n in silent:
        fields[account_id]["executive_waves_unanswered"] = n
    return [
        AccountSummary(
            account_id=account_id, window_3m_from=froms["3m"], window_12m_from=froms["12m"], refreshed_at=now,
            **fields.get(account_id, {}),
        )
        for account_id in account_ids
    ]


def account_summaries_write(account_ids: list[int], *, now: datetime | None = None) -> None:
    """Replace the accounts' AccountSummary rows by ones computed whole (accounts locked)."""
    AccountSummary.objects.filter(pk__in=account_ids).delete()
    AccountSummary.objects.bulk_create(account_rows(account_ids, now=now))
    accounts_revenue_refresh(account_ids)
    _summaries_changed(account_ids)
