"""The revenue sums of the rollups (RevenueSummary, read by feedback.revenue), kept exact
in the transaction of each event that changes an account's part in them: its latest
counted answer or window counts (an answer, a change of mind, suspect set or lifted, the
daily roll of the windows), its owner or region, its active flag or its revenue (the
customer file, the API, the deactivation call, the admin), its deletion.

An event calls `accounts_revenue_refresh` for the accounts it changed, after its change,
with their rows locked (surveys.tallies' lock order). Each account's last part is kept
(AccountRevenueCounted): it is taken out of the sums and the account's part now added, so
the work grows with the event's accounts, never with an owner's or a region's.
`revenues_rebuild` (surveys.tallies_rebuild) recomputes everything, nightly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from . import signals
from .batching import chunks
from .models import REVENUE_WINDOWS, Account, AccountRevenueCounted, AccountSummary, RevenueSummary
from .months import month_of_moment
from .summary_rows import rows_add

# The heard month of an account that never gave a counted answer (a key may not be null).
NEVER_HEARD = date(1970, 1, 1)
KEYS = ("owner_id", "region_id", "heard_month")
WINDOW_COUNTS = tuple(f"{kind}_{window}" for window in REVENUE_WINDOWS
                      for kind in ("promoters", "passives", "detractors"))
FLOAT_SUMS = ("weight", "weighted", "sq_answers", "sq_net_detractors", "sq_polar")
WINDOW_SUMS = ("accounts", "answers", "revenue_cents", *FLOAT_SUMS)
FIELDS = ("accounts", "with_revenue", "revenue_cents",
          *(f"{name}_{window}" for window in REVENUE_WINDOWS for name in WINDOW_SUMS))
# The float sums (a float's sum depends on the order it was added in: compared within a margin).
FLOAT_FIELDS = tuple(f"{name}_{window}" for window in REVENUE_WINDOWS for name in FLOAT_SUMS)
# AccountRevenueCounted's fields: an account's part, as added to the sums.
COUNTED_FIELDS = ("owner_id_counted", "region_id_counted", "heard_month", "active", "annual_revenue",
                  *WINDOW_COUNTS)
ACCOUNT_FIELDS = ("owner_id", "region_id", "active", "annual_revenue")
# The parts of an account's part that the apps above follow (surveys.signals).
BOOK_FIELDS = ("owner_id_counted", "region_id_counted", "active", "annual_revenue")
CHUNK = 500


def _zero() -> dict:
    return dict.fromkeys(FIELDS, 0)


def cents_of(revenue: Decimal) -> int:
    """A revenue (two decimals) in whole cents: sums of these are exact everywhere."""
    return int(revenue.scaleb(2))


def money_of_cents(cents: int | None) -> Decimal:
    """A sum of cents as money again (None: nothing summed, 0)."""
    return Decimal(cents or 0).scaleb(-2)


def _part(counted: dict, sign: int, into: dict) -> None:
    """Add (sign +1) or take out (-1) one account's part, as `counted` holds it."""
    row = into[(counted["owner_id_counted"], counted["region_id_counted"], counted["heard_month"])]
    revenue = counted["annual_revenue"]
    if counted["active"]:
        row["accounts"] += sign
        if revenue is not None:
            row["with_revenue"] += sign
            row["revenue_cents"] += sign * cents_of(revenue)
    if revenue is None:
        return
    weight, cents = float(revenue), cents_of(revenue)
    for window in REVENUE_WINDOWS:
        p, pa, d = (counted[f"{kind}_{window}"] for kind in ("promoters", "passives", "detractors"))
        n = p + pa + d
        if not n:
            continue
        # Each answer weighs its account's revenue shared among the account's answers.
        squared = weight * weight / (n * n)
        for name, value in (("accounts", 1), ("answers", n), ("revenue_cents", cents), ("weight", weight),
                            ("weighted", weight * (p - d) / n), ("sq_answers", squared * n),
                            ("sq_net_detractors", squared * (d - p)), ("sq_polar", squared * (p + d))):
            row[f"{name}_{window}"] += sign * value


def _part_now(owner_id: int, region_id: int, active: bool, revenue, summary: dict) -> dict:
    last = summary.get("last_answer_at")
    return {
        "owner_id_counted": owner_id, "region_id_counted": region_id, "active": active, "annual_revenue": revenue,
        "heard_month": month_of_moment(last) if last else NEVER_HEARD,
        **{name: summary.get(name) or 0 for name in WINDOW_COUNTS},
    }


