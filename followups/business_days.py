"""Business-day arithmetic: Monday to Friday count, Saturday and Sunday do not.

Pure functions of dates; no database, no settings.
"""

from datetime import date, timedelta


def is_business_day(day: date) -> bool:
    return day.weekday() < 5


def next_business_day(day: date) -> date:
    """`day` itself when it is a business day, else the Monday after."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(start: date, days: int) -> date:
    """The date `days` business days after `start`.

    An answer on Friday due in 2 business days is due Tuesday; on Saturday or
    Sunday, also Tuesday. With 0 days: `start`, rolled forward to a business day.
    """
    if days < 0:
        raise ValueError("days must be 0 or more")
    if days == 0:
        return next_business_day(start)
    # Count from the last business day on or before start (weekend answers start Friday's count).
    anchor = start
    while not is_business_day(anchor):
        anchor -= timedelta(days=1)
    weeks, rest = divmod(days, 5)
    result = anchor + timedelta(weeks=weeks)
    for _ in range(rest):
        result += timedelta(days=1)
        while not is_business_day(result):
            result += timedelta(days=1)
    return result


def business_days_between(start: date, end: date) -> int:
    """How many business days lie in (start, end]; negative when end is before start."""
    if end < start:
        return -business_days_between(end, start)
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5
    weekday = start.weekday()
    for offset in range(1, rest + 1):
        if (weekday + offset) % 7 < 5:
            count += 1
    return count
