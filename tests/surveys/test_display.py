"""One rounding rule and one date format for every figure and date shown (issue 11,
defect 3): half away from zero, once, from the exact value; dates with their year."""

import re
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from surveys.display import date_shown, days_shown, number_shown, percent_shown, rounded

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# A chart's month axis labels its months, not dates (its table below gives the year).
MONTH_AXES = {"_trend.html"}


@pytest.mark.parametrize(("share", "shown"), [
    (Fraction(47, 55), "85%"), (47 / 55, "85%"),        # 85.4545...: never 85.5 then 86
    (Fraction(1, 8), "13%"), (1 / 8, "13%"),            # 12.5: up, not to the even 12
    (Fraction(3, 8), "38%"), (Fraction(29, 200), "15%"), (29 / 200, "15%"),  # 14.5 from a float below it
    (Fraction(1, 3), "33%"), (Fraction(2, 3), "67%"), (0, "0%"), (1, "100%"), (None, "—"),
])
def test_percentages(share, shown):
    assert percent_shown(share) == shown


@pytest.mark.parametrize(("value", "digits", "shown"), [
    (2.5, 0, "3"), (-2.5, 0, "-3"), (0.5, 0, "1"), (-0.5, 0, "-1"), (-0.4, 0, "0"), (1.5, 0, "2"),
    (100.0 * 1 / 40, 0, "3"), (100.0 * -3 / 40, 0, "-8"), (Fraction(1, 3600) * 1800, 1, "0.5"),
    (0.05, 1, "0.1"), (0.25, 1, "0.3"), (12.345, 2, "12.35"), (None, 0, "—"),
])
def test_numbers_round_half_away_from_zero(value, digits, shown):
    assert number_shown(value, digits) == shown


def test_signed_changes_and_the_rounded_value():
    assert [number_shown(v, sign=True) for v in (2.5, -2.5, 0.4, -0.4, 0)] == ["+3", "-3", "0", "0", "0"]
    assert rounded(Fraction(47, 55) * 100) == Decimal(85) and rounded(Fraction(-5, 2)) == Decimal(-3)


def test_danish_decimals():
    with translation.override("da"):
        assert number_shown(12.25, 1) == "12,3" and percent_shown(Fraction(1, 8), 1) == "12,5%"


def test_dates_carry_their_year():
    assert date_shown(date(2025, 3, 3)) == "3 Mar 2025"
    assert date_shown(date(2025, 3, 4), weekday=True) == "Tue 4 Mar 2025"
    moment = datetime(2025, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC"))  # 1 Jan 2026 in Copenhagen
    assert date_shown(moment) == "1 Jan 2026" and date_shown(moment, time=True) == "1 Jan 2026 00:30"
    assert date_shown(None) == "" and days_shown(1) == "1 day" and days_shown(398) == "398 days"


def test_filters_use_the_same_rule():
    html = Template(
        "{% load pulse_display pulse_feedback %}{{ a|pct }} {{ b|num }} {{ c|signed }} {{ d|day }} {{ a|pct:1 }}"
    ).render(Context({"a": 1 / 8, "b": -2.5, "c": 2.5, "d": date(2024, 2, 29)}))
    assert html == "13% -3 +3 29 Feb 2024 12.5%"


def test_no_template_rounds_or_dates_a_figure_its_own_way():
    """Every figure goes through surveys.display (no floatformat); every date a staff member
    reads carries its year (the customer's emails and the dev outbox aside)."""
    found = []
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file() or path.name.startswith("close_the_loop") or "mail_outbox" in path.name:
            continue
        text = path.read_text()
        if "floatformat" in text:
            found.append(f"{path.relative_to(TEMPLATES)}: floatformat")
        for fmt in re.findall(r"""\|date:["']([^"']+)["']""", text):
            if fmt not in ("c", "Y-m") and "Y" not in fmt and path.name not in MONTH_AXES:
                found.append(f"{path.relative_to(TEMPLATES)}: |date:{fmt!r} has no year")
    assert not found, "\n".join(found)
