"""The summary the drivers read (ThemeMonthSummary): counted answers that mention each
theme, by category, per owner and region of the accounts now and the month the answer
was first given. Kept exact in the same transaction as each event that changes it, the
way surveys.tallies keeps the answers' own summaries; the answers that do not mention a
theme are the group's answers (surveys.OwnerMonthSummary) less these.

What an answer adds: for each of its themes as they stand (ResponseTheme: the machine's
with people's corrections), one to its category, when it counts (not suspect). Each
event calls one function here, inside its own transaction:
  an answer's themes changed (tagged, tagged again, corrected) ... response_themes_count
                                      (receiver of feedback.signals.response_themes_changed)
  an answer changed category, or started or stopped counting ..... answer_themes_recount
                                      (feedback.answering, feedback.services)
  an account's owner or region changed, an account deleted ....... accounts_moved_count
                                      (receiver of surveys.signals.accounts_moved)
Answers or their themes deleted or written around the services (an administrator's edit
of a ResponseTheme, a contact deleted with their answers) are not followed: the nightly
`theme_summaries_rebuild` (part of feedback.summaries.summary_rebuild) repairs them, and
`theme_summaries_differences` finds them (`rebuild_summaries --check`).

Locking: each writer holds the answer's row and then its account's (the answer's own
transaction, and the tagger, lock the answer first) and reads the owner and region under
the account's lock, so an owner change moves everything counted before it and nothing
counted after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, DateField, QuerySet
from django.db.models.functions import TruncMonth

from surveys.batching import chunks
from surveys.compiled_sql import ids_rows
from surveys.models import Account
from surveys.months import month_of_moment
from surveys.tallies import ANSWER_FIELDS, CATEGORY_FIELDS, accounts_locked, rows_add

from .models import Response, ResponseTheme, ThemeMonthSummary

TABLE = ThemeMonthSummary._meta.db_table
KEYS = ("owner_id", "region_id", "month", "theme_id")
OWNERS_PER_REBUILD = 50


def _deltas() -> dict:
    """{(owner, region, month, theme): {field: signed count}}."""
    return defaultdict(lambda: dict.fromkeys(ANSWER_FIELDS, 0))


def _add(deltas: dict, who: tuple, month, theme_ids: Iterable[int], category: str, sign: int) -> None:
    if not category:
        return
    for theme_id in theme_ids:
        deltas[(*who, month, theme_id)][CATEGORY_FIELDS[category]] += sign


# --- The events ----------------------------------------------------------------------------

def response_themes_count(sender=None, *, response_id: int, added: set, removed: set, **kwargs) -> None:
    """Receiver of feedback.signals.response_themes_changed, in the transaction that changed
    the answer's themes (its row locked): add the themes added, take away those removed.
    Locks the account's row (after the answer's) to read its owner and region."""
    if not (added or removed):
        return
    answers = ids_rows(_answer_facts, [response_id])
    if not answers or answers[0][1]:  # gone, or suspect
        return
    category, _suspect, answered_at, account_id = answers[0]
    owner_id, region_id = accounts_locked([account_id])[account_id]
    deltas = _deltas()
    who, month = (owner_id, region_id), month_of_moment(answered_at)
    _add(deltas, who, month, added, category, +1)
    _add(deltas, who, month, removed, category, -1)
    rows_add(TABLE, KEYS, deltas, ANSWER_FIELDS)


def _answer_facts(response_ids: list[int]):
    """(compiled once: surveys.compiled_sql)"""
    return Response.objects.filter(pk__in=response_ids).values_list("category", "suspect", "answered_at", "account_id")


def answer_themes_recount(*, response_id: int, was: str, counts_as: str, answered_at) -> None:
    """The answer counted as `was` (a category, or "" when it did not count: suspect) and
    counts as `counts_as` now: its themes move with it. Call in the answer's transaction
    after surveys.tallies.invitation_answer_count, which locked the account's row. One
    query when the category is another and the answer has no themes; none when it is
    the same category."""
    if was == counts_as:
        return
    themes = list(
        ResponseTheme.objects.filter(response_id=response_id)
        .values_list("theme_id", "response__account__owner_id", "response__account__region_id")
    )
    if not themes:
        return
    deltas = _deltas()
    month = month_of_moment(answered_at)
    for theme_id, owner_id, region_id in themes:
        _add(deltas, (owner_id, region_id), month, [theme_id], was, -1)
        _add(deltas, (owner_id, region_id), month, [theme_id], counts_as, +1)
    rows_add(TABLE, KEYS, deltas, ANSWER_FIELDS)


def accounts_moved_count(sender=None, *, moves: dict, **kwargs) -> None:
    """Receiver of surveys.signals.accounts_moved: {account: ((old owner, old region), (new
    owner, new region) or None)}, in the transaction that moves them, their rows locked.
    Their answers' themes, counted from those accounts' own answers, move from the old
    owner's rows to the new one's."""
    deltas = _deltas()
    for chunk in chunks(sorted(moves), 500):
        counted = _grouped_rows(ResponseTheme.objects.filter(response__account_id__in=chunk),
                                ("response__account_id",))
        for (account_id, *rest), counts in counted.items():
            old, new = moves[account_id]
            for field, n in counts.items():
                deltas[(*old, *rest)][field] -= n
                if new is not None:
                    deltas[(*new, *rest)][field] += n
    rows_add(TABLE, KEYS, deltas, ANSWER_FIELDS)
    # Rows left at zero add nothing; without them a former owner does not linger as a group.
    old_owners = sorted({old[0] for old, _new in moves.values()})
    ThemeMonthSummary.objects.filter(owner_id__in=old_owners, **dict.fromkeys(ANSWER_FIELDS, 0)).delete()


# --- Counting from the answers: the rebuild and the check ------------------------------------

OWNER_REGION = ("response__account__owner_id", "response__account__region_id")


def _grouped_rows(themes: QuerySet[ResponseTheme], who: tuple[str, ...]) -> dict:
    """{(*who, month, theme): counts} of `themes` of counted answers, in SQL (one GROUP BY);
    `who` the columns that lead the keys: the account's owner and region, or the account."""
    rows = _deltas()
    counted = (
        themes.filter(response__suspect=False)
        .annotate(m=TruncMonth("response__answered_at", output_field=DateField()))
        .values_list(*who, "m", "theme_id", "response__category").annotate(n=Count("pk")).order_by()
    )
    for *key, category, n in counted:
        rows[tuple(key)][CATEGORY_FIELDS[category]] += n
    return rows


