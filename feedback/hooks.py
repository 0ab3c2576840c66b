"""Where apps to the right of feedback (followups) add figures to feedback's pages,
without feedback importing them.

    # followups/apps.py, in ready():
    from feedback.hooks import rollup_extras_register
    rollup_extras_register(followups_rollup_extras)

A provider is `fn(*, user, region, start) -> dict`: `region` is the Region of a region
page or None for the organisation page, `start` the first month of the period (a date)
or None for all time. It should run a constant number of queries (grouped in SQL).
Rollup pages put the merged dicts in the template context as `extras`; the slots in
templates/feedback/_rollup.html (`followups/_am_followup_th.html`, `_am_followup_td.html`,
`_at_risk_uncalled.html`) read it, e.g. `{{ extras.followup_done|get_item:owner.pk }}`.
"""

_PROVIDERS: list = []


def rollup_extras_register(provider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def rollup_extras(*, user, region, start) -> dict:
    extras: dict = {}
    for provider in _PROVIDERS:
        extras.update(provider(user=user, region=region, start=start) or {})
    return extras
