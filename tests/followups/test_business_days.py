"""Business-day arithmetic, as properties: weekends skipped, month and year ends nothing special."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followups.business_days import add_business_days, business_days_between, is_business_day, next_business_day

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
# Dates close to a month's end, where off-by-one errors like to live.
month_ends = st.builds(
    lambda y, m, back: (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=back)),
    st.integers(2000, 2098), st.integers(1, 12), st.integers(1, 4),
)
any_day = st.one_of(days, month_ends)
counts = st.integers(min_value=0, max_value=60)


def add_by_walking(start: date, n: int) -> date:
    """Independent reference: walk the calendar one day at a time."""
    if n == 0:
        return next_business_day(start)
    day, left = start, n
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


@given(any_day, counts)
def test_add_matches_walking_the_calendar(start, n):
    assert add_business_days(start, n) == add_by_walking(start, n)


@given(any_day, counts)
def test_result_is_a_business_day_and_counts_back(start, n):
    due = add_business_days(start, n)
    assert is_business_day(due)
    assert due >= start
    if n:
        assert business_days_between(start, due) == n
        # The day before the result is one business day short: the earliest such date.
        assert business_days_between(start, due - timedelta(days=1)) == n - 1


@given(any_day, counts)
def test_n_business_days_take_at_most_n_plus_weekends(start, n):
    due = add_business_days(start, n)
    assert (due - start).days <= n + 2 * (n // 5 + 1) + 2


@given(any_day, any_day)
def test_between_is_antisymmetric_and_matches_counting(a, b):
    assert business_days_between(a, b) == -business_days_between(b, a)
    lo, hi = min(a, b), max(a, b)
    if (hi - lo).days < 400:
        counted = sum(1 for k in range(1, (hi - lo).days + 1) if (lo + timedelta(days=k)).weekday() < 5)
        assert abs(business_days_between(a, b)) == counted


@given(any_day, counts, counts)
def test_adding_is_additive_from_business_days(start, m, n):
    start = next_business_day(start)
    assert add_business_days(add_business_days(start, m), n) == add_business_days(start, m + n)


@pytest.mark.parametrize(
    "start, n, due",
    [
        (date(2026, 11, 20), 2, date(2026, 11, 24)),  # Friday + 2 = Tuesday
        (date(2026, 11, 21), 2, date(2026, 11, 24)),  # Saturday + 2 = Tuesday
        (date(2026, 11, 22), 1, date(2026, 11, 23)),  # Sunday + 1 = Monday
        (date(2026, 11, 23), 7, date(2026, 12, 2)),  # across the month end
        (date(2026, 12, 31), 2, date(2027, 1, 4)),  # Thursday, across the year end and a weekend
        (date(2026, 11, 23), 14, date(2026, 12, 11)),
        (date(2026, 11, 21), 0, date(2026, 11, 23)),
    ],
)
def test_examples(start, n, due):
    assert add_business_days(start, n) == due


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_business_days(date(2026, 1, 1), -1)


@given(any_day, counts)
def test_a_call_is_never_due_before_the_day_of_its_answer(start, n):
    # followups.selectors.uncalled_detractor_calls relies on it to start its index walk.
    assert add_business_days(start, n) >= start
