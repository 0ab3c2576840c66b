"""How long calls took, in buckets: "half of the calls were tried within X".

An exact median needs every call's delay; a page that must read a bounded table reads
buckets instead (followups.models.CallDelaySummary). The figure shown is the upper bound
of the first bucket where the calls counted so far reach half of them: at least half of
the calls took no longer than that. Buckets: 0.1 h below 10 h, 1 h from 10 h to 48 h,
1 day from 2 to 60 days; the last bucket (60 days or more) has no upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Case, F, IntegerField, Value, When
from django.utils.formats import number_format
from django.utils.translation import gettext as _

HOUR = 3600
DAY = 24 * HOUR
TENTHS_UNTIL = 10 * HOUR  # buckets of 0.1 h below this
HOURS_UNTIL = 48 * HOUR  # buckets of 1 h below this
DAYS_UNTIL = 60 * DAY  # buckets of 1 day below this; beyond, one open bucket
FIRST_HOUR_BUCKET = 100  # 10 h .. 11 h
FIRST_DAY_BUCKET = FIRST_HOUR_BUCKET + (HOURS_UNTIL - TENTHS_UNTIL) // HOUR  # 138: 2 d .. 3 d
OPEN_BUCKET = FIRST_DAY_BUCKET + (DAYS_UNTIL - HOURS_UNTIL) // DAY  # 196: 60 d or more


def bucket_of(seconds: int) -> int:
    if seconds < TENTHS_UNTIL:
        return seconds // (HOUR // 10)
    if seconds < HOURS_UNTIL:
        return FIRST_HOUR_BUCKET + (seconds - TENTHS_UNTIL) // HOUR
    if seconds < DAYS_UNTIL:
        return FIRST_DAY_BUCKET + (seconds - HOURS_UNTIL) // DAY
    return OPEN_BUCKET


def bucket_expression(field: str) -> Case:
    """`bucket_of` in SQL, over an integer column of seconds (integer division on both
    PostgreSQL and SQLite)."""
    seconds = F(field)
    return Case(
        When(**{f"{field}__lt": TENTHS_UNTIL}, then=seconds / Value(HOUR // 10)),
        When(**{f"{field}__lt": HOURS_UNTIL},
             then=Value(FIRST_HOUR_BUCKET) + (seconds - Value(TENTHS_UNTIL)) / Value(HOUR)),
        When(**{f"{field}__lt": DAYS_UNTIL},
             then=Value(FIRST_DAY_BUCKET) + (seconds - Value(HOURS_UNTIL)) / Value(DAY)),
        default=Value(OPEN_BUCKET),
        output_field=IntegerField(),
    )


def bucket_upper_hours(bucket: int) -> Fraction | None:
    """The bucket's upper bound in hours (None for the open last bucket)."""
    if bucket < FIRST_HOUR_BUCKET:
        return Fraction(bucket + 1, 10)
    if bucket < FIRST_DAY_BUCKET:
        return Fraction(TENTHS_UNTIL // HOUR + bucket - FIRST_HOUR_BUCKET + 1)
    if bucket < OPEN_BUCKET:
        return Fraction(24 * (HOURS_UNTIL // DAY + bucket - FIRST_DAY_BUCKET + 1))
    return None


@dataclass(frozen=True)
class HalfWithin:
    """Half of the calls took no longer than this bucket's upper bound."""

    bucket: int
    calls: int  # how many calls the figure is of

    @property
    def hours(self) -> Fraction | None:
        return bucket_upper_hours(self.bucket)

    def __str__(self) -> str:
        hours = self.hours
        if hours is None:
            return _("over %(n)s d") % {"n": DAYS_UNTIL // DAY}
        if hours <= TENTHS_UNTIL // HOUR:
            return _("%(n)s h") % {"n": number_format(float(hours), 1)}
        if hours <= HOURS_UNTIL // HOUR:
            return _("%(n)s h") % {"n": int(hours)}
        return _("%(n)s d") % {"n": int(hours // 24)}


def half_within(counts: dict[int, int]) -> HalfWithin | None:
    """{bucket: calls} -> the first bucket where the calls counted so far reach half."""
    total = sum(counts.values())
    if total <= 0:
        return None
    seen = 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        if 2 * seen >= total:
            return HalfWithin(bucket, total)
    return None  # not reached: counts below zero would mean the table is wrong
