from celery import shared_task

from . import call_states, revenue_at_risk, risk_states, services, tallies


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def overdue_calls_escalate() -> int:
    """Daily: each RM gets the overdue calls of their regions (once a day, see EscalationSent)."""
    return services.overdue_calls_escalate()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def recovery_invitations_plan() -> int:
    """Daily: recovery surveys the AMs asked for join the waves being planned."""
    return services.recovery_invitations_plan()


@shared_task
def call_summaries_rebuild() -> int:
    """Nightly: the call summaries, the accounts' call states, the revenue at risk and
    the accounts at risk recounted from the calls (a repair; events keep them exact).
    Returns the number of owners."""
    owners = tallies.call_summaries_rebuild()
    call_states.call_states_rebuild()
    revenue_at_risk.revenue_at_risk_rebuild()
    risk_states.risk_states_rebuild()
    return owners
