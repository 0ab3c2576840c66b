"""The figures shown for a group of answers: counts, shares, NPS and its margin of error
(DESIGN §2.8). The one place their arithmetic lives; the counts come from SQL."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from .models import Category

# Below this many answers a figure is shown as "too few answers", not as a number.
MIN_N = 10


Z95 = 1.96


@dataclass(frozen=True)
class Figures:
    """Counts of one group of (non-suspect) answers, and what follows from them."""

    n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    delivered: int | None = None  # delivered invitations, when the rate is known
    answered: int | None = None  # of those, answered (non-suspect)

    @classmethod
    def from_row(cls, row: dict, *, delivered=None, answered=None) -> Figures:
        return cls(
            n=row.get("n") or 0,
            promoters=row.get("promoters") or 0,
            passives=row.get("passives") or 0,
            detractors=row.get("detractors") or 0,
            delivered=delivered,
            answered=answered,
        )

    @property
    def confident(self) -> bool:
        return self.n >= MIN_N

    def _share(self, count: int) -> float | None:
        return count / self.n if self.n else None

    @property
    def promoter_share(self) -> float | None:
        return self._share(self.promoters)

    @property
    def passive_share(self) -> float | None:
        return self._share(self.passives)

    @property
    def detractor_share(self) -> float | None:
        return self._share(self.detractors)

    @property
    def nps(self) -> float | None:
        """Percentage points, -100..100."""
        if not self.n:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.n

    @property
    def margin(self) -> float | None:
        """95% margin of error of the NPS, in percentage points."""
        if not self.n:
            return None
        p, d = self.promoters / self.n, self.detractors / self.n
        variance = max(p + d - (p - d) ** 2, 0.0)
        return 100.0 * Z95 * math.sqrt(variance / self.n)

    @property
    def response_rate(self) -> float | None:
        if not self.delivered:
            return None
        return (self.answered or 0) / self.delivered


COUNTS = {
    "n": Count("pk"),
    "promoters": Count("pk", filter=Q(category=Category.PROMOTER)),
    "passives": Count("pk", filter=Q(category=Category.PASSIVE)),
    "detractors": Count("pk", filter=Q(category=Category.DETRACTOR)),
}


SUMS = {
    "promoters": Sum("promoters"),
    "passives": Sum("passives"),
    "detractors": Sum("detractors"),
    "delivered": Sum("delivered"),
    "answered": Sum("answered"),
}


def figures_of(row: dict) -> Figures:
    p, pa, d = (row.get(k) or 0 for k in ("promoters", "passives", "detractors"))
    return Figures(
        n=p + pa + d, promoters=p, passives=pa, detractors=d,
        delivered=row.get("delivered") or 0, answered=row.get("answered") or 0,
    )


def share_interval(count: int, n: int) -> tuple[float, float] | None:
    """95% Wilson score interval of the share count/n, as (low, high) in 0..1; None when
    n is 0. Unlike p ± 1.96·se it stays inside 0..1 and is honest about 2 of 2."""
    if not n:
        return None
    p, z2 = count / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)
