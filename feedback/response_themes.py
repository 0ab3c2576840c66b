"""The themes of each answer: tagged by the worker after the answer is saved or changed
(the outbox's "answer_saved" event, handler "themes"), in bulk (tag_all_reasons), and
corrected by people.

ResponseTheme holds an answer's themes as they stand; ThemeCorrection holds what a
person said about one theme of one answer, and wins whenever the answer is tagged again:
a theme a person removed stays removed, one a person added stays. Apps above feedback
that keep figures per theme follow the changes through `response_themes_changed`
(feedback.signals), sent inside the transaction that makes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from surveys.compiled_sql import ids_rows
from surveys.models import User
from surveys.tallies import accounts_locked

from .models import Response, ResponseTheme, Theme, ThemeCorrection, ThemeSource
from .signals import response_themes_changed
from .themes import CurrentTaxonomy, taxonomy_current

BATCH = 1000


@dataclass(frozen=True)
class _Stands:
    """One theme of one answer as it should stand."""

    source: str
    by_id: int | None
    at: datetime | None = None


def _themes_wanted(machine: dict[int, str], corrections: dict[int, ThemeCorrection]) -> dict[int, _Stands]:
    """machine: theme id -> who found it (rules or the classifier)."""
    wanted = {theme_id: _Stands(source, None) for theme_id, source in machine.items()}
    for theme_id, correction in corrections.items():
        if correction.present:
            wanted[theme_id] = _Stands(ThemeSource.PERSON, correction.by_id, correction.at)
        else:
            wanted.pop(theme_id, None)
    return wanted


# Read as values (compiled once: surveys.compiled_sql), then made rows to compare and update.
_THEME_FIELDS = ("id", "response_id", "theme_id", "source", "by_id", "at")
_CORRECTION_FIELDS = ("id", "response_id", "theme_id", "present", "by_id", "at")


def _themes_of(response_ids: list[int]):
    return ResponseTheme.objects.filter(response_id__in=response_ids).values_list(*_THEME_FIELDS)


def _corrections_of(response_ids: list[int]):
    return ThemeCorrection.objects.filter(response_id__in=response_ids).values_list(*_CORRECTION_FIELDS)


def _themes_write(reasons: list[tuple[int, str, str]], current: CurrentTaxonomy, now: datetime) -> int:
    """Tag `reasons` ((response id, reason, language), rows already locked or not yet
    shared) and write what changed, in a few statements for the whole list. Returns
    how many answers' themes changed."""
    response_ids = [response_id for response_id, _, _ in reasons]
    existing: dict[int, dict[int, ResponseTheme]] = defaultdict(dict)
    for values in ids_rows(_themes_of, response_ids):
        row = ResponseTheme(**dict(zip(_THEME_FIELDS, values, strict=True)))
        existing[row.response_id][row.theme_id] = row
    corrections: dict[int, dict[int, ThemeCorrection]] = defaultdict(dict)
    for values in ids_rows(_corrections_of, response_ids):
        correction = ThemeCorrection(**dict(zip(_CORRECTION_FIELDS, values, strict=True)))
        corrections[correction.response_id][correction.theme_id] = correction
    new, gone, changed_source, changed = [], [], [], []
    found = current.themes_found([(reason, language) for _, reason, language in reasons])
    for (response_id, _, _), themes in zip(reasons, found, strict=True):
        machine = {current.theme_ids[key]: source for key, source in themes.items()}
        wanted = _themes_wanted(machine, corrections[response_id])
        have = existing[response_id]
        added = [theme_id for theme_id in wanted if theme_id not in have]
        removed = [row for theme_id, row in have.items() if theme_id not in wanted]
        new += [ResponseTheme(response_id=response_id, theme_id=theme_id, source=wanted[theme_id].source,
                              by_id=wanted[theme_id].by_id, at=wanted[theme_id].at or now) for theme_id in added]
        gone += [row.pk for row in removed]
        for theme_id, row in have.items():
            stands = wanted.get(theme_id)
            if stands and (row.source, row.by_id) != (stands.source, stands.by_id):
                row.source, row.by_id, row.at = stands.source, stands.by_id, stands.at or now
                changed_source.append(row)
        if added or removed:
            changed.append((response_id, set(added), {row.theme_id for row in removed}))
    if gone:
        ResponseTheme.objects.filter(pk__in=gone).delete()
    ResponseTheme.objects.bulk_create(new)
    ResponseTheme.objects.bulk_update(changed_source, ["source", "by", "at"])
    for response_id, added, removed in changed:
        response_themes_changed.send(sender=Response, response_id=response_id, added=added, removed=removed)
    return len(changed)


@transaction.atomic
def response_themes_retag(*, response_id: int, now: datetime | None = None) -> None:
    """Tag one answer's reason as it is now: the outbox's handler after an answer is saved
    or changed (safe to run twice)."""
    rows = ids_rows(_reason_locked, [response_id])
    if rows:
        _themes_write(rows, taxonomy_current(), now or timezone.now())


def _reason_locked(response_ids: list[int]):
    return Response.objects.select_for_update().filter(pk__in=response_ids).values_list("pk", "reason", "language")


def response_themes_tag(*, response_id: int, now: datetime | None = None) -> list[str]:
    """Tag one answer's reason as it is now; returns the keys of its themes."""
    with transaction.atomic():
        response_themes_retag(response_id=response_id, now=now)
        return response_theme_keys(response_id)


def response_theme_keys(response_id: int) -> list[str]:
    return list(
        ResponseTheme.objects.filter(response_id=response_id)
        .order_by("theme__position", "theme__key").values_list("theme__key", flat=True)
    )


@transaction.atomic
def response_theme_correct(
    *, response: Response, theme: Theme, present: bool, by: User, now: datetime | None = None
) -> list[str]:
    """A person adds (present) or removes a theme of an answer; it wins over the machine
    from now on. The caller checks that `by` may triage the answer. Returns the keys of
    the answer's themes."""
    now = now or timezone.now()
    ThemeCorrection.objects.update_or_create(
        response=response, theme=theme, defaults={"present": present, "by": by, "at": now}
    )
    return response_themes_tag(response_id=response.pk, now=now)


def reasons_tag_all(*, batch: int = BATCH, progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Tag every answer again with the current taxonomy, in batches of `batch` answers
    (each its own transaction), keeping people's corrections. Idempotent: a second run
    changes nothing. Returns (answers read, answers whose themes changed)."""
    current = taxonomy_current()
    total = Response.objects.count()
    done = changed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            reasons = list(
                Response.objects.select_for_update().filter(pk__gt=last_pk).order_by("pk")
                .values_list("pk", "reason", "language")[:batch]
            )
            if not reasons:
                break
            # Each changed answer's account is locked for the theme summary (theme_tallies):
            # the batch's all at once, in id order, as every writer of several accounts does.
            accounts_locked(Response.objects.filter(pk__in=[pk for pk, _, _ in reasons])
                            .values_list("account_id", flat=True))
            changed += _themes_write(reasons, current, timezone.now())
        last_pk = reasons[-1][0]
        done += len(reasons)
        if progress:
            progress(done, max(total, done))
    return done, changed
