"""The taxonomy of themes as the tagger uses it: the active Theme rows, compiled once per
process and compiled again when an administrator changes a theme, with the newest trained
classifier when cross-validation found that it adds to the rules (feedback.classifier_store).

Each call of `taxonomy_current()` costs two small queries (how many themes, when one last
changed; the newest classifier's id): a worker tagging answers one by one picks up an edit
or a new training at its next answer, and a bulk run compiles and loads once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.db import connection

from .classifier_store import classifier_current
from .models import Theme
from .tagging import Taxonomy, ThemeRules, reason_themes, taxonomy_compile, words_of
from .theme_combination import RULES, RULES_ALONE, Combination
from .theme_defaults import DEFAULT_THEMES

if TYPE_CHECKING:
    from .theme_classifier import ThemeClassifier


@dataclass(frozen=True)
class CurrentTaxonomy:
    """The compiled active themes, their rows' ids by key, and the classifier used beside
    the rules (None: the rules alone)."""

    taxonomy: Taxonomy
    theme_ids: dict[str, int]
    classifier: ThemeClassifier | None = None
    combination: Combination = RULES_ALONE

    def themes_found(self, reasons: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
        """For each (text, language), its themes: key -> who found it ("rules" or
        "classifier"), in the taxonomy's order. The classifier reads the whole list in one
        pass; a theme switched off since it was trained is not given."""
        found = [{key: RULES for key in reason_themes(text, language, self.taxonomy)} for text, language in reasons]
        if self.classifier is None or not self.combination.uses_classifier:
            return found
        worded = [i for i, (text, _) in enumerate(reasons) if words_of(text or "")]
        for i, probabilities in zip(worded, self.classifier.probabilities([reasons[i] for i in worded]), strict=True):
            active = {key: p for key, p in probabilities.items() if key in self.theme_ids}
            themes = self.combination.themes(found[i], active)
            found[i] = {key: themes[key] for key in self.taxonomy.keys if key in themes}
        return found

    def theme_keys(self, text: str, language: str) -> list[str]:
        return list(self.themes_found([(text, language)])[0])


_current: tuple[tuple, CurrentTaxonomy] | None = None
# Whether any theme changed: the worker asks for every answer, so it is written out.
_FINGERPRINT = f"SELECT count(*), max(updated_at) FROM {Theme._meta.db_table}"


def theme_rules(theme) -> ThemeRules:
    """A Theme row (or one of DEFAULT_THEMES) as the tagger reads it."""
    if isinstance(theme, dict):
        return ThemeRules(key=theme["key"], signals_en=theme["signals_en"], signals_da=theme["signals_da"])
    return ThemeRules(key=theme.key, signals_en=theme.signals_en, signals_da=theme.signals_da)


def taxonomy_current() -> CurrentTaxonomy:
    """The active themes of the database, compiled (kept until a theme changes), with the
    classifier when it is used."""
    global _current
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT)
        fingerprint = tuple(cursor.fetchone())
    if _current is None or _current[0] != fingerprint:
        themes = list(Theme.objects.filter(active=True))
        current = CurrentTaxonomy(
            taxonomy=taxonomy_compile(theme_rules(theme) for theme in themes),
            theme_ids={theme.key: theme.pk for theme in themes},
        )
        _current = (fingerprint, current)
    stored = classifier_current()
    if stored is None or stored.classifier is None:
        return _current[1]
    return replace(_current[1], classifier=stored.classifier, combination=stored.combination)


def taxonomy_default() -> Taxonomy:
    """The taxonomy that ships with Pulse, compiled without a database (tests, benchmarks)."""
    return taxonomy_compile(theme_rules(theme) for theme in DEFAULT_THEMES)


def taxonomy_forget() -> None:
    global _current
    _current = None
