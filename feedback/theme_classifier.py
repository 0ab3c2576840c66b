"""The learned part of the theme tagger: a classifier per theme over the words of the reason,
trained from labelled reasons (the shipped development set and people's corrections),
and how it is combined with the rules (feedback.tagging).

Plain functions, no database (feedback.theme_learning feeds them and keeps the result):

    classifier_fit(examples, keys)          one logistic regression per theme, over TF-IDF of
                                            the reason's lemmas (and pairs of them) and of its
                                            letters (3 to 5 in a row: compounds, typos)
    classifier_measure(examples, keys, rules_tag)
                                            precision and recall per theme by 5-fold cross-
                                            validation, and the way of combining it with the
                                            rules that does best there (Combination)

An example need not say something about every theme: a person's correction says only
that one theme is there or not, so each theme learns from the examples that have its
label. A correction weighs more than a row of the development set: it is what a person
said about a real answer, usually where the machine was wrong.

Nothing is downloaded: scikit-learn fits on what it is given; simplemma's dictionaries
ship in its wheel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from .tagging import text_languages, word_fold, word_lemma, words_of
from .theme_combination import RULES, RULES_ALONE, UNION, Combination
from .theme_quality import PrecisionRecall

# A theme gets a model of its own only with this many examples on each side.
LABELS_MIN = 5
FOLDS = 5
SEED = 12
# Regularisation and class weights, chosen by 5-fold cross-validation on the development set:
# the classifier alone at 0.5 has micro-F1 0.66 with C=10 and balanced classes (0.66 with
# C=3 or 30; 0.46 unbalanced, where it finds a quarter of each theme); features of lemmas
# alone, without the letters, 0.52.
REGULARISATION = 10.0
# Runs of letters of these lengths are features too (compounds, typos, inflections).
LETTERS_MIN, LETTERS_MAX = 3, 5
# Thresholds tried for the classifier's probability when it is combined with the rules.
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
# A combination must beat the rules alone by this much micro-F1 in cross-validation to be
# used: a difference of one or two reasons in a few hundred is noise.
COMBINATION_MARGIN = 0.005

@dataclass(frozen=True)
class Example:
    """One labelled reason: labels[key] is True (the theme is there) or False (it is not);
    a theme missing from labels is unknown for this reason."""

    text: str
    language: str
    labels: dict[str, bool]
    weight: float = 1.0


# --- Features ---------------------------------------------------------------------------

@lru_cache(maxsize=200_000)
def word_token(lower: str, language: str) -> str:
    """A word as the classifier sees it: its lemma if the dictionary knows it, written
    without æøå, so that "leveringer", "levering" and "levring" are close."""
    if not lower.isalpha():
        return "#"  # numbers, order references: all alike
    return word_fold(word_lemma(lower, language) or lower, loose=True)


def reason_tokens(text: str, language: str) -> list[str]:
    """The lemmas of a reason and each pair of neighbours ("not_on", "on_time")."""
    return _reason_parts(text, language)[0]


@lru_cache(maxsize=200_000)
def word_letters(lower: str) -> tuple[str, ...]:
    """A word's runs of 3 to 5 letters, the word written without æøå and padded with a
    space each side (" lev", "leve", ..., "gen "): scikit-learn's "char_wb" analysis, kept
    per word so that bulk tagging analyses each distinct word once."""
    padded = f" {word_fold(lower, loose=True)} "
    grams = []
    for n in range(LETTERS_MIN, LETTERS_MAX + 1):
        if len(padded) <= n:
            grams.append(padded)  # a word shorter than n: itself, once
            break
        grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return tuple(grams)


def _reason_parts(text: str, language: str) -> tuple[list[str], list[str]]:
    """(lemmas and pairs of them, runs of letters) of a reason."""
    words = words_of(text or "")
    first = text_languages(words, language)[0] if words else language
    tokens = [word_token(word.lower(), first) for word in words]
    letters = [gram for word in words for gram in word_letters(word.lower())]
    return tokens + [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)], letters


def _tokens_as_given(tokens: list[str]) -> list[str]:
    return tokens


@dataclass
class Features:
    """The vocabulary learned from the training reasons, turning reasons into vectors."""

    words: TfidfVectorizer = field(default_factory=lambda: TfidfVectorizer(
        analyzer=_tokens_as_given, sublinear_tf=True, min_df=1))
    letters: TfidfVectorizer = field(default_factory=lambda: TfidfVectorizer(
        analyzer=_tokens_as_given, sublinear_tf=True, min_df=2))

    def fit(self, reasons: Sequence[tuple[str, str]]) -> scipy.sparse.csr_matrix:
        parts = [_reason_parts(text, language) for text, language in reasons]
        words = self.words.fit_transform([tokens for tokens, _ in parts])
        letters = self.letters.fit_transform([grams for _, grams in parts])
        return scipy.sparse.hstack([words, letters], format="csr")

    def transform(self, reasons: Sequence[tuple[str, str]]) -> scipy.sparse.csr_matrix:
        parts = [_reason_parts(text, language) for text, language in reasons]
        words = self.words.transform([tokens for tokens, _ in parts])
        letters = self.letters.transform([grams for _, grams in parts])
        return scipy.sparse.hstack([words, letters], format="csr")


# --- The classifier -------------------------------------------------------------------

@dataclass
class ThemeClassifier:
    """A fitted classifier: the features and one model per theme it could learn."""

    features: Features
    models: dict[str, LogisticRegression]

    @property
    def keys(self) -> list[str]:
        return list(self.models)

    def probabilities(self, reasons: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """For each (text, language), the probability of each theme it has a model for;
        one pass over the whole list (bulk tagging calls it per batch)."""
        if not reasons or not self.models:
            return [{} for _ in reasons]
        matrix = self.features.transform(reasons)
        columns = {key: model.predict_proba(matrix)[:, 1] for key, model in self.models.items()}
        return [{key: float(column[row]) for key, column in columns.items()} for row in range(len(reasons))]


def _labelled(examples: Sequence[Example], key: str) -> tuple[list[int], np.ndarray, np.ndarray]:
    rows = [i for i, example in enumerate(examples) if key in example.labels]
    labels = np.array([examples[i].labels[key] for i in rows], dtype=int)
    weights = np.array([examples[i].weight for i in rows], dtype=float)
    return rows, labels, weights


def classifier_fit(examples: Sequence[Example], keys: Iterable[str]) -> ThemeClassifier:
    """One logistic regression per theme of `keys` that has at least LABELS_MIN examples
    with and without it; the others get none (the rules alone tag them)."""
    features = Features()
    matrix = features.fit([(example.text, example.language) for example in examples])
    models = {}
    for key in keys:
        rows, labels, weights = _labelled(examples, key)
        if labels.sum() < LABELS_MIN or len(labels) - labels.sum() < LABELS_MIN:
            continue
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", solver="liblinear", max_iter=1000)
        model.fit(matrix[rows], labels, sample_weight=weights)
        models[key] = model
    return ThemeClassifier(features=features, models=models)


# --- Measuring ------------------------------------------------------------------------

@dataclass
class Counts(PrecisionRecall):
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def add(self, said: bool, labelled: bool) -> None:
        if said and labelled:
            self.true_positives += 1
        elif said:
            self.false_positives += 1
        elif labelled:
            self.false_negatives += 1


def _micro_f1(counts: dict[str, Counts]) -> float:
    total = Counts()
    for count in counts.values():
        total.true_positives += count.true_positives
        total.false_positives += count.false_positives
        total.false_negatives += count.false_negatives
    return total.f1


def out_of_fold_probabilities(
    examples: Sequence[Example], keys: Sequence[str], folds: int = FOLDS, seed: int = SEED
) -> list[dict[str, float]]:
    """Each example's probabilities from a classifier fitted without the fold it is in."""
    found: list[dict[str, float]] = [{} for _ in examples]
    splits = KFold(n_splits=min(folds, len(examples)), shuffle=True, random_state=seed)
    for train, test in splits.split(np.zeros(len(examples))):
        classifier = classifier_fit([examples[i] for i in train], keys)
        for i, probabilities in zip(test, classifier.probabilities(
                [(examples[i].text, examples[i].language) for i in test]), strict=True):
            found[i] = probabilities
    return found


