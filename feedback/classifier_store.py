"""Where the themes' classifier is kept: a TrainedClassifier row per training, the newest
one in use. The database is what every worker on every host already shares, so no file
has to be copied around; the model is a few hundred kB.

`classifier_current()` costs one small query (the newest row's id and how it is
combined with the rules); the model itself is read and unpickled only when a newer row
appears and the combination uses it. Only then does the process load scikit-learn
(about 2 s and 100 MB): the web processes and a worker whose tagging uses the rules
alone never do.
"""

from __future__ import annotations

import logging
import pickle
import zlib
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from typing import TYPE_CHECKING

from django.db import connection

from .models import TrainedClassifier
from .theme_combination import RULES_ALONE, Combination

if TYPE_CHECKING:
    from .theme_classifier import Measured, ThemeClassifier

logger = logging.getLogger(__name__)

# Trainings kept (the newest is used; the ones before it say how the figures moved).
KEEP = 5


@dataclass(frozen=True)
class StoredClassifier:
    """The newest training as the tagger uses it: its row's id, the fitted classifier
    (None when the rules alone tag) and the combination."""

    pk: int
    classifier: ThemeClassifier | None
    combination: Combination


_loaded: StoredClassifier | None = None
# The newest training: the worker asks for every answer, so it is written out.
_NEWEST = (f"SELECT id, combination, threshold, library_version FROM {TrainedClassifier._meta.db_table}"
           " ORDER BY id DESC LIMIT 1")


def classifier_current() -> StoredClassifier | None:
    """The newest trained classifier, or None when none was trained yet (the rules alone
    tag)."""
    global _loaded
    with connection.cursor() as cursor:
        cursor.execute(_NEWEST)
        row = cursor.fetchone()
    newest = dict(zip(("pk", "combination", "threshold", "library_version"), row, strict=True)) if row else None
    if newest is None:
        _loaded = None
        return None
    if _loaded is None or _loaded.pk != newest["pk"]:
        _loaded = _classifier_load(newest)
    return _loaded


def _classifier_load(row: dict) -> StoredClassifier:
    combination = Combination(row["combination"], row["threshold"])
    if not combination.uses_classifier:
        return StoredClassifier(pk=row["pk"], classifier=None, combination=RULES_ALONE)
    if row["library_version"] != library_version():
        # A model pickled by another scikit-learn may load wrongly: the rules tag alone
        # until the next training (the scheduled one, or manage.py train_theme_classifier).
        logger.warning("theme classifier %s was trained with scikit-learn %s, this is %s: not used",
                       row["pk"], row["library_version"], library_version())
        return StoredClassifier(pk=row["pk"], classifier=None, combination=RULES_ALONE)
    data = TrainedClassifier.objects.filter(pk=row["pk"]).values_list("model", flat=True).get()
    classifier = pickle.loads(zlib.decompress(bytes(data)))  # written by classifier_save only
    return StoredClassifier(pk=row["pk"], classifier=classifier, combination=combination)


def classifier_save(
    *, classifier: ThemeClassifier, measured: Measured, now: datetime, examples_shipped: int,
    examples_corrected: int, data_fingerprint: str, seconds: float,
) -> TrainedClassifier:
    """Store a training as the newest, and drop all but the last KEEP."""
    row = TrainedClassifier.objects.create(
        trained_at=now, model=zlib.compress(pickle.dumps(classifier, protocol=pickle.HIGHEST_PROTOCOL)),
        library_version=library_version(),
        examples_shipped=examples_shipped, examples_corrected=examples_corrected,
        data_fingerprint=data_fingerprint, metrics=measured.as_dict(),
        combination=measured.combination.mode, threshold=measured.combination.threshold, seconds=seconds,
    )
    old = TrainedClassifier.objects.order_by("-pk").values_list("pk", flat=True)[KEEP:]
    TrainedClassifier.objects.filter(pk__in=list(old)).delete()
    return row


def library_version() -> str:
    """scikit-learn's version, without importing it."""
    return version("scikit-learn")


def classifier_forget() -> None:
    global _loaded
    _loaded = None
