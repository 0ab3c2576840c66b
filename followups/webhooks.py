"""The call.closed webhook's data: built where the call closes (followups.services.attempt_log),
in its transaction, and sent by surveys.webhooks."""

from surveys.webhooks import (
    webhook_account,
    webhook_contact,
    webhook_deliveries_create,
    webhook_time,
    webhooks_wanted,
)

from .models import Call


def call_closed_webhooks(call: Call) -> list[int]:
    """Queue call.closed for a call that has just closed: how it ended, the root cause and
    what was agreed (a reached call), the answer it followed up."""
    if not webhooks_wanted():
        return []
    data = {
        "call": {
            "id": call.pk, "state": call.state, "closed_at": webhook_time(call.closed_at),
            "answer_id": call.response_id, "category": call.category,
            "attempts": call.attempts.count(),
            "root_cause": call.root_cause.name if call.root_cause_id else None,
            "agreed": call.agreed, "action_due": call.action_due.isoformat() if call.action_due else None,
        },
        "account": webhook_account(call.account),
        "contact": webhook_contact(call.contact),
    }
    return webhook_deliveries_create("call.closed", data, key=str(call.pk), contact_id=call.contact_id,
                                      now=call.closed_at)
