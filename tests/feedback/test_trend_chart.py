"""The trend chart's geometry (feedback.charts) and its template: NPS with its 95% interval
as a band, answers in a strip of their own, month labels with the year, no month to come."""

import re
from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from feedback.charts import FULL, SMALL, interval_scale, months_shown, trend_chart
from feedback.figures import Figures
from surveys.months import month_add

NOW = timezone.make_aware(datetime(2026, 3, 15, 12))  # March 2026 is in progress


def fig(promoters, passives, detractors):
    return Figures(n=promoters + passives + detractors, promoters=promoters, passives=passives,
                   detractors=detractors, delivered=2 * (promoters + passives + detractors),
                   answered=promoters + passives + detractors)


def months(counts, last=date(2026, 3, 1)):
    """[(month, Figures)] ending with `last`, one per count triple."""
    return [(month_add(last, i - len(counts) + 1), fig(*c) if c else Figures(delivered=0, answered=0))
            for i, c in enumerate(counts)]


def test_band_line_and_strip():
    trend = months([(30, 10, 20), (40, 10, 10), None, (5, 0, 0), (50, 20, 30), (70, 30, 20), (40, 40, 20)])
    chart = trend_chart(trend, now=NOW)
    layout = chart.layout
    plot_bottom = layout.plot_top + layout.plot_height
    assert layout.strip_top > plot_bottom  # the answers never share the NPS scale
    for p in chart.points:
        strip_bottom = layout.strip_top + layout.strip_height
        assert layout.strip_top <= p.bar_y and round(p.bar_y + p.bar_height, 1) == strip_bottom
        if p.figures.n:
            f = p.figures
            assert p.y == pytest.approx(layout.plot_top + (100 - f.nps) / 200 * layout.plot_height, abs=0.06)
            assert p.high_y == pytest.approx(layout.plot_top + (100 - (f.nps + f.margin)) / 200 * layout.plot_height,
                                             abs=0.06)
            assert layout.plot_top <= p.high_y <= p.y <= p.low_y <= plot_bottom
        else:
            assert p.y is None and p.bar_height == 0
    most = max(p.figures.n for p in chart.points)
    assert chart.most_answers == most == 120
    assert [p.bar_height for p in chart.points if p.figures.n == most] == [layout.strip_height]
    # The empty month breaks the line; the month with 5 answers is a hollow point only.
    assert len(chart.lines) == 2 and len(chart.bands) == 2 and chart.whiskers == []
    first_band = chart.bands[0].split()
    assert len(first_band) == 4  # two months' upper ends, then their lower ends back
    assert first_band[0] == f"{chart.points[0].x},{chart.points[0].high_y}"
    assert first_band[-1] == f"{chart.points[0].x},{chart.points[0].low_y}"
    assert all(f"{chart.points[3].x}," not in line for line in chart.lines + chart.bands)


def test_a_month_with_answers_alone_is_a_whisker():
    chart = trend_chart(months([(30, 10, 20), None, (3, 0, 0)]), now=NOW)
    assert chart.lines == [] and chart.bands == [] and [p.month for p in chart.whiskers] == [date(2026, 1, 1)]


def test_no_month_to_come_and_no_empty_month_in_progress():
    counts = [(5, 5, 5)] * 11 + [None]
    chart = trend_chart(months(counts, last=date(2026, 3, 1)), now=NOW)
    assert chart.points[-1].month == date(2026, 2, 1) and len(chart.points) == 11
    with_answers = trend_chart(months([(5, 5, 5)] * 12), now=NOW)
    assert with_answers.points[-1].month == date(2026, 3, 1) and with_answers.points[-1].in_progress
    future = months([(5, 5, 5)] * 12, last=date(2026, 5, 1))
    assert max(m for m, _ in months_shown(future, now=NOW)) == date(2026, 3, 1)


def test_labels_every_month_on_a_laptop_every_other_on_a_phone():
    chart = trend_chart(months([(5, 5, 5)] * 12), now=NOW)
    labels = [p.label for p in chart.points]
    assert labels[-1] == "major" and all(labels)
    assert labels == ["minor", "major"] * 6
    long = trend_chart(months([(5, 5, 5)] * 24), now=NOW)
    assert [p.label for p in long.points][-4:] == ["", "minor", "", "major"]
    small = trend_chart(months([(5, 5, 5)] * 12), now=NOW, small=True)
    assert small.layout is SMALL and [p.label for p in small.points].count("major") == 4
    assert chart.layout is FULL


def test_small_multiples_share_the_answers_scale():
    chart = trend_chart(months([(5, 5, 5)] * 3), now=NOW, small=True, most_answers=60)
    assert chart.most_answers == 60 and chart.points[0].bar_height == SMALL.strip_height / 4


def test_interval_scale():
    rows = [fig(60, 20, 20), fig(30, 40, 30), fig(1, 0, 0)]  # the thin one does not stretch it
    scale = interval_scale(rows, reference=fig(91, 60, 50))
    assert scale.low % 10 == 0 and scale.high % 10 == 0
    assert scale.low <= min(f.low for f in rows[:2]) and scale.high >= max(f.high for f in rows[:2])
    assert scale.x(scale.low) == 0 and scale.x(scale.high) == 100 and scale.x(-100) == 0
    assert 0 < scale.reference_x < 100
    assert interval_scale([]).low == -100


def _render(trend, **context):
    template = Template("{% load pulse_feedback %}{% trend rows base 'North' key='k' %}")
    with timezone.override("Europe/Copenhagen"):
        return template.render(Context({"rows": trend, "base": {"region": 3, "period": "12m"}, **context}))


def test_template_draws_the_band_and_names_the_year(settings):
    trend = months([(30, 10, 20), (40, 10, 10), (50, 20, 30)], last=date(2026, 2, 1))
    html = _render(trend)
    assert html.count("<polygon") == 1 and html.count("<polyline") == 1 and html.count("<circle") == 3
    assert re.search(r">Dec<tspan[^>]*>2025</tspan>", html) and re.search(r">Feb<tspan[^>]*>2026</tspan>", html)
    assert 'aria-labelledby="k-title"' in html and 'id="k-title"' in html
    assert "Answers per month (most: 100)" in html
    table = html.split("<details", 1)[1]
    assert table.count("<tr>") == 4 and "Dec 2025" in table and "period=" not in table and "region=3" in table
    assert re.search(r"<td>\s*<span class=\"interval\">-?\d+ to \d+</span>", table)
    with translation.override("da"):
        danish = _render(trend)
    assert not re.search(r'(?:x|y|cx|cy|x1|x2|y1|y2|width|height)="-?\d+,\d', danish)
    assert "NPS pr. måned" in danish and "2025" in danish


def test_template_without_answers():
    html = _render(months([None, None, (0, 0, 0)], last=date(2026, 2, 1)))
    assert "<svg" not in html and "No answers in these months." in html
