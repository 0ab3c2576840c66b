"""Follow-up figures on feedback's rollup pages, through feedback.hooks (feedback never
imports followups). A fixed number of grouped queries per page."""

from datetime import datetime, time

from django.utils import timezone

from surveys.selectors import accounts_visible_to

from . import selectors


def followups_rollup_extras(*, user, region, start) -> dict:
    accounts = accounts_visible_to(user)
    if region is not None:
        accounts = accounts.filter(region=region)
    since = timezone.make_aware(datetime.combine(start, time.min)) if start else None
    extras = {"discipline": selectors.discipline_figures(accounts, since=since)}
    if region is not None and user.is_regional_manager:
        extras["overdue_for_rm"] = selectors.overdue_for_rm_context(user)
    return extras
