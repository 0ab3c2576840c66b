"""A month trend as inline SVG geometry, computed on the server (no JS chart library)."""

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 10, 10, 30


@dataclass
class Point:
    month: object
    figures: object
    x: float
    y: float | None
    bar_height: float
    bar_y: float


def trend_chart(trend: list) -> dict:
    """Points of NPS (-100..100) per month, and bars of n, for templates/feedback/_trend.html."""
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(len(trend), 1)
    biggest = max((fig.n for _, fig in trend), default=0) or 1

    def y_of(nps):
        return PAD_TOP + (100 - nps) / 200 * inner_h

    points = []
    for i, (month, fig) in enumerate(trend):
        x = PAD_LEFT + step * (i + 0.5)
        bar_h = fig.n / biggest * inner_h * 0.35
        points.append(Point(month, fig, round(x, 1), round(y_of(fig.nps), 1) if fig.n else None,
                            round(bar_h, 1), round(PAD_TOP + inner_h - bar_h, 1)))
    segments, current = [], []
    for p in points:
        if p.y is None:
            if len(current) > 1:
                segments.append(current)
            current = []
        else:
            current.append(f"{p.x},{p.y}")
    if len(current) > 1:
        segments.append(current)
    gridlines = [{"value": v, "y": round(y_of(v), 1)} for v in (100, 50, 0, -50, -100)]
    return {
        "width": WIDTH, "height": HEIGHT, "points": points,
        "lines": [" ".join(s) for s in segments], "gridlines": gridlines,
        "left": PAD_LEFT, "right": WIDTH - PAD_RIGHT, "bar_width": round(step * 0.5, 1),
        "label_y": HEIGHT - 10,
    }
