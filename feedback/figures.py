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
    def standard_error(self) -> float | None:
        """Standard error of the NPS, in percentage points: sqrt((p + d - (p - d)^2) / n)."""
        if not self.n:
            return None
        p, d = self.promoters / self.n, self.detractors / self.n
        variance = max(p + d - (p - d) ** 2, 0.0)
        return 100.0 * math.sqrt(variance / self.n)

    @property
    def margin(self) -> float | None:
        """95% margin of error of the NPS, in percentage points."""
        se = self.standard_error
        return None if se is None else Z95 * se

    @property
    def low(self) -> float | None:
        """Lower end of the NPS's 95% interval (never below -100)."""
        return None if not self.n else max(self.nps - self.margin, -100.0)

    @property
    def high(self) -> float | None:
        """Upper end of the NPS's 95% interval (never above 100)."""
        return None if not self.n else min(self.nps + self.margin, 100.0)

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


def figures_minus(whole: Figures, part: Figures) -> Figures:
    """The figures of `whole`'s answers that are not `part`'s (part is a subset of whole)."""

    def less(a, b):
        return None if a is None or b is None else a - b

    return Figures(
        n=whole.n - part.n, promoters=whole.promoters - part.promoters, passives=whole.passives - part.passives,
        detractors=whole.detractors - part.detractors, delivered=less(whole.delivered, part.delivered),
        answered=less(whole.answered, part.answered),
    )


def _two_sample(a: Figures, b: Figures) -> tuple[float | None, float | None, bool]:
    """(a's NPS - b's NPS, that difference over its combined standard error, significant):
    the two-sample test of DESIGN §2.8, se = sqrt(se_a^2 + se_b^2), significant at 95% when
    |z| >= 1.96 and both sides have MIN_N answers or more (below that nothing is claimed)."""
    if not (a.n and b.n):
        return None, None, False
    delta = a.nps - b.nps
    se = math.hypot(a.standard_error, b.standard_error)
    if se:
        z = delta / se
    else:  # both sides unanimous (all promoters, all passives or all detractors)
        z = 0.0 if delta == 0 else math.copysign(math.inf, delta)
    return delta, z, a.confident and b.confident and abs(z) >= Z95


@dataclass(frozen=True)
class Change:
    """A group's NPS against the previous period of the same length."""

    current: Figures
    previous: Figures
    delta: float | None  # NPS points, current - previous; None when either has no answers
    z: float | None  # delta over its combined standard error
    significant: bool

    @property
    def comparable(self) -> bool:
        """Both periods have enough answers for a change to be claimed (or denied)."""
        return self.current.confident and self.previous.confident

    @property
    def direction(self) -> str:
        """"up", "down", or "same" when the change shown rounds to 0."""
        if self.delta is None or abs(self.delta) < 0.5:
            return "same"
        return "up" if self.delta > 0 else "down"


def nps_change(current: Figures, previous: Figures) -> Change:
    delta, z, significant = _two_sample(current, previous)
    return Change(current=current, previous=previous, delta=delta, z=z, significant=significant)


@dataclass(frozen=True)
class Difference:
    """One group's NPS against another's (the answers that mention a theme against those
    that do not), with the 95% interval of the difference: delta ± 1.96·sqrt(se_a² + se_b²)."""

    a: Figures
    b: Figures
    delta: float | None  # NPS points, a - b; None when either has no answers
    low: float | None
    high: float | None
    z: float | None
    significant: bool

    @property
    def comparable(self) -> bool:
        """Both sides have enough answers for a difference to be claimed (or denied)."""
        return self.a.confident and self.b.confident


def nps_difference(a: Figures, b: Figures) -> Difference:
    delta, z, significant = _two_sample(a, b)
    if delta is None:
        return Difference(a=a, b=b, delta=None, low=None, high=None, z=None, significant=False)
    margin = Z95 * math.hypot(a.standard_error, b.standard_error)
    return Difference(a=a, b=b, delta=delta, low=max(delta - margin, -200.0), high=min(delta + margin, 200.0), z=z,
                      significant=significant)


# Where a group (an AM, a region) stands against the rest of its scope.
BELOW, WITHIN, ABOVE, THIN = "below", "within", "above", "thin"
STANDINGS = (BELOW, WITHIN, ABOVE, THIN)  # the order tables show them in: where to act first


@dataclass(frozen=True)
class Standing:
    """A group's NPS against the NPS of the rest of its scope (every other group together),
    by the same two-sample test as a change: clearly above or below it, or not to be told
    apart from it; THIN when either side has fewer than MIN_N answers."""

    group: str  # BELOW, WITHIN, ABOVE or THIN
    rest: Figures
    delta: float | None  # NPS points, the group's - the rest's
    z: float | None


def nps_standing(part: Figures, whole: Figures) -> Standing:
    rest = figures_minus(whole, part)
    delta, z, significant = _two_sample(part, rest)
    if not (part.confident and rest.confident):
        group = THIN
    elif not significant:
        group = WITHIN
    else:
        group = ABOVE if delta > 0 else BELOW
    return Standing(group=group, rest=rest, delta=delta, z=z)


def share_interval(count: int, n: int) -> tuple[float, float] | None:
    """95% Wilson score interval of the share count/n, as (low, high) in 0..1; None when
    n is 0. Unlike p ± 1.96·se it stays inside 0..1 and is honest about 2 of 2."""
    if not n:
        return None
    p, z2 = count / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)
