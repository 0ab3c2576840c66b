"""The summaries the follow-up discipline figures read (followups.models: CallMonthSummary,
OpenCallSummary, CallDelaySummary, RootCauseSummary), kept exact in the same transaction
as each event that changes a call, the way surveys.tallies keeps the answers' summaries.

What a call adds, by its account's owner and region now (as the per-AM answers):
- CallMonthSummary (month of the answer, category): a call not cancelled; attempted;
  reached; closed without reaching (unreachable, declined); on time (first attempt on or
  before the due date).
- OpenCallSummary (month, category, due date, assignee, for whom): an open call;
  attempted; on time. "Not due yet", "missed (overdue)" and the detractor figures depend
  on today: they are sums of these rows with a condition on the due date
  (followups.selectors); the overdue page's people and counts are those rows by
  assignee, and an assignee's own list counts its rows where the owner is whom for.
- CallDelaySummary (category, first attempt or reached, bucket of followups.delays): a
  call (not cancelled) with that delay.
- RootCauseSummary (month, category, root cause): a reached call with a root cause.
- RootCauseThemeSummary (month, category, root cause, theme): the same, once for each
  theme of its answer's reason as it stands (feedback.ResponseTheme).
Cancelled calls count nowhere.

Each event calls one function here, inside its own transaction, with the call's row and
its account's row locked (the account first: its owner and region are read under that
lock, so an owner change moves everything added before it and nothing after):
  a call queued, cancelled, re-opened or re-categorised (call_queue_for_response),
  an attempt logged (attempt_log), handed to a colleague (call_reassign),
  given to an account's new owner (calls_move_for_account), an administrator's edit
  .................................................................. call_change_count
  calls created in bulk (the demo) ........................................ calls_added_count
  an account's owner or region changed, an account deleted ......... accounts_moved_count
                                                    (receiver of surveys.signals.accounts_moved)
  the themes of a reached call's answer changed ............................ themes_changed_count
                                           (receiver of feedback.signals.response_themes_changed)
Calls deleted with their contact or answer (administrators' edits) are not followed: the
nightly `call_summaries_rebuild` repairs them; `call_summaries_differences` finds them.

Writers write the tables in one order (month, open, delay, root cause, root cause by
theme), each in key order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from feedback.models import Response, ResponseTheme
from surveys.batching import chunks
from surveys.compiled_sql import ids_rows
from surveys.models import Account
from surveys.months import month_of_moment
from surveys.tallies import accounts_locked
from surveys.tallies import rows_add as tallies_rows_add

from .call_states import call_states_refresh
from .delays import bucket_expression, bucket_of
from .models import (
    Call,
    CallDelaySummary,
    CallMonthSummary,
    OpenCallSummary,
    RootCauseSummary,
    RootCauseThemeSummary,
)

State = Call.State
CLOSED_UNREACHED = (State.UNREACHABLE, State.DECLINED)
# (model, key columns after owner and region, count columns), in the order writers write.
TABLES = (
    (CallMonthSummary, ("month", "category"), ("calls", "attempted", "reached", "closed_unreached", "on_time")),
    (OpenCallSummary, ("month", "category", "due_on", "assignee_id", "assigned_for_id"),
     ("open", "attempted", "on_time")),
    (CallDelaySummary, ("category", "kind", "bucket"), ("calls",)),
    (RootCauseSummary, ("month", "category", "root_cause_id"), ("reached",)),
    (RootCauseThemeSummary, ("month", "category", "root_cause_id", "theme_id"), ("reached",)),
)
FIELDS = {model: fields for model, _keys, fields in TABLES}
# What of a call its contributions read (call_snapshot).
SNAPSHOT = ("state", "category", "answered_at", "due_on", "first_attempt_at", "first_attempt_on",
            "seconds_to_first_attempt", "seconds_to_reached", "root_cause_id", "assignee_id", "assigned_for_id")
OWNERS_PER_REBUILD = 50


def _deltas() -> dict:
    """{model: {key: {field: signed count}}}, key = (owner, region, *the model's keys)."""
    return {model: defaultdict(lambda m=model: dict.fromkeys(FIELDS[m], 0)) for model, _k, _f in TABLES}


# --- One call's contributions ----------------------------------------------------------------

def _counts_by_theme(call) -> bool:
    """Whether a call counts in the root causes' rows (and so by its answer's themes)."""
    return call.state == State.REACHED and call.root_cause_id is not None


def call_snapshot(call: Call | None, *, theme_ids: dict | None = None) -> dict | None:
    """What the summaries read of a call, as it is now (None: no call); of a reached call
    with a root cause also its answer's themes: from `theme_ids` ({answer: [theme]}, read
    for many calls at once) or one query."""
    if call is None:
        return None
    snapshot = {name: getattr(call, name) for name in SNAPSHOT}
    snapshot["theme_ids"] = ()
    if _counts_by_theme(call):
        themes = theme_ids.get(call.response_id, ()) if theme_ids is not None else (
            ResponseTheme.objects.filter(response_id=call.response_id).values_list("theme_id", flat=True))
        snapshot["theme_ids"] = tuple(sorted(themes))
    return snapshot


def _add_call(deltas: dict, call: dict | None, who: tuple, sign: int) -> None:
    if call is None or call["state"] == State.CANCELLED:
        return
    month, category, state = month_of_moment(call["answered_at"]), call["category"], call["state"]
    attempted = int(call["first_attempt_at"] is not None)
    on_time = int(call["first_attempt_on"] is not None and call["first_attempt_on"] <= call["due_on"])
    row = deltas[CallMonthSummary][(*who, month, category)]
    row["calls"] += sign
    row["attempted"] += sign * attempted
    row["reached"] += sign * (state == State.REACHED)
    row["closed_unreached"] += sign * (state in CLOSED_UNREACHED)
    row["on_time"] += sign * on_time
    if state == State.OPEN:
        row = deltas[OpenCallSummary][(*who, month, category, call["due_on"], call["assignee_id"],
                                       call["assigned_for_id"])]
        row["open"] += sign
        row["attempted"] += sign * attempted
        row["on_time"] += sign * on_time
    for kind, seconds in (("first_attempt", call["seconds_to_first_attempt"]), ("reached", call["seconds_to_reached"])):
        if seconds is not None:
            deltas[CallDelaySummary][(*who, category, kind, bucket_of(seconds))]["calls"] += sign
    if state == State.REACHED and call["root_cause_id"] is not None:
        deltas[RootCauseSummary][(*who, month, category, call["root_cause_id"])]["reached"] += sign
        for theme_id in call["theme_ids"]:
            deltas[RootCauseThemeSummary][(*who, month, category, call["root_cause_id"], theme_id)]["reached"] += sign


# --- Adding to the rows ------------------------------------------------------------------------

def _keys_of(model) -> tuple:
    return next(keys for m, keys, _f in TABLES if m is model)


def _key_columns(model) -> tuple:
    return tuple(model._meta.get_field(name).column for name in ("owner", "region", *_keys_of(model)))


def rows_add(deltas: dict) -> None:
    """Add signed counts to the summary rows, creating missing ones (surveys.tallies'
    upsert): table by table in the writers' order, each in key order. Open-call rows that
    fall to zero are removed (the table holds the open queue only)."""
    for model, _keys, fields in TABLES:
        tallies_rows_add(model._meta.db_table, _key_columns(model), deltas[model], fields)
    emptied = [key for key, counts in deltas[OpenCallSummary].items() if counts["open"] < 0]
    for key in sorted(emptied):
        owner_id, region_id, month, category, due_on, assignee_id, assigned_for_id = key
        OpenCallSummary.objects.filter(owner_id=owner_id, region_id=region_id, month=month, category=category,
                                       due_on=due_on, assignee_id=assignee_id, assigned_for_id=assigned_for_id,
                                       open=0, attempted=0, on_time=0).delete()


# --- The events ----------------------------------------------------------------------------------

def call_account_lock(account_id: int) -> tuple[int, int]:
    """Lock the call's account (before the call's own row) and read (owner, region) under it."""
    return accounts_locked([account_id])[account_id]


def call_change_count(*, who: tuple[int, int], before: dict | None, after: dict | None) -> None:
    """A call changed from `before` to `after` (call_snapshot of each; None: no call) in this
    transaction, its account locked (call_account_lock gave `who`): add the difference."""
    calls_change_count(who=who, changes=[(before, after)])


def calls_change_count(*, who: tuple[int, int], changes: list[tuple[dict | None, dict | None]]) -> None:
    """call_change_count of several calls of one account, in one write of the rows."""
    changes = [(before, after) for before, after in changes if before != after]
    if not changes:
        return
    deltas = _deltas()
    for before, after in changes:
        _add_call(deltas, before, who, -1)
        _add_call(deltas, after, who, +1)
    rows_add(deltas)


def calls_added_count(calls: Iterable[Call]) -> None:
    """Calls just created in bulk in this transaction (the demo): add them, and count their
    accounts' call states afresh."""
    calls = list(calls)
    owners = accounts_locked(call.account_id for call in calls)
    theme_ids = defaultdict(list)
    for chunk in chunks(sorted(call.response_id for call in calls if _counts_by_theme(call)), 2000):
        for response_id, theme_id in ResponseTheme.objects.filter(response_id__in=chunk).values_list(
            "response_id", "theme_id"
        ):
            theme_ids[response_id].append(theme_id)
    deltas = _deltas()
    for call in calls:
        _add_call(deltas, call_snapshot(call, theme_ids=theme_ids), owners[call.account_id], +1)
    rows_add(deltas)
    call_states_refresh(owners)


def accounts_moved_count(sender=None, *, moves: dict, **kwargs) -> None:
    """Receiver of surveys.signals.accounts_moved: {account: ((old owner, old region), (new
    owner, new region) or None)}, in the transaction that moves them, their rows locked.
    Their calls' contributions, counted from those accounts' own calls, move from the old
    owner's rows to the new one's. (A signal, because surveys may not import followups.)"""
    deltas = _deltas()
    for chunk in chunks(sorted(moves), 500):
        counted = _grouped_rows(Call.objects.filter(account_id__in=chunk), ("account_id",))
        for model, rows in counted.items():
            for (account_id, *rest), counts in rows.items():
                old, new = moves[account_id]
                for field, n in counts.items():
                    deltas[model][(*old, *rest)][field] -= n
                    if new is not None:
                        deltas[model][(*new, *rest)][field] += n
    rows_add(deltas)
    # Rows left at zero add nothing; without them a former owner does not linger as a group.
    old_owners = sorted({old[0] for old, _new in moves.values()})
    for model, _keys, fields in TABLES:
        model.objects.filter(owner_id__in=old_owners, **dict.fromkeys(fields, 0)).delete()


def themes_changed_count(sender=None, *, response_id: int, added: set, removed: set, **kwargs) -> None:
    """Receiver of feedback.signals.response_themes_changed, in the transaction that changed
    the answer's themes (its row locked): when its call is reached with a root cause, the
    call's rows by theme follow. Locks the account first (after the answer, as every
    writer of a call does), then reads the call under that lock."""
    if not (added or removed):
        return
    accounts = ids_rows(_account_of_answer, [response_id])
    if not accounts:
        return
    account_id = accounts[0][0]
    owner_id, region_id = accounts_locked([account_id])[account_id]
    calls = ids_rows(_reached_call, [response_id])
    if not calls:
        return
    answered_at, category, root_cause_id = calls[0]
    deltas = _deltas()
    key = (owner_id, region_id, month_of_moment(answered_at), category, root_cause_id)
    for theme_id, sign in [(t, +1) for t in added] + [(t, -1) for t in removed]:
        deltas[RootCauseThemeSummary][(*key, theme_id)]["reached"] += sign
    rows_add(deltas)


def _account_of_answer(response_ids: list[int]):
    """(compiled once: surveys.compiled_sql)"""
    return Response.objects.filter(pk__in=response_ids).values_list("account_id")


def _reached_call(response_ids: list[int]):
    return (Call.objects.filter(response_id__in=response_ids, state=State.REACHED, root_cause__isnull=False)
            .values_list("answered_at", "category", "root_cause_id"))


# --- Counting from the calls: the rebuild and the check ----------------------------------------

_ATTEMPTED = Count("pk", filter=Q(first_attempt_at__isnull=False))
_ON_TIME = Count("pk", filter=Q(first_attempt_on__lte=F("due_on")))


def _counted(calls: QuerySet[Call]) -> QuerySet[Call]:
    """The calls that count, with the month of their answer (m)."""
    return calls.exclude(state=State.CANCELLED).annotate(m=TruncMonth("answered_at", output_field=DateField()))


def _open_rows(counted: QuerySet[Call], who: tuple[str, ...]) -> QuerySet:
    """OpenCallSummary's keys and counts, counted from `counted` (_counted) in SQL."""
    return counted.filter(state=State.OPEN).values_list(
        *who, "m", "category", "due_on", "assignee_id", "assigned_for_id").annotate(
        open=Count("pk"), attempted=_ATTEMPTED, on_time=_ON_TIME
    ).order_by()


def _grouped_rows(calls: QuerySet[Call], who: tuple[str, ...]) -> dict:
    """{model: {(*who, *keys): counts}} counted from `calls` in SQL (a GROUP BY per table),
    `who` the columns that lead the keys: the account's owner and region, or the account."""
    rows = _deltas()
    counted = _counted(calls)
    per_month = counted.values_list(*who, "m", "category").annotate(
        calls=Count("pk"), attempted=_ATTEMPTED, reached=Count("pk", filter=Q(state=State.REACHED)),
        closed_unreached=Count("pk", filter=Q(state__in=CLOSED_UNREACHED)), on_time=_ON_TIME,
    ).order_by()
    for model, query in ((CallMonthSummary, per_month), (OpenCallSummary, _open_rows(counted, who))):
        width = len(who) + len(_keys_of(model))
        for row in query:
            rows[model][tuple(row[:width])] = dict(zip(FIELDS[model], row[width:], strict=True))
    for kind, field in (("first_attempt", "seconds_to_first_attempt"), ("reached", "seconds_to_reached")):
        for *key, bucket, n in (
            counted.filter(**{f"{field}__isnull": False}).annotate(b=bucket_expression(field))
            .values_list(*who, "category", "b").annotate(n=Count("pk")).order_by()
        ):
            rows[CallDelaySummary][(*key, kind, bucket)]["calls"] = n
    for *key, n in (
        counted.filter(state=State.REACHED, root_cause__isnull=False)
        .values_list(*who, "m", "category", "root_cause_id").annotate(n=Count("pk")).order_by()
    ):
        rows[RootCauseSummary][tuple(key)]["reached"] = n
    for *key, n in (
        counted.filter(state=State.REACHED, root_cause__isnull=False)
        .values_list(*who, "m", "category", "root_cause_id", "response__themes__theme_id")
        .annotate(n=Count("pk")).order_by()
    ):
        if key[-1] is not None:  # an answer without themes
            rows[RootCauseThemeSummary][tuple(key)]["reached"] = n
    return rows


OWNER_REGION = ("account__owner_id", "account__region_id")


def _stored_rows(owner_ids: list[int] | None = None) -> dict:
    rows = _deltas()
    for model, keys, fields in TABLES:
        stored = model.objects.all() if owner_ids is None else model.objects.filter(owner_id__in=owner_ids)
        for row in stored.values_list("owner_id", "region_id", *keys, *fields):
            counts = dict(zip(fields, row[2 + len(keys):], strict=True))
            if any(counts.values()):
                rows[model][tuple(row[:2 + len(keys)])] = counts
    return rows


@transaction.atomic
def _owners_rebuild(owner_ids: list[int]) -> None:
    if connection.vendor == "postgresql":
        # Writers wait (readers do not) while these owners' rows are counted afresh: an
        # event that had written committed before, one that had not yet writes after.
        tables = ", ".join(model._meta.db_table for model, _k, _f in TABLES)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
    rows = _grouped_rows(Call.objects.filter(account__owner_id__in=owner_ids), OWNER_REGION)
    for model, _keys, _fields in TABLES:
        model.objects.filter(owner_id__in=owner_ids).delete()
        _rows_create(model, rows[model])


def _rows_create(model, rows: dict) -> None:
    """Write {(owner, region, *keys): counts} as new rows of `model` (those not all zero)."""
    keys = _keys_of(model)
    model.objects.bulk_create(
        [
            model(owner_id=key[0], region_id=key[1], **dict(zip(keys, key[2:], strict=True)), **counts)
            for key, counts in rows.items() if any(counts.values())
        ],
        batch_size=2000,
    )


def _owner_ids() -> list[int]:
    """Owners of accounts, and owners the tables still hold rows of."""
    ids = set(Account.objects.values_list("owner_id", flat=True).distinct())
    for model, _k, _f in TABLES:
        ids.update(model.objects.values_list("owner_id", flat=True).distinct())
    return sorted(ids)


def call_summaries_rebuild() -> int:
    """Recompute every call summary from the calls (a repair, nightly), a few owners per
    transaction: each is one GROUP BY over those owners' calls. The rows are per owner and
    region, not per account, so an owner's rows are rebuilt whole in one transaction.
    Returns the number of owners."""
    owners = _owner_ids()
    for chunk in chunks(owners, OWNERS_PER_REBUILD):
        _owners_rebuild(chunk)
    return len(owners)


@transaction.atomic
def open_call_rows_recount() -> int:
    """Count OpenCallSummary afresh from the open calls, the other tables left as they are
    (followups 0012, which added a column to its key: a fraction of a rebuild, as only
    the open calls are read). Returns the number of rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {OpenCallSummary._meta.db_table} IN EXCLUSIVE MODE")
    OpenCallSummary.objects.all().delete()
    width = 2 + len(_keys_of(OpenCallSummary))
    rows = {
        tuple(row[:width]): dict(zip(FIELDS[OpenCallSummary], row[width:], strict=True))
        for row in _open_rows(_counted(Call.objects.all()), OWNER_REGION)
    }
    _rows_create(OpenCallSummary, rows)
    return len(rows)


def call_summaries_differences() -> list[str]:
    """Where the call summaries disagree with the calls ([] when they agree): for tests and
    `rebuild_call_summaries --check`. Reads everything; not for pages."""
    expected = _grouped_rows(Call.objects.all(), OWNER_REGION)
    stored = _stored_rows()
    found = []
    for model, _keys, fields in TABLES:
        want = {key: counts for key, counts in expected[model].items() if any(counts.values())}
        have = stored[model]
        for key in sorted(set(want) | set(have), key=str):
            zero = dict.fromkeys(fields, 0)
            if want.get(key, zero) != have.get(key, zero):
                found.append(f"{model.__name__} {key}: {have.get(key, zero)}, expected {want.get(key, zero)}")
    return found
