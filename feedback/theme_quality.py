"""How well a tagger agrees with people: precision, recall and F1 per theme, micro and
macro F1, over a CSV of labelled reasons (columns text, language, themes: keys separated
by ";"). Used by the tagger's test and bench/themes_quality.py."""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

DEV_SET = Path(__file__).resolve().parent / "data" / "themes_dev.csv"


@dataclass(frozen=True)
class LabelledReason:
    text: str
    language: str
    themes: frozenset[str]


class PrecisionRecall:
    """Precision, recall and F1 of counts with true_positives, false_positives and
    false_negatives (1.0 where nothing was said or labelled)."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0

    @property
    def f1(self) -> float:
        return _f1(self.true_positives, self.false_positives, self.false_negatives)


@dataclass(frozen=True)
class ThemeScore(PrecisionRecall):
    key: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives


@dataclass(frozen=True)
class QualityReport:
    themes: list[ThemeScore]
    reasons: int

    @property
    def micro_f1(self) -> float:
        return _f1(*(sum(getattr(s, name) for s in self.themes)
                     for name in ("true_positives", "false_positives", "false_negatives")))

    @property
    def macro_f1(self) -> float:
        return sum(score.f1 for score in self.themes) / len(self.themes) if self.themes else 0.0


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def labelled_reasons_read(path: Path) -> list[LabelledReason]:
    with Path(path).open(newline="", encoding="utf-8-sig") as file:
        return [
            LabelledReason(text=row["text"], language=(row.get("language") or "").strip().lower(),
                           themes=frozenset(key.strip() for key in (row.get("themes") or "").split(";") if key.strip()))
            for row in csv.DictReader(file)
        ]


def tagger_quality(
    reasons: Iterable[LabelledReason], tag: Callable[[str, str], Iterable[str]], keys: Iterable[str]
) -> tuple[QualityReport, list[tuple[LabelledReason, frozenset[str]]]]:
    """Score `tag(text, language)` against the labels, per theme of `keys`. Also returns
    the reasons it got wrong, with what it said."""
    keys = list(keys)
    counts = {key: [0, 0, 0] for key in keys}
    wrong = []
    reasons = list(reasons)
    for reason in reasons:
        said = frozenset(tag(reason.text, reason.language))
        for key in keys:
            if key in said and key in reason.themes:
                counts[key][0] += 1
            elif key in said:
                counts[key][1] += 1
            elif key in reason.themes:
                counts[key][2] += 1
        if said != reason.themes:
            wrong.append((reason, said))
    return QualityReport([ThemeScore(key, *counts[key]) for key in keys], len(reasons)), wrong
