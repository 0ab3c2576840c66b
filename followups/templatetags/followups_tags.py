"""Tags for the follow-up partials other apps' pages include (the rollup's per-AM column,
the accounts-at-risk box). On the rollup pages the figures come from `extras`
(followups.rollup_extras, computed once in the view); rendered without them, the tags
compute them in SQL."""

from django import template

from feedback.periods import rollup_start
from surveys.selectors import accounts_visible_to

from .. import selectors
from ..rollup_extras import rollup_since

register = template.Library()


def _since(period):
    """The start of a rollup period ("3m", "12m", "all"...), as the rollup pages' extras take it."""
    return rollup_since(rollup_start(period)) if period else None


def _scope(context):
    accounts = context.get("accounts")
    if accounts is None:
        request = context.get("request")
        accounts = accounts_visible_to(request.user) if request is not None else None
    return accounts


def _extra(context, key):
    extras = context.get("extras")
    return extras.get(key) if isinstance(extras, dict) else None


@register.simple_tag(takes_context=True)
def followup_for_owner(context, owner):
    """`{% followup_for_owner owner as fu %}`: discipline figures of one AM (by account owner),
    from `followup_by_am` in the context or in `extras` when the view supplied it, else computed."""
    by_am = context.get("followup_by_am")
    if by_am is None:
        by_am = _extra(context, "followup_by_am")
    if by_am is None:
        accounts = _scope(context)
        if accounts is None:
            return None
        by_am = selectors.discipline_by_am(accounts, since=_since(context.get("period")))
    return by_am.get(getattr(owner, "pk", owner))


@register.simple_tag(takes_context=True)
def uncalled_detractors(context, limit=8):
    """Open detractor calls in scope with no attempt yet, most overdue first."""
    calls = _extra(context, "uncalled_detractors")
    if calls is not None:
        return calls[:limit]
    accounts = _scope(context)
    if accounts is None:
        return []
    return list(selectors.uncalled_detractor_calls(accounts, since=_since(context.get("period")))[:limit])


@register.simple_tag(takes_context=True)
def call_in_context(context):
    """The `call` in the context, or the call of the Response `r` (the answer page's slot)."""
    call = context.get("call")
    if call is None and context.get("r") is not None:
        call = selectors.call_for_response(context["r"])
    return call
