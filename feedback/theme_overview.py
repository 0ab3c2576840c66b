"""What the taxonomy page shows an administrator: each theme with its signals and the
classifier's measured precision and recall, the newest training, and the open groups of
reasons no theme covers with their example reasons. A fixed number of queries, however
many themes, groups and examples."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Response, Theme, ThemeCandidate, TrainedClassifier
from .tagging import signal_lines


@dataclass(frozen=True)
class ThemeRow:
    theme: Theme
    signals: int
    # The classifier's figures by cross-validation (None: no model for the theme).
    precision: float | None
    recall: float | None
    labelled: int | None  # examples with the theme it learned from


@dataclass(frozen=True)
class CandidateShown:
    candidate: ThemeCandidate
    examples: list[dict]  # {"pk", "reason"} of the example answers still holding a reason


@dataclass(frozen=True)
class TaxonomyOverview:
    themes: list[ThemeRow]
    trained: TrainedClassifier | None
    candidates: list[CandidateShown]


def taxonomy_overview() -> TaxonomyOverview:
    trained = TrainedClassifier.objects.defer("model").order_by("-pk").first()
    figures = trained.metrics.get("classifier", {}) if trained else {}
    examples = trained.metrics.get("examples", {}) if trained else {}
    rows = []
    for theme in Theme.objects.all():
        measured = figures.get(theme.key)
        rows.append(ThemeRow(
            theme=theme,
            signals=len(list(signal_lines(theme.signals_en))) + len(list(signal_lines(theme.signals_da))),
            precision=measured["precision"] if measured else None,
            recall=measured["recall"] if measured else None,
            labelled=examples.get(theme.key, {}).get("with") if measured else None,
        ))
    candidates = list(ThemeCandidate.objects.filter(status=ThemeCandidate.Status.OPEN))
    wanted = {pk for candidate in candidates for pk in candidate.response_ids}
    reasons = {row["pk"]: row for row in Response.objects.filter(pk__in=wanted).exclude(reason="")
               .values("pk", "reason")}
    shown = [CandidateShown(candidate, [reasons[pk] for pk in candidate.response_ids if pk in reasons])
             for candidate in candidates]
    return TaxonomyOverview(themes=rows, trained=trained, candidates=shown)
