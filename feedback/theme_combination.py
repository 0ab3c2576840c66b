"""How the rules and the classifier together make an answer's themes. Apart from the
classifier itself (feedback.theme_classifier, which needs scikit-learn) so that the
processes that only tag with the rules never load it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

RULES, CLASSIFIER, UNION = "rules", "classifier", "union"


@dataclass(frozen=True)
class Combination:
    """The rules alone ("rules"), or their "union" with the classifier: the rules' themes,
    and those the classifier gives at least `threshold`."""

    mode: str = RULES
    threshold: float = 1.0

    def themes(self, rules: Iterable[str], probabilities: dict[str, float]) -> dict[str, str]:
        """key -> who found it ("rules" or "classifier"), the rules first."""
        found = {key: RULES for key in rules}
        if self.mode == UNION:
            for key, probability in probabilities.items():
                if probability >= self.threshold and key not in found:
                    found[key] = CLASSIFIER
        return found

    @property
    def uses_classifier(self) -> bool:
        return self.mode != RULES

    def as_dict(self) -> dict:
        return {"mode": self.mode, "threshold": self.threshold}


RULES_ALONE = Combination()
