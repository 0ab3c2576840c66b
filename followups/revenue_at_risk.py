"""Revenue at risk per owner and region (RevenueAtRiskSummary, read by reports.at_risk): the
active accounts with a known revenue whose latest counted answer is a detractor nobody has
called yet (AccountCallState.latest_not_called), and their revenue.

Kept in the transaction of each event that can change an account's part, after it:
  its call state counted afresh (followups.call_states: calls, answers) ... revenue_at_risk_refresh
  its owner, region, active flag or revenue changed, or the account deleted
                   ...... accounts_revenue_changed_refresh (receiver of surveys.signals)
Each account's part is kept on its call state (at_risk_owner_id, at_risk_region_id,
at_risk_revenue): an event takes it out and adds the part now, so its work grows with its
accounts, never with an owner's. `revenue_at_risk_rebuild` recounts everything (nightly,
after the call states); `revenue_at_risk_differences` finds where the sums disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from surveys.batching import chunks
from surveys.compiled_sql import ids_rows
from surveys.revenue_tallies import cents_of
from surveys.summary_rows import rows_add

from .models import AccountCallState, RevenueAtRiskSummary

KEYS = ("owner_id", "region_id")
FIELDS = ("accounts", "revenue_cents")
PART = ("at_risk_owner_id", "at_risk_region_id", "at_risk_revenue")
CHUNK = 500


_PART_FIELDS = ("account_id", "latest_not_called", *PART,
                "account__owner_id", "account__region_id", "account__active", "account__annual_revenue")


def _parts(account_ids: list[int]):
    """What revenue_at_risk_refresh reads of these accounts (compiled once: surveys.compiled_sql)."""
    return AccountCallState.objects.filter(pk__in=account_ids).values_list(*_PART_FIELDS)


def _zero() -> dict:
    return {"accounts": 0, "revenue_cents": 0}


def _part_now(row: dict, pairs: dict) -> tuple:
    """(owner, region, revenue) the account adds now, or (None, None, None)."""
    pk = row["account_id"]
    owner_id, region_id = row["account__owner_id"], row["account__region_id"]
    if pk in pairs:
        if pairs[pk] is None:  # about to be deleted
            return None, None, None
        owner_id, region_id = pairs[pk]
    revenue = row["account__annual_revenue"]
    if row["latest_not_called"] and row["account__active"] and revenue is not None:
        return owner_id, region_id, revenue
    return None, None, None


def revenue_at_risk_refresh(account_ids: Iterable[int], *, pairs: dict | None = None) -> None:
    """These accounts' call states or book facts changed in this transaction (rows locked):
    take their last parts out of the sums and add them as they are now. `pairs`: {account
    id: (owner, region), or None when it is about to be deleted} where the account does
    not say it yet. One read, and two writes when a part changed."""
    pairs = pairs or {}
    for chunk in chunks(sorted(set(account_ids)), CHUNK):
        deltas: dict = defaultdict(_zero)
        changed = []
        for values in ids_rows(_parts, chunk):
            row = dict(zip(_PART_FIELDS, values, strict=True))
            old, new = tuple(row[name] for name in PART), _part_now(row, pairs)
            if old == new:
                continue
            if old[2] is not None:
                deltas[old[:2]]["accounts"] -= 1
                deltas[old[:2]]["revenue_cents"] -= cents_of(old[2])
            if new[2] is not None:
                deltas[new[:2]]["accounts"] += 1
                deltas[new[:2]]["revenue_cents"] += cents_of(new[2])
            changed.append(AccountCallState(account_id=row["account_id"], **dict(zip(PART, new, strict=True))))
        rows_add(RevenueAtRiskSummary._meta.db_table, KEYS, deltas, FIELDS)
        if changed:
            AccountCallState.objects.bulk_update(changed, list(PART))


def accounts_revenue_changed_refresh(sender=None, *, pairs: dict, **kwargs) -> None:
    """Receiver of surveys.signals.accounts_revenue_changed."""
    revenue_at_risk_refresh(pairs, pairs=pairs)


def _expected() -> tuple[dict, dict]:
    """({account id: part}, {(owner, region): sums}) counted from the call states and accounts."""
    parts, sums = {}, defaultdict(_zero)
    for row in AccountCallState.objects.values(
        "account_id", "latest_not_called", "account__owner_id", "account__region_id", "account__active",
        "account__annual_revenue",
    ):
        part = _part_now(row, {})
        parts[row["account_id"]] = part
        if part[2] is not None:
            sums[part[:2]]["accounts"] += 1
            sums[part[:2]]["revenue_cents"] += cents_of(part[2])
    return parts, sums


@transaction.atomic
def revenue_at_risk_rebuild() -> int:
    """Count every account's part and the sums afresh (after the call states, nightly).
    Returns the number of accounts at risk."""
    if connection.vendor == "postgresql":
        # Events wait meanwhile, then add their change to what is written here.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {RevenueAtRiskSummary._meta.db_table} IN EXCLUSIVE MODE")
    parts, sums = _expected()
    stored = {row["account_id"]: tuple(row[name] for name in PART)
              for row in AccountCallState.objects.values("account_id", *PART)}
    changed = [AccountCallState(account_id=pk, **dict(zip(PART, part, strict=True)))
               for pk, part in parts.items() if stored.get(pk) != part]
    AccountCallState.objects.bulk_update(changed, list(PART), batch_size=2000)
    RevenueAtRiskSummary.objects.all().delete()
    RevenueAtRiskSummary.objects.bulk_create(
        [RevenueAtRiskSummary(owner_id=owner_id, region_id=region_id, **row) for (owner_id, region_id), row in
         sums.items()], batch_size=2000)
    return sum(row["accounts"] for row in sums.values())


def revenue_at_risk_differences() -> list[str]:
    """Where the stored parts and sums disagree with a count afresh ([] when they agree)."""
    parts, sums = _expected()
    found = []
    for row in AccountCallState.objects.values("account_id", *PART):
        have = tuple(row[name] for name in PART)
        if have != parts[row["account_id"]]:
            found.append(f"AccountCallState {row['account_id']} at risk: {have}, expected {parts[row['account_id']]}")
    stored = {(row["owner_id"], row["region_id"]): {name: row[name] for name in FIELDS}
              for row in RevenueAtRiskSummary.objects.exclude(accounts=0, revenue_cents=0).values(
                  "owner_id", "region_id", *FIELDS)}
    for key in sorted(set(sums) | set(stored), key=str):
        if sums.get(key, _zero()) != stored.get(key, _zero()):
            found.append(f"RevenueAtRiskSummary {key}: {stored.get(key)}, expected {sums.get(key)}")
    return found

