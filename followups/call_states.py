"""Each account's call state (followups.models.AccountCallState): whether its latest
counted answer is a detractor nobody has called yet, and when the latest of its detractors
not called yet answered. The accounts at risk and the revenue at risk (reports.at_risk)
read these two columns instead of probing every account's answers and calls per page.

Kept in the transaction of every event that can change them, for the accounts it touches:
  a call queued, cancelled, re-opened, re-categorised or tried (followups.services),
  an administrator's edit or delete of a call (followups.admin),
  calls created in bulk (the demo; followups.tallies.calls_added_count) call_states_refresh
  an answer that starts or stops counting (new, suspect set or lifted)
                              ...... answer_counted_changed_refresh (feedback.signals)
Each refresh also keeps the revenue at risk (followups.revenue_at_risk) and the accounts at
risk (followups.risk_states). Calls or answers
deleted with their contact or account are not followed: the nightly call_states_rebuild
(then revenue_at_risk_rebuild and risk_states_rebuild) repairs them, call_states_differences finds them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from feedback.models import Response
from surveys.batching import chunks
from surveys.compiled_sql import ids_sql
from surveys.models import Account
from surveys.tallies import accounts_locked

from .models import NOT_CALLED_DETRACTOR, AccountCallState, Call
from .revenue_at_risk import revenue_at_risk_refresh
from .risk_states import risk_states_refresh

ACCOUNTS_PER_REBUILD = 2000
COLUMNS = ("latest_not_called", "last_not_called_at")


def _counted(account_ids: list[int]) -> QuerySet:
    """(account id, latest_not_called, last_not_called_at) of these accounts, counted from
    their answers and calls: two index probes per account."""
    latest = (
        Response.objects.filter(account_id=OuterRef(OuterRef("pk")), suspect=False)
        .order_by("-answered_at", "-pk").values("pk")[:1]
    )
    not_called = Call.objects.filter(NOT_CALLED_DETRACTOR, account_id=OuterRef("pk"))
    return Account.objects.filter(pk__in=account_ids).annotate(
        latest_not_called=Exists(not_called.filter(response_id=Subquery(latest))),
        last_not_called_at=Subquery(not_called.order_by("-answered_at").values("answered_at")[:1]),
    ).values_list("pk", *COLUMNS)


def _write(account_ids: list[int]) -> list[int]:
    """Count and store these accounts' states in one statement (an answer's transaction
    pays one query for them), compiled once per process (surveys.compiled_sql). Returns
    the accounts whose state is new or changed."""
    select, params = ids_sql(_counted, account_ids)
    table = AccountCallState._meta.db_table
    updates = ", ".join(f"{column} = excluded.{column}" for column in COLUMNS)
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"  # NULL-safe
    changed = " OR ".join(f"{table}.{column} {differs} excluded.{column}" for column in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, {', '.join(COLUMNS)}) {select} "
            f"ON CONFLICT (account_id) DO UPDATE SET {updates} WHERE {changed} RETURNING account_id", params)
        return [row[0] for row in cursor.fetchall()]


def call_states_refresh(account_ids: Iterable[int]) -> None:
    """Count these accounts' call states afresh, in the caller's transaction (after its
    change, with the accounts locked by it or by the event's own lock order). The revenue
    at risk and the accounts at risk follow the accounts whose state changed: the rest of
    what they hold has hooks of its own (the summaries, the book facts)."""
    for chunk in chunks(sorted(set(account_ids)), ACCOUNTS_PER_REBUILD):
        changed = _write(chunk)
        if changed:
            revenue_at_risk_refresh(changed)  # the revenue at risk follows the latest answer's call
            risk_states_refresh(changed)  # so do the accounts at risk


def answer_counted_changed_refresh(sender=None, *, account_id: int, **kwargs) -> None:
    """Receiver of feedback.signals.answer_counted_changed: another answer may be the
    account's latest counted one now. (A signal, because feedback may not import followups.)"""
    call_states_refresh([account_id])


def call_states_rebuild() -> int:
    """Count every account's call state afresh (a repair, nightly), a chunk of accounts per
    transaction with their rows locked, so an event waits rather than interleaves. Returns
    the number of accounts."""
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    for chunk in chunks(ids, ACCOUNTS_PER_REBUILD):
        with transaction.atomic():
            accounts_locked(chunk)
            _write(chunk)
    # The rows of accounts gone, by NOT EXISTS (an anti-join): as NOT IN (subquery), PostgreSQL
    # scanned every account again for each row once the ids outgrew work_mem (at 275,000
    # accounts the statement was still running after seven minutes).
    AccountCallState.objects.filter(~Exists(Account.objects.filter(pk=OuterRef("account_id")))).delete()
    return len(ids)


def call_states_differences() -> list[str]:
    """Where the stored call states disagree with the answers and calls ([] when they
    agree): for tests and `rebuild_call_summaries --check`. Reads everything."""
    stored = {pk: (flag, at) for pk, flag, at in AccountCallState.objects.values_list("account_id", *COLUMNS)}
    found = []
    for chunk in chunks(list(Account.objects.order_by("pk").values_list("pk", flat=True)), ACCOUNTS_PER_REBUILD):
        for pk, *want in _counted(chunk):
            want = tuple(want)
            have = stored.get(pk, (False, None))
            if have != want:
                found.append(f"AccountCallState {pk}: {have}, expected {want}")
    return found
