"""An administrator decides about a group of reasons no theme covers (a ThemeCandidate,
found by feedback.theme_discovery): make it a theme in one step, or dismiss it. A group
like a decided one is not suggested again."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from surveys.models import User

from .models import Theme, ThemeCandidate
from .tagging import word_fold

# How many months of answers the monthly discovery reads.
MONTHS = 6


def _theme_key(word: str) -> str:
    base = slugify(word_fold(word))[:30] or "theme"
    taken = set(Theme.objects.filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


@transaction.atomic
def candidate_theme_create(*, candidate: ThemeCandidate, by: User, now: datetime | None = None) -> Theme:
    """Turn a group into a theme: switched off, named after its first word, with its words as
    the signals of their language, for the administrator to check and switch on."""
    candidate = ThemeCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status == ThemeCandidate.Status.ADOPTED and candidate.theme_id:
        return candidate.theme
    first = candidate.words_shown[0] if candidate.words else "theme"
    descriptions = {}
    for language in ("en", "da"):
        with translation.override(language):
            descriptions[language] = _("Found among the reasons no theme covered: %(words)s.") % {
                "words": ", ".join(candidate.words_shown)}
    theme = Theme.objects.create(
        key=_theme_key(first), name_en=first.capitalize(), name_da=first.capitalize(),
        description_en=descriptions["en"], description_da=descriptions["da"],
        signals_en="\n".join(word for word, language in candidate.words if language != "da"),
        signals_da="\n".join(word for word, language in candidate.words if language == "da"),
        active=False, position=(Theme.objects.aggregate(last=Max("position"))["last"] or 0) + 1,
    )
    _decide(candidate, ThemeCandidate.Status.ADOPTED, by, now, theme=theme)
    return theme


def candidate_dismiss(*, candidate: ThemeCandidate, by: User, now: datetime | None = None) -> None:
    _decide(candidate, ThemeCandidate.Status.DISMISSED, by, now)


def _decide(candidate: ThemeCandidate, status: str, by: User, now: datetime | None, theme: Theme | None = None):
    candidate.status, candidate.decided_by, candidate.decided_at = status, by, now or timezone.now()
    candidate.theme = theme or candidate.theme
    candidate.save(update_fields=["status", "decided_by", "decided_at", "theme"])
