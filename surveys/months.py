"""Month arithmetic, the only copy in the project. A month is the date of its 1st."""

import calendar
import re
from datetime import date, datetime

from django.utils import timezone


class MonthError(ValueError):
    """A month that is not YYYY-MM, or out of range; the message is for the user."""


def month_parse(text: str) -> date:
    """'2026-12' -> date(2026, 12, 1); anything else is a MonthError with a clear message.
    Years run from 2000 to 9000, so a month's next month and its first moment in any time
    zone are always dates (9999-12 once made pages fail); digits are ASCII only."""
    text = (text or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{2})", text, flags=re.ASCII)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 9000:
        raise MonthError(f"The month must look like 2026-12 (YYYY-MM); got {text!r}.")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_of(day: date) -> date:
    """The month `day` falls in (its 1st)."""
    return day.replace(day=1)


def month_of_moment(moment: datetime) -> date:
    """The month a moment falls in, in the site's time zone (as the database's TruncMonth)."""
    return month_of(timezone.localdate(moment))


def month_window_first(months: int, now: datetime | None = None) -> date:
    """The first month of a window of `months` whole months that ends with this one
    (3: this month and the two before it)."""
    return month_add(month_of(timezone.localdate(now or timezone.now())), -(months - 1))


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def month_from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_add(month: date, months: int) -> date:
    return month_from_index(month_index(month) + months)


def month_begins(month: date) -> datetime:
    """The first moment of `month` in the site's time zone."""
    return timezone.make_aware(datetime(month.year, month.month, 1))


def month_next_to_plan(today: date) -> date:
    """The wave whose hold window we are in or approaching: this month on the 1st, else next."""
    return month_of(today) if today.day == 1 else month_add(month_of(today), 1)


def moment_months_before(moment: datetime, months: int) -> datetime:
    """The same local time of day `months` months before `moment`, the day clamped to the
    month's length (31 March, 1 month before: 28 or 29 February)."""
    local = timezone.localtime(moment)
    month = month_add(month_of(local.date()), -months)
    day = min(local.day, calendar.monthrange(month.year, month.month)[1])
    return timezone.make_aware(datetime.combine(month.replace(day=day), local.time().replace(tzinfo=None)))
