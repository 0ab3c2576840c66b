"""The periods pages and filters offer, as datetimes and as whole months."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from surveys.months import month_add, month_begins, month_window_first

PERIODS = {
    "all": "All time",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "3m": "This and the last 2 months",
    "12m": "Last 12 months",
}


def period_bounds(period: str, month: date | None = None, now: datetime | None = None):
    """(start, end) datetimes, either may be None (open)."""
    now = now or timezone.now()
    if month is not None:
        return month_begins(month), month_begins(month_add(month, 1))
    if period == "7d":
        return now - timedelta(days=7), None
    if period == "30d":
        return now - timedelta(days=30), None
    if period == "90d":
        return now - timedelta(days=90), None
    return rollup_since(period, now), None  # whole months: "3m", "12m"; else all time


# Rollup periods are whole months, the current one included.
ROLLUP_MONTHS = {"3m": 3, "12m": 12}


def rollup_start(period: str, now=None) -> date | None:
    """The first month a rollup period covers (rollup periods are whole months)."""
    if period not in ROLLUP_MONTHS:
        return None
    return month_window_first(ROLLUP_MONTHS[period], now)


def rollup_previous(period: str, now=None) -> tuple[date, date] | None:
    """(first month, last month) of the period a rollup period is compared with: as many
    months, just before it (the 12 months before the last 12). None for all time."""
    start = rollup_start(period, now)
    if start is None:
        return None
    return month_add(start, -ROLLUP_MONTHS[period]), month_add(start, -1)


def rollup_since(period: str, now=None) -> datetime | None:
    """The first moment of a rollup period (None: all time), for figures counted by the
    moment, such as the follow-up calls shown beside a rollup."""
    start = rollup_start(period, now)
    return month_begins(start) if start else None