@transaction.atomic
def _owners_rebuild(owner_ids: list[int]) -> None:
    if connection.vendor == "postgresql":
        # Writers wait (readers do not) while these owners' rows are counted afresh: an
        # event that had written committed before, one that had not yet writes after.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
    rows = _grouped_rows(ResponseTheme.objects.filter(response__account__owner_id__in=owner_ids), OWNER_REGION)
    ThemeMonthSummary.objects.filter(owner_id__in=owner_ids).delete()
    ThemeMonthSummary.objects.bulk_create(
        [
            ThemeMonthSummary(owner_id=owner_id, region_id=region_id, month=month, theme_id=theme_id, **counts)
            for (owner_id, region_id, month, theme_id), counts in rows.items() if any(counts.values())
        ],
        batch_size=2000,
    )


def _owner_ids() -> list[int]:
    """Owners of accounts, and owners the table still holds rows of."""
    ids = set(Account.objects.values_list("owner_id", flat=True).distinct())
    ids.update(ThemeMonthSummary.objects.values_list("owner_id", flat=True).distinct())
    return sorted(ids)


def theme_summaries_rebuild() -> int:
    """Recompute the theme summary from the answers' themes (a repair, nightly), a few
    owners per transaction: the rows are per owner and region, not per account, so an
    owner's rows are rebuilt whole in one transaction. Returns the number of owners."""
    owners = _owner_ids()
    for chunk in chunks(owners, OWNERS_PER_REBUILD):
        _owners_rebuild(chunk)
    return len(owners)


def theme_summaries_differences() -> list[str]:
    """Where the theme summary disagrees with the answers' themes ([] when they agree): for
    tests and `rebuild_summaries --check`. Reads everything; not for pages."""
    want = {key: counts for key, counts in _grouped_rows(ResponseTheme.objects.all(), OWNER_REGION).items()
            if any(counts.values())}
    have = {}
    for *key, p, pa, d in ThemeMonthSummary.objects.values_list(*KEYS, *ANSWER_FIELDS):
        if p or pa or d:
            have[tuple(key)] = {"promoters": p, "passives": pa, "detractors": d}
    zero = dict.fromkeys(ANSWER_FIELDS, 0)
    return [
        f"ThemeMonthSummary {key}: {have.get(key, zero)}, expected {want.get(key, zero)}"
        for key in sorted(set(want) | set(have), key=str) if want.get(key, zero) != have.get(key, zero)
    ]