def _parts(account_ids: list[int]) -> tuple[dict[int, dict], dict[int, dict]]:
    """({id: part as it is now}, {id: part as last counted}) of these accounts: one read of
    their summary rows with the account and its counted part joined (and one more for an
    account without a summary row yet)."""
    now, before = {}, {}
    counted = tuple(f"account__revenue_counted__{name}" for name in COUNTED_FIELDS)
    for row in AccountSummary.objects.filter(pk__in=account_ids).values(
        "account_id", "last_answer_at", *WINDOW_COUNTS, *(f"account__{name}" for name in ACCOUNT_FIELDS), *counted,
    ):
        pk = row["account_id"]
        now[pk] = _part_now(*(row[f"account__{name}"] for name in ACCOUNT_FIELDS), row)
        if row[counted[0]] is not None:
            before[pk] = {name: row[f"account__revenue_counted__{name}"] for name in COUNTED_FIELDS}
    missing = [pk for pk in account_ids if pk not in now]
    if missing:
        for row in Account.objects.filter(pk__in=missing).values(
            "pk", *ACCOUNT_FIELDS, *(f"revenue_counted__{name}" for name in COUNTED_FIELDS)
        ):
            now[row["pk"]] = _part_now(*(row[name] for name in ACCOUNT_FIELDS), {})
            if row["revenue_counted__owner_id_counted"] is not None:
                before[row["pk"]] = {name: row[f"revenue_counted__{name}"] for name in COUNTED_FIELDS}
    return now, before


def accounts_counted_now(account_ids: list[int]) -> dict[int, dict]:
    """{account id: its part as it is now}, from the account and its summary row."""
    now = {}
    for chunk in chunks(sorted(account_ids), CHUNK):
        now.update(_parts(chunk)[0])
    return now


def sums_of(parts: Iterable[dict]) -> dict:
    """{(owner, region, heard month): sums} of these accounts' parts."""
    sums: dict = defaultdict(_zero)
    for counted in parts:
        _part(counted, +1, sums)
    return sums


def _with_pair(part: dict | None, pair: tuple[int, int] | None) -> dict | None:
    """The part under the owner and region the event gives (None: the account goes)."""
    if part is None or pair is None:
        return None
    return {**part, "owner_id_counted": pair[0], "region_id_counted": pair[1]}


def accounts_revenue_refresh(account_ids: Iterable[int], *, pairs: dict | None = None) -> None:
    """These accounts changed in this transaction (rows locked): take their last parts out
    of the sums and add them as they are now; an account gone (deleted, or about to be:
    `pairs` maps it to None) is only taken out. `pairs`: {account id: (owner, region)}
    where the caller has not written them on the account yet. Three statements for an
    answer's account: the read, the sums, the account's part."""
    pairs = pairs or {}
    for chunk in chunks(sorted(set(account_ids)), CHUNK):
        now, before = _parts(chunk)
        deltas: dict = defaultdict(_zero)
        gone, written, book_changed = [], [], {}
        for pk in chunk:
            new = _with_pair(now.get(pk), pairs[pk]) if pk in pairs else now.get(pk)
            old = before.get(pk)
            if old == new:
                continue
            # (An account new to the sums is new to the calls' app too: nothing to follow.)
            if old is not None and (new is None or any(old[name] != new[name] for name in BOOK_FIELDS)):
                book_changed[pk] = None if new is None else (new["owner_id_counted"], new["region_id_counted"])
            if old is not None:
                _part(old, -1, deltas)
            if new is not None:
                _part(new, +1, deltas)
                written.append(AccountRevenueCounted(account_id=pk, **new))
            else:
                gone.append(pk)
        rows_add(RevenueSummary._meta.db_table, KEYS, deltas, FIELDS)
        if gone:
            AccountRevenueCounted.objects.filter(pk__in=gone).delete()
        if written:
            AccountRevenueCounted.objects.bulk_create(
                written, update_conflicts=True, unique_fields=["account"], update_fields=list(COUNTED_FIELDS))
        if book_changed:  # the revenue at risk of the calls' app follows (an answer changes none of these)
            signals.accounts_revenue_changed.send(sender=Account, pairs=book_changed)
