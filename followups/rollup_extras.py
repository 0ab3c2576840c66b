"""Follow-up figures on feedback's rollup pages, through feedback.hooks (feedback never
imports followups). A fixed number of grouped queries per page."""

from datetime import date, datetime, time

from django.utils import timezone

from surveys.selectors import accounts_visible_to

from . import selectors

UNCALLED_SHOWN = 8


def rollup_since(start: date | None) -> datetime | None:
    """The first moment of a rollup period starting on `start` (None: all time)."""
    return timezone.make_aware(datetime.combine(start, time.min)) if start else None


def followups_rollup_extras(*, user, region, start) -> dict:
    visible = accounts_visible_to(user)
    accounts = visible.filter(region=region) if region is not None else visible
    since = rollup_since(start)
    extras = {
        "discipline": selectors.discipline_figures(accounts, since=since),
        "followup_by_am": selectors.discipline_by_am(accounts, since=since),
        "uncalled_detractors": list(selectors.uncalled_detractor_calls(accounts, since=since)[:UNCALLED_SHOWN]),
    }
    if region is not None and user.is_regional_manager:
        extras["overdue_for_rm"] = selectors.overdue_for_rm_context(user, region=region)
    return extras
