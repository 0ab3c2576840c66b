"""The summaries' repair: every row recomputed from the invitations and contacts, by the
definitions surveys.tallies states and its increments follow; and the check that the
tables agree with that. Feedback's `summary_rebuild` first makes the invitations mirror
their answers, then calls `tallies_rebuild`."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncMonth

from .batching import chunks
from .models import (
    Account,
    AccountRevenueCounted,
    AccountSummary,
    Invitation,
    MonthSummary,
    OwnerMonthSummary,
    RevenueSummary,
)
from .revenue_tallies import FIELDS as REVENUE_FIELDS
from .revenue_tallies import FLOAT_FIELDS, accounts_counted_now, sums_of
from .tallies import (
    ANSWER_FIELDS,
    CATEGORY_FIELDS,
    CHUNK,
    COUNT_FIELDS,
    MONTH_KEYS,
    OWNER_KEYS,
    SENT,
    WINDOWS,
    account_rows,
    account_summaries_write,
    account_window_counts,
    accounts_locked,
    rows_add,
    zero_counts,
)


def _month_rows(account_ids: list[int]) -> dict:
    """{(account, month, level): counts} computed from the invitations."""
    rows: dict = defaultdict(zero_counts)
    invitations = Invitation.objects.filter(account_id__in=account_ids)
    answers = (
        invitations.exclude(answer_category="")
        .annotate(month=TruncMonth("answered_at", output_field=DateField()))
        .values_list("account_id", "month", "contact__level", "answer_category")
        .annotate(n=Count("pk")).order_by()
    )
    for account_id, month, level, category, n in answers:
        rows[(account_id, month, level)][CATEGORY_FIELDS[category]] += n
    sends = (
        invitations.filter(status=SENT, sent_at__isnull=False)
        .annotate(month=TruncMonth("sent_at", output_field=DateField()))
        .values_list("account_id", "month", "contact__level")
        .annotate(delivered=Count("pk"), answered=Count("pk", filter=~Q(answer_category=""))).order_by()
    )
    for account_id, month, level, delivered, answered in sends:
        rows[(account_id, month, level)]["delivered"] += delivered
        rows[(account_id, month, level)]["answered"] += answered
    return rows


@transaction.atomic
def _accounts_rebuild(account_ids: list[int], *, now: datetime | None = None) -> None:
    accounts_locked(account_ids)
    MonthSummary.objects.filter(account_id__in=account_ids).delete()
    MonthSummary.objects.bulk_create(
        [
            MonthSummary(account_id=account_id, month=month, level=level, **counts)
            for (account_id, month, level), counts in _month_rows(account_ids).items()
        ],
        batch_size=2000,
    )
    account_summaries_write(account_ids, now=now)


@transaction.atomic
def accounts_recount(account_ids) -> None:
    """Recount these accounts whole, their owners' rows by the difference: after an edit
    made around the events (an administrator adds, changes or deletes contacts)."""
    ids = sorted(set(account_ids))
    owners = accounts_locked(ids)
    ids = sorted(owners)  # deleted ones are gone
    before = {
        tuple(r[:3]): dict(zip(COUNT_FIELDS, r[3:], strict=True))
        for r in MonthSummary.objects.filter(account_id__in=ids).values_list(*MONTH_KEYS, *COUNT_FIELDS)
    }
    after = _month_rows(ids)
    deltas = defaultdict(zero_counts)
    for key in set(before) | set(after):
        account_id, month, level = key
        for field in COUNT_FIELDS:
            deltas[(*owners[account_id], month, level)][field] += (
                after.get(key, zero_counts())[field] - before.get(key, zero_counts())[field]
            )
    rows_add(OwnerMonthSummary._meta.db_table, OWNER_KEYS, deltas, COUNT_FIELDS)
    MonthSummary.objects.filter(account_id__in=ids).delete()
    MonthSummary.objects.bulk_create(
        [MonthSummary(account_id=a, month=m, level=level, **counts) for (a, m, level), counts in after.items()]
    )
    account_summaries_write(ids)


def _owner_rows() -> dict:
    """{(owner, region, month, level): counts} added up from MonthSummary."""
    rows = (
        MonthSummary.objects.values_list("account__owner_id", "account__region_id", "month", "level")
        .annotate(**{field: Sum(field) for field in COUNT_FIELDS}).order_by()
    )
    return {tuple(r[:4]): dict(zip(COUNT_FIELDS, r[4:], strict=True)) for r in rows}


@transaction.atomic
def _owner_rows_rebuild() -> None:
    if connection.vendor == "postgresql":
        # Writers wait (readers do not) while the rows are counted afresh: an event that
        # had written here committed before, one that had not yet writes after.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {OwnerMonthSummary._meta.db_table} IN EXCLUSIVE MODE")
    rows = _owner_rows()
    OwnerMonthSummary.objects.all().delete()
    OwnerMonthSummary.objects.bulk_create(
        [
            OwnerMonthSummary(owner_id=owner_id, region_id=region_id, month=month, level=level, **counts)
            for (owner_id, region_id, month, level), counts in rows.items()
            if any(counts.values())
        ],
        batch_size=2000,
    )


def tallies_rebuild(*, now: datetime | None = None) -> int:
    """Recompute every summary from the invitations and contacts, a few hundred accounts
    per transaction (their events wait meanwhile). Returns the number of accounts."""
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    for chunk in chunks(ids, CHUNK):
        _accounts_rebuild(chunk, now=now)
    _owner_rows_rebuild()
    revenues_rebuild()
    return len(ids)


def tallies_differences(*, now: datetime | None = None) -> list[str]:
    """Where the summaries disagree with what a rebuild would write ([] when they agree):
    a check for tests and for `rebuild_summaries --check`. Reads everything; not for pages."""
    found = []
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    expected_months = _month_rows(ids)
    stored_months = {
        tuple(r[:3]): dict(zip(COUNT_FIELDS, r[3:], strict=True))
        for r in MonthSummary.objects.values_list(*MONTH_KEYS, *COUNT_FIELDS)
    }
    found += _compare("MonthSummary", expected_months, stored_months)
    expected_owners: dict = defaultdict(zero_counts)
    owner_of = {pk: (owner, region) for pk, owner, region in Account.objects.values_list("pk", "owner_id", "region_id")}
    for (account_id, month, level), counts in expected_months.items():
        for field, n in counts.items():
            expected_owners[(*owner_of[account_id], month, level)][field] += n
    stored_owners = {
        tuple(r[:4]): dict(zip(COUNT_FIELDS, r[4:], strict=True))
        for r in OwnerMonthSummary.objects.values_list("owner_id", "region_id", "month", "level", *COUNT_FIELDS)
    }
    found += _compare("OwnerMonthSummary", expected_owners, stored_owners)
    compared = ["contacts", "answering_contacts", "last_answer_at", "last_executive_answer_at",
                "executive_waves_unanswered",
                *(f"{field}_all" for field in ANSWER_FIELDS)]
    windows = {f"{field}_{suffix}": expression for suffix in WINDOWS
               for field, expression in account_window_counts(suffix, now).items()}
    stored = {
        row["account_id"]: row
        for row in AccountSummary.objects.annotate(**{f"exact_{k}": v for k, v in windows.items()}).values(
            "account_id", *compared, *(f"exact_{k}" for k in windows)
        )
    }
    for expected in account_rows(ids, now=now):
        row = stored.get(expected.account_id)
        if row is None:
            found.append(f"AccountSummary {expected.account_id}: missing")
            continue
        for name in compared:
            if getattr(expected, name) != row[name]:
                found.append(f"AccountSummary {expected.account_id} {name}: {row[name]}, "
                             f"expected {getattr(expected, name)}")
        for name in windows:
            if getattr(expected, name) != row[f"exact_{name}"]:
                found.append(f"AccountSummary {expected.account_id} {name}: {row[f'exact_{name}']}, "
                             f"expected {getattr(expected, name)}")
    return found + revenue_differences()


@transaction.atomic
def revenues_rebuild() -> None:
    """The revenue sums and each account's part in them counted afresh from the accounts
    and their summary rows (after those were rebuilt)."""
    if connection.vendor == "postgresql":
        # As for the owners' rows: events wait and then add their change to these.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {RevenueSummary._meta.db_table}, {AccountRevenueCounted._meta.db_table}"
                           " IN EXCLUSIVE MODE")
    parts = accounts_counted_now(list(Account.objects.values_list("pk", flat=True)))
    AccountRevenueCounted.objects.all().delete()
    AccountRevenueCounted.objects.bulk_create(
        [AccountRevenueCounted(account_id=pk, **part) for pk, part in parts.items()], batch_size=2000)
    RevenueSummary.objects.all().delete()
    RevenueSummary.objects.bulk_create(
        [RevenueSummary(owner_id=owner_id, region_id=region_id, heard_month=heard_month, **sums)
         for (owner_id, region_id, heard_month), sums in sums_of(parts.values()).items()],
        batch_size=2000)


def revenue_differences() -> list[str]:
    """Where the revenue sums disagree with the accounts' parts counted afresh ([] when
    they agree; the float sums within a billionth)."""
    expected = sums_of(accounts_counted_now(list(Account.objects.values_list("pk", flat=True))).values())
    stored = {
        (row["owner_id"], row["region_id"], row["heard_month"]): row
        for row in RevenueSummary.objects.values("owner_id", "region_id", "heard_month", *REVENUE_FIELDS)
    }
    found = []
    for key in sorted(set(expected) | set(stored), key=str):
        want, have = expected.get(key), stored.get(key)
        for name in REVENUE_FIELDS:
            a, b = (want or {}).get(name, 0), (have or {}).get(name, 0)
            if not (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6) if name in FLOAT_FIELDS else a == b):
                found.append(f"RevenueSummary {key} {name}: {b}, expected {a}")
    return found


def _compare(what: str, expected: dict, stored: dict) -> list[str]:
    found = []
    for key in sorted(set(expected) | set(stored), key=str):
        want, have = expected.get(key, zero_counts()), stored.get(key, zero_counts())
        if want != have:
            found.append(f"{what} {key}: {have}, expected {want}")
    return found