@dataclass
class Measured:
    """What cross-validation says: per theme, the classifier alone (at 0.5), the rules
    and the combination chosen; each theme's number of examples with and without it."""

    classifier: dict[str, Counts]
    rules: dict[str, Counts]
    combined: dict[str, Counts]
    combination: Combination
    candidates: dict[str, float]  # combination's name -> micro-F1
    examples: dict[str, tuple[int, int]]

    def as_dict(self) -> dict:
        def figures(counts: dict[str, Counts]) -> dict:
            return {key: {"precision": round(c.precision, 4), "recall": round(c.recall, 4), "f1": round(c.f1, 4),
                          "tp": c.true_positives, "fp": c.false_positives, "fn": c.false_negatives}
                    for key, c in counts.items()}

        return {
            "folds": FOLDS,
            "classifier": figures(self.classifier),
            "rules": figures(self.rules),
            "combined": figures(self.combined),
            "micro_f1": {"classifier": round(_micro_f1(self.classifier), 4), "rules": round(_micro_f1(self.rules), 4),
                         "combined": round(_micro_f1(self.combined), 4)},
            "combination": self.combination.as_dict(),
            "candidates": {name: round(f1, 4) for name, f1 in self.candidates.items()},
            "examples": {key: {"with": with_, "without": without} for key, (with_, without) in self.examples.items()},
        }


