"""The themes' classifier learns from people: trained from the labelled reasons that ship
with Pulse (feedback/data/themes_dev.csv) and from the corrections people made to
answers' themes, measured by cross-validation, stored for every worker
(feedback.classifier_store) and used beside the rules when it adds to them.

What a correction teaches: a theme a person added (or a theme of an answer a person set)
is there, one a person removed is not; the answer's other themes are unknown, since
nobody said. Run weekly by beat (`theme_classifier_retrain`, which skips when nothing it
learns from changed) and by `python manage.py train_theme_classifier`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .classifier_store import classifier_save, library_version
from .models import ResponseTheme, Theme, ThemeCorrection, ThemeSource, TrainedClassifier
from .response_themes import reasons_tag_all
from .tagging import reason_themes
from .theme_classifier import REGULARISATION, Example, classifier_fit, classifier_measure
from .theme_defaults import DEFAULT_THEMES
from .theme_quality import DEV_SET, labelled_reasons_read
from .themes import taxonomy_current

# A person's word on a real answer counts as this many rows of the shipped set.
CORRECTION_WEIGHT = 3.0
# The shipped set labels the default themes; a theme an administrator added learns from
# corrections only.
SHIPPED_KEYS = frozenset(theme["key"] for theme in DEFAULT_THEMES)


@dataclass(frozen=True)
class TrainingData:
    keys: list[str]
    examples: list[Example]
    shipped: int
    corrected: int
    fingerprint: str


def training_data() -> TrainingData:
    """The examples for the active themes: the shipped set's rows, then each corrected
    answer with the themes people said something about."""
    current = taxonomy_current()
    keys = list(current.taxonomy.keys)
    shipped_keys = [key for key in keys if key in SHIPPED_KEYS]
    examples = [Example(reason.text, reason.language, {key: key in reason.themes for key in shipped_keys})
                for reason in labelled_reasons_read(DEV_SET)]
    shipped = len(examples)
    said: dict[int, dict[str, bool]] = defaultdict(dict)
    texts: dict[int, tuple[str, str]] = {}
    corrections = ThemeCorrection.objects.filter(theme__key__in=keys).values_list(
        "response_id", "response__reason", "response__language", "theme__key", "present")
    for response_id, reason, language, key, present in corrections.order_by("response_id", "theme__key"):
        said[response_id][key] = present
        texts[response_id] = (reason, language)
    set_by_people = ResponseTheme.objects.filter(source=ThemeSource.PERSON, theme__key__in=keys).values_list(
        "response_id", "response__reason", "response__language", "theme__key")
    for response_id, reason, language, key in set_by_people.order_by("response_id", "theme__key"):
        said[response_id].setdefault(key, True)
        texts[response_id] = (reason, language)
    for response_id in sorted(said):
        reason, language = texts[response_id]
        if reason.strip():  # an erased reason teaches nothing
            examples.append(Example(reason, language, said[response_id], CORRECTION_WEIGHT))
    # What the training depends on: the examples, and the rules it is measured against.
    signals = list(Theme.objects.filter(active=True).order_by("key").values_list("key", "signals_en", "signals_da"))
    fingerprint = hashlib.sha256(json.dumps([
        library_version(), REGULARISATION, CORRECTION_WEIGHT, signals,
        [(e.text, e.language, sorted(e.labels.items()), e.weight) for e in examples],
    ]).encode()).hexdigest()
    return TrainingData(keys=keys, examples=examples, shipped=shipped, corrected=len(examples) - shipped,
                        fingerprint=fingerprint)


def theme_classifier_train(*, now: datetime | None = None, data: TrainingData | None = None) -> TrainedClassifier:
    """Measure the classifier by cross-validation, fit it on all the examples and store it
    as the newest, with its figures and how it is combined with the rules."""
    started = time.monotonic()
    data = data or training_data()
    taxonomy = taxonomy_current().taxonomy
    measured = classifier_measure(
        data.examples, data.keys, lambda text, language: reason_themes(text, language, taxonomy))
    classifier = classifier_fit(data.examples, data.keys)
    return classifier_save(
        classifier=classifier, measured=measured, now=now or timezone.now(), examples_shipped=data.shipped,
        examples_corrected=data.corrected, data_fingerprint=data.fingerprint, seconds=time.monotonic() - started,
    )


def theme_classifier_retrain(*, now: datetime | None = None) -> TrainedClassifier | None:
    """The scheduled training: train when what the classifier learns from changed since the
    newest training (else None), and tag every answer again when the classifier is used,
    now or before (the rules alone give the same themes as before)."""
    data = training_data()
    newest = TrainedClassifier.objects.order_by("-pk").values("data_fingerprint", "combination").first()
    if newest is not None and newest["data_fingerprint"] == data.fingerprint:
        return None
    trained = theme_classifier_train(now=now, data=data)
    if trained.combination != "rules" or (newest is not None and newest["combination"] != "rules"):
        reasons_tag_all()
    return trained
