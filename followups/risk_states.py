"""Each active account's place among the accounts at risk (AccountRisk, one row per rollup
period) and the number at risk per owner, region and period whatever a page's baseline
(AtRiskCount): what reports.at_risk reads, so that a rollup page reads the first rows of an
index and a few sums instead of every account of its scope.

An account's group in a period (see reports.at_risk for the rule):
- UNHAPPY: a detractor answered in the period, or its latest counted answer, not called yet;
- SILENT: otherwise, its executives left SILENT_WAVES or more waves unanswered;
- NEITHER: otherwise. Such an account is still at risk on a page whose detractor share
  lies below the lower end of its own interval (`low`): the page counts those by the index.

Kept in the transaction of each event that can change an account's row, after it:
  its call state counted afresh (followups.call_states) ........... risk_states_refresh
  its summary changed: an answer, an executive's invitation sent, a level changed, the
  windows' roll, a summary written whole (surveys.signals.account_summaries_changed)
                                      ...... account_summaries_changed_refresh
  its owner, region, active flag or revenue changed, or the account deleted
                     (surveys.signals.accounts_revenue_changed) ... accounts_revenue_changed_refresh
An event takes the account's old rows out of the counts and adds the new ones: its work
grows with its accounts, never with an owner's. `risk_states_rebuild` recounts everything
(nightly, after the call states); `risk_states_differences` finds where they disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction

from feedback.figures import share_interval
from surveys.batching import chunks
from surveys.compiled_sql import ids_rows
from surveys.models import AccountSummary
from surveys.months import month_begins
from surveys.summary_rows import rows_add

from .models import AccountRisk, AtRiskCount

SILENT_WAVES = 2
PERIODS = ("3m", "12m", "all")
CHUNK = 500
COUNT_KEYS = ("owner_id", "region_id", "period")
# What a row holds besides its key (account, period): compared to tell whether it changed.
ROW = ("owner_id", "region_id", "group", "low", "revenue_known", "revenue", "executive_waves_unanswered")
_SUMMARY = (
    "account_id", "account__active", "account__owner_id", "account__region_id", "account__annual_revenue",
    "account__call_state__latest_not_called", "account__call_state__last_not_called_at",
    "executive_waves_unanswered", "window_3m_from", "window_12m_from",
    *(f"{kind}_{period}" for period in PERIODS for kind in ("promoters", "passives", "detractors")),
)


def _rows_now(summary: dict, pair: tuple[int, int] | None) -> dict[str, tuple]:
    """{period: row values (ROW)} the account has now; {} when it has none (not active,
    about to be deleted)."""
    if pair is None or not summary["account__active"]:
        return {}
    revenue = summary["account__annual_revenue"]
    last_not_called = summary["account__call_state__last_not_called_at"]
    waves = summary["executive_waves_unanswered"]
    rows = {}
    for period in PERIODS:
        n = sum(summary[f"{kind}_{period}"] for kind in ("promoters", "passives", "detractors"))
        interval = share_interval(summary[f"detractors_{period}"], n)
        window_from = summary.get(f"window_{period}_from")
        since = month_begins(window_from) if window_from else None
        unhappy = bool(summary["account__call_state__latest_not_called"]) or (
            last_not_called is not None and (since is None or last_not_called >= since))
        group = AccountRisk.Group.UNHAPPY if unhappy else (
            AccountRisk.Group.SILENT if waves >= SILENT_WAVES else AccountRisk.Group.NEITHER)
        rows[period] = (*pair, int(group), interval[0] if interval else 0.0, revenue is not None,
                        Decimal(revenue if revenue is not None else 0), waves)
    return rows


def _count(rows: dict[str, tuple], sign: int, deltas: dict) -> None:
    for period, row in rows.items():
        if row[2] != AccountRisk.Group.NEITHER:
            deltas[(row[0], row[1], period)]["accounts"] += sign


def _stored() -> dict[int, dict[str, tuple]]:
    """{account id: {period: row}} as stored."""
    stored = defaultdict(dict)
    for row in AccountRisk.objects.values("account_id", "period", *ROW):
        stored[row["account_id"]][row["period"]] = tuple(row[name] for name in ROW)
    return stored


def _normal(rows: dict[str, tuple]) -> dict[str, tuple]:
    """Rows as compared: the revenue as a Decimal of two places, whatever the database returned."""
    return {period: (*row[:5], Decimal(row[5]).quantize(Decimal("0.01")), row[6]) for period, row in rows.items()}


_STORED_FIELDS = tuple(f"account__risks__{name}" for name in ("period", *ROW))
_READ = (*_SUMMARY, *_STORED_FIELDS)


def _summaries_with_rows(account_ids: list[int]):
    """What risk_states_refresh reads of these accounts (compiled once: surveys.compiled_sql)."""
    return AccountSummary.objects.filter(pk__in=account_ids).values_list(*_READ)


def risk_states_refresh(account_ids: Iterable[int], *, pairs: dict | None = None) -> None:
    """These accounts' summaries, call states or book facts changed in this transaction
    (rows locked): write their rows as they are now and move the counts by the difference.
    `pairs`: {account id: (owner, region), or None when it is about to be deleted} where
    the account does not say it yet. One read (the summaries with their rows joined);
    writes only for what changed."""
    pairs = pairs or {}
    for chunk in chunks(sorted(set(account_ids)), CHUNK):
        before, now = defaultdict(dict), {}
        # The summaries with their stored rows joined (a row per period): one read.
        for values in ids_rows(_summaries_with_rows, chunk):
            summary = dict(zip(_READ, values, strict=True))
            pk = summary["account_id"]
            if summary["account__risks__period"] is not None:
                before[pk][summary["account__risks__period"]] = tuple(summary[name] for name in _STORED_FIELDS[1:])
            if pk not in now:
                pair = pairs[pk] if pk in pairs else (summary["account__owner_id"], summary["account__region_id"])
                now[pk] = _normal(_rows_now(summary, pair))
        deltas: dict = defaultdict(lambda: {"accounts": 0})
        written, gone = [], []
        for pk in chunk:
            old, new = _normal(before.get(pk, {})), now.get(pk, {})
            if old == new:
                continue
            _count(old, -1, deltas)
            _count(new, +1, deltas)
            if not new:  # an account has a row in every period or in none
                gone.append(pk)
            written += [(pk, period, row) for period, row in new.items() if old.get(period) != row]
        rows_add(AtRiskCount._meta.db_table, COUNT_KEYS, deltas, ("accounts",))
        if gone:
            AccountRisk.objects.filter(account_id__in=gone).delete()
        if written:
            _rows_write(written)


def _rows_write(written: list[tuple[int, str, tuple]]) -> None:
    """Insert or replace these rows, one statement."""
    table = AccountRisk._meta.db_table
    columns = ("account_id", "period", *(AccountRisk._meta.get_field(name).column for name in ROW))
    quoted = [connection.ops.quote_name(c) for c in columns]
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(written))
    updates = ", ".join(f"{c} = excluded.{c}" for c in quoted[2:])
    params = []
    for pk, period, row in written:
        params += [pk, period, *row]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quoted)}) VALUES {values}"
            f" ON CONFLICT (account_id, period) DO UPDATE SET {updates}", params)


def account_summaries_changed_refresh(sender=None, *, account_ids, **kwargs) -> None:
    """Receiver of surveys.signals.account_summaries_changed."""
    risk_states_refresh(account_ids)


def accounts_revenue_changed_refresh(sender=None, *, pairs: dict, **kwargs) -> None:
    """Receiver of surveys.signals.accounts_revenue_changed."""
    risk_states_refresh(pairs, pairs=pairs)


def _expected() -> tuple[dict, dict]:
    """({account id: {period: row}}, {(owner, region, period): accounts}) counted afresh."""
    rows, counts = {}, defaultdict(lambda: {"accounts": 0})
    for summary in AccountSummary.objects.order_by().values(*_SUMMARY):
        pair = (summary["account__owner_id"], summary["account__region_id"])
        rows[summary["account_id"]] = _normal(_rows_now(summary, pair))
        _count(rows[summary["account_id"]], +1, counts)
    return rows, counts


@transaction.atomic
def risk_states_rebuild() -> int:
    """Write every account's rows and the counts afresh (after the call states, nightly).
    Returns the number of accounts with rows."""
    if connection.vendor == "postgresql":
        # Events wait meanwhile, then add their change to what is written here.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {AtRiskCount._meta.db_table}, {AccountRisk._meta.db_table} IN EXCLUSIVE MODE")
    rows, counts = _expected()
    AccountRisk.objects.all().delete()
    AccountRisk.objects.bulk_create(
        [AccountRisk(account_id=pk, period=period, **dict(zip(ROW, row, strict=True)))
         for pk, by_period in rows.items() for period, row in by_period.items()], batch_size=2000)
    AtRiskCount.objects.all().delete()
    AtRiskCount.objects.bulk_create(
        [AtRiskCount(owner_id=owner_id, region_id=region_id, period=period, **row)
         for (owner_id, region_id, period), row in counts.items() if row["accounts"]], batch_size=2000)
    return sum(1 for by_period in rows.values() if by_period)


def risk_states_differences() -> list[str]:
    """Where the stored rows and counts disagree with a count afresh ([] when they agree)."""
    rows, counts = _expected()
    found = []
    stored = _stored()
    for pk in sorted(set(rows) | set(stored)):
        have, want = _normal(stored.get(pk, {})), rows.get(pk, {})
        if have != want:
            found.append(f"AccountRisk {pk}: {have}, expected {want}")
    stored_counts = {(r["owner_id"], r["region_id"], r["period"]): r["accounts"]
                     for r in AtRiskCount.objects.exclude(accounts=0).values(*COUNT_KEYS, "accounts")}
    want_counts = {key: row["accounts"] for key, row in counts.items() if row["accounts"]}
    for key in sorted(set(stored_counts) | set(want_counts), key=str):
        if stored_counts.get(key) != want_counts.get(key):
            found.append(f"AtRiskCount {key}: {stored_counts.get(key)}, expected {want_counts.get(key)}")
    return found