def _scores(
    examples: Sequence[Example], keys: Sequence[str], said: Callable[[int], Iterable[str]]
) -> dict[str, Counts]:
    counts = {key: Counts() for key in keys}
    for i, example in enumerate(examples):
        found = set(said(i))
        for key in keys:
            if key in example.labels:
                counts[key].add(key in found, example.labels[key])
    return counts


def _union_name(threshold: float) -> str:
    return f"{UNION} {threshold}"


def union_best(measured: Measured) -> Combination:
    """The union that did best in cross-validation, used or not (the benchmark shows it);
    of equals, the one with the higher threshold, which changes the rules' themes least."""
    return Combination(UNION, max(THRESHOLDS, key=lambda t: (measured.candidates[_union_name(t)], t)))


def classifier_measure(
    examples: Sequence[Example], keys: Sequence[str], rules_tag: Callable[[str, str], Iterable[str]],
    folds: int = FOLDS,
) -> Measured:
    """Cross-validate the classifier on `examples` and choose how to combine it with the
    rules (`rules_tag(text, language)` -> keys): the union at the threshold with the best
    micro-F1, if it beats the rules alone by COMBINATION_MARGIN; else the rules alone.

    The rules were written looking at the development set, so there they look better than
    they are and the classifier has little to add: the union wins only where the training
    data holds what the rules miss, as people's corrections do."""
    keys = list(keys)
    probabilities = out_of_fold_probabilities(examples, keys, folds)
    rules = [set(rules_tag(example.text, example.language)) for example in examples]
    classifier = _scores(examples, keys, lambda i: [k for k, p in probabilities[i].items() if p >= 0.5])
    candidates = {RULES: (RULES_ALONE, _scores(examples, keys, lambda i: rules[i]))}
    for threshold in THRESHOLDS:
        combination = Combination(UNION, threshold)
        candidates[_union_name(threshold)] = (
            combination, _scores(examples, keys, lambda i, c=combination: c.themes(rules[i], probabilities[i])))
    f1s = {name: _micro_f1(counts) for name, (_, counts) in candidates.items()}
    best = max(f1s, key=lambda name: (f1s[name], name == RULES))
    if f1s[best] < f1s[RULES] + COMBINATION_MARGIN:
        best = RULES
    examples_count = {}
    for key in keys:
        _, labels, _ = _labelled(examples, key)
        examples_count[key] = (int(labels.sum()), int(len(labels) - labels.sum()))
    return Measured(
        classifier=classifier, rules=candidates[RULES][1], combined=candidates[best][1],
        combination=candidates[best][0], candidates=f1s, examples=examples_count,
    )

