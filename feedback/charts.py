"""Charts as inline SVG geometry, computed on the server (no JS chart library).

The month trend: each month's NPS with its 95% interval as a band, the number of answers
in a strip of its own below it (never drawn into the NPS scale), month labels with the
year. Horizontal positions are percentages of the width and vertical ones pixels, so the
chart fills the width it is given and its text keeps its size on a 360 px phone; the band
and the line are drawn in a nested SVG stretched to that width."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils import timezone

from surveys.months import month_of

from .figures import Figures


@dataclass(frozen=True)
class Layout:
    plot_top: int  # px: NPS 100
    plot_height: int  # px: from NPS 100 down to -100
    strip_top: int  # px: the answers strip below the plot
    strip_height: int
    label_y: int  # px: baseline of the month label (its year on the next line)
    height: int
    gridlines: tuple  # NPS values with a line and a label
    # Months between two labels; on a phone every other of those is hidden (class "minor").
    label_every: int
    hide_minor: bool
    gutter: float = 9.0  # % of the width left of the first month, for the NPS axis labels


FULL = Layout(plot_top=16, plot_height=150, strip_top=196, strip_height=36, label_y=250, height=272,
              gridlines=(100, 50, 0, -50, -100), label_every=1, hide_minor=True)
# One of several side by side (the regions on the director's page).
SMALL = Layout(plot_top=16, plot_height=104, strip_top=146, strip_height=26, label_y=188, height=208,
               gridlines=(100, 0, -100), label_every=3, hide_minor=False, gutter=11.0)


@dataclass(frozen=True)
class Point:
    month: object  # date of the 1st
    figures: Figures
    x: float  # % of the width
    y: float | None  # px; None: no answers that month
    low_y: float | None  # px: the lower end of the 95% interval
    high_y: float | None  # px: the upper end
    bar_x: float  # % of the width
    bar_y: float
    bar_height: float
    label: str  # "major", "minor" (hidden on a phone) or "" (no label)
    in_progress: bool  # the current month, not over yet


@dataclass(frozen=True)
class TrendChart:
    layout: Layout
    points: list
    lines: list  # polyline points ("x,y ...") in the stretched SVG, one per run of months with MIN_N answers
    bands: list  # polygon points of the 95% interval, one per run of two or more such months
    whiskers: list  # [Point] with MIN_N answers alone between others: their interval as a vertical line
    gridlines: list  # [{"value", "y"}]
    most_answers: int  # the strip's scale: the most answers in one month
    bar_width: float  # % of the width

    @property
    def has_answers(self) -> bool:
        return any(p.y is not None for p in self.points)


def months_shown(trend: list, *, now=None) -> list:
    """The trend without months still to come, nor the current month while it has no
    answers (an empty month at the end would read as a drop)."""
    this_month = month_of(timezone.localdate(now or timezone.now()))
    return [(m, f) for m, f in trend if m < this_month or (m == this_month and f.n)]


def trend_chart(trend: list, *, now=None, small: bool = False, most_answers: int | None = None) -> TrendChart:
    """The geometry of templates/feedback/_trend.html for [(month, Figures)], oldest first.
    `most_answers`: the top of the answers strip, when several charts share one scale."""
    layout = SMALL if small else FULL
    rows = months_shown(trend, now=now)
    this_month = month_of(timezone.localdate(now or timezone.now()))
    count = max(len(rows), 1)
    step = (100.0 - layout.gutter) / count
    every = layout.label_every if small or count <= 12 else 2 * layout.label_every
    most = max([f.n for _, f in rows] + [most_answers or 0])

    def y_of(nps: float) -> float:
        return round(layout.plot_top + (100 - nps) / 200 * layout.plot_height, 1)

    points = []
    for i, (month, fig) in enumerate(rows):
        from_last = count - 1 - i  # label the last month, and every `every` before it
        label = ""
        if from_last % every == 0:
            label = "minor" if layout.hide_minor and from_last % (2 * every) else "major"
        bar_height = round(fig.n / most * layout.strip_height, 1) if most else 0.0
        points.append(Point(
            month=month, figures=fig, x=round(layout.gutter + step * (i + 0.5), 2),
            y=y_of(fig.nps) if fig.n else None,
            low_y=y_of(fig.low) if fig.n else None, high_y=y_of(fig.high) if fig.n else None,
            bar_x=round(layout.gutter + step * (i + 0.25), 2),
            bar_y=round(layout.strip_top + layout.strip_height - bar_height, 1), bar_height=bar_height,
            label=label, in_progress=month == this_month,
        ))
    # Runs of consecutive months with enough answers: a month with fewer is a hollow point
    # alone, since a line or a band through it would claim what a few answers cannot show.
    runs, run = [], []
    for p in points:
        if p.figures.confident:
            run.append(p)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return TrendChart(
        layout=layout, points=points,
        lines=[" ".join(f"{p.x},{p.y}" for p in r) for r in runs if len(r) > 1],
        bands=[" ".join([f"{p.x},{p.high_y}" for p in r] + [f"{p.x},{p.low_y}" for p in reversed(r)])
               for r in runs if len(r) > 1],
        whiskers=[r[0] for r in runs if len(r) == 1],
        gridlines=[{"value": v, "y": y_of(v), "label_y": y_of(v) - 3} for v in layout.gridlines],
        most_answers=most, bar_width=round(step * 0.5, 2),
    )


@dataclass(frozen=True)
class IntervalScale:
    """A common NPS scale for the interval bars of one table, from `low` to `high` (whole
    tens), with the scope's NPS as a reference line."""

    low: int
    high: int
    reference: float | None

    def x(self, value: float) -> float:
        """% of the bar's width."""
        value = min(max(value, self.low), self.high)
        return round((value - self.low) / (self.high - self.low) * 100, 2)

    @property
    def reference_x(self) -> float | None:
        return None if self.reference is None else self.x(self.reference)


def interval_scale(figures: list, reference: Figures | None = None) -> IntervalScale:
    """The scale that holds every interval with enough answers and the reference NPS."""
    ends = [v for f in figures if f.confident for v in (f.low, f.high)]
    if reference is not None and reference.n:
        ends.append(reference.nps)
    if not ends:
        return IntervalScale(-100, 100, None)
    low = max(-100, math.floor(min(ends) / 10) * 10)
    high = min(100, math.ceil(max(ends) / 10) * 10)
    if high - low < 20:  # a short scale would make small differences look big
        low, high = max(-100, low - 10), min(100, high + 10)
    return IntervalScale(low, high, reference.nps if reference is not None and reference.n else None)


@dataclass(frozen=True)
class ShareBar:
    month: object  # date of the 1st
    share: object  # feedback.drivers.Share: mentions of the month's answers
    x: float  # % of the width
    height: float  # px
    thin: bool  # fewer than MIN_N answers that month: drawn as an outline, not a claim


SPARK_HEIGHT = 24


def share_bars(trend: list, *, top: float) -> list:
    """The geometry of a theme's share by month ([feedback.drivers.ThemeMonth], oldest first)
    as small bars on a common scale from 0 to `top` (0..1), for a table of several."""
    step = 100.0 / max(len(trend), 1)
    bars = []
    for i, point in enumerate(trend):
        value = point.share.value or 0.0
        height = round(min(value / top, 1.0) * SPARK_HEIGHT, 1) if top else 0.0
        bars.append(ShareBar(month=point.month, share=point.share, x=round(step * i + step * 0.15, 2),
                             height=max(height, 1.0) if point.mentions else 0.0, thin=not point.share.confident))
    return bars
