"""The taxonomy of themes as the tagger uses it: the active Theme rows, compiled once per
process and compiled again when an administrator changes a theme.

Each call of `taxonomy_current()` costs one small query (how many themes, when one last
changed): a worker tagging answers one by one picks up an edit at its next answer, and
a bulk run compiles once.
"""

from dataclasses import dataclass

from django.db.models import Count, Max

from .models import Theme
from .tagging import Taxonomy, ThemeRules, reason_themes, taxonomy_compile
from .theme_defaults import DEFAULT_THEMES


@dataclass(frozen=True)
class CurrentTaxonomy:
    """The compiled active themes and their rows' ids by key."""

    taxonomy: Taxonomy
    theme_ids: dict[str, int]

    def theme_keys(self, text: str, language: str) -> list[str]:
        return reason_themes(text, language, self.taxonomy)


_current: tuple[tuple, CurrentTaxonomy] | None = None


def theme_rules(theme) -> ThemeRules:
    """A Theme row (or one of DEFAULT_THEMES) as the tagger reads it."""
    if isinstance(theme, dict):
        return ThemeRules(key=theme["key"], signals_en=theme["signals_en"], signals_da=theme["signals_da"])
    return ThemeRules(key=theme.key, signals_en=theme.signals_en, signals_da=theme.signals_da)


def taxonomy_current() -> CurrentTaxonomy:
    """The active themes of the database, compiled (kept until a theme changes)."""
    global _current
    fingerprint = tuple(Theme.objects.aggregate(count=Count("id"), changed=Max("updated_at")).values())
    if _current is None or _current[0] != fingerprint:
        themes = list(Theme.objects.filter(active=True))
        current = CurrentTaxonomy(
            taxonomy=taxonomy_compile(theme_rules(theme) for theme in themes),
            theme_ids={theme.key: theme.pk for theme in themes},
        )
        _current = (fingerprint, current)
    return _current[1]


def taxonomy_default() -> Taxonomy:
    """The taxonomy that ships with Pulse, compiled without a database (tests, benchmarks)."""
    return taxonomy_compile(theme_rules(theme) for theme in DEFAULT_THEMES)


def taxonomy_forget() -> None:
    global _current
    _current = None
