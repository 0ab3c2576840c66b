"""Tags for the follow-up partials other apps' pages include (the rollup's per-AM column,
the accounts-at-risk box). Each computes its figures once per request, in SQL."""

from datetime import datetime, time

from django import template
from django.utils import timezone

from surveys.selectors import accounts_visible_to

from .. import selectors

register = template.Library()


def _since(period):
    """The start of a rollup period ("3m", "12m", "all"...) as the rollups define it, if they do."""
    if not period or period == "all":
        return None
    try:
        from feedback.selectors import rollup_start  # the rollups issue's definition of a period
    except ImportError:
        return None
    start = rollup_start(period)
    if start is None:
        return None
    return timezone.make_aware(datetime.combine(start, time.min)) if not isinstance(start, datetime) else start


def _scope(context):
    accounts = context.get("accounts")
    if accounts is None:
        request = context.get("request")
        accounts = accounts_visible_to(request.user) if request is not None else None
    return accounts


def _cached(context, key, compute):
    """Per request (optional_include renders each row in a fresh Context)."""
    request = context.get("request")
    cache = getattr(request, "_followups_cache", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._followups_cache = cache
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@register.simple_tag(takes_context=True)
def followup_for_owner(context, owner):
    """`{% followup_for_owner owner as fu %}`: discipline figures of one AM (by account owner),
    from `followup_by_am` in the context when the view supplied it, else computed once."""
    by_am = context.get("followup_by_am")
    if by_am is None:
        accounts = _scope(context)
        if accounts is None:
            return None
        period = context.get("period")
        by_am = _cached(context, ("by_am", str(accounts.query), period),
                        lambda: selectors.discipline_by_am(accounts, since=_since(period)))
    return by_am.get(getattr(owner, "pk", owner))


@register.simple_tag(takes_context=True)
def uncalled_detractors(context, limit=8):
    """Open detractor calls in scope with no attempt yet, most overdue first."""
    accounts = _scope(context)
    if accounts is None:
        return []
    period = context.get("period")
    return _cached(context, ("uncalled", str(accounts.query), period, limit),
                   lambda: list(selectors.uncalled_detractor_calls(accounts, since=_since(period))[:limit]))


@register.simple_tag(takes_context=True)
def call_in_context(context):
    """The `call` in the context, or the call of the Response `r` (the answer page's slot)."""
    call = context.get("call")
    if call is None and context.get("r") is not None:
        call = selectors.call_for_response(context["r"])
    return call
