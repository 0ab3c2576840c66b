"""The answer.created and answer.changed webhooks' data: built by the outbox's answer_saved
handler after the answer's commit (an answer's request writes no more than before), and
sent by surveys.webhooks."""

from surveys.webhooks import (
    webhook_account,
    webhook_contact,
    webhook_deliveries_create,
    webhook_time,
    webhooks_wanted,
)

from .models import Response


def answer_webhooks(*, response_id: int) -> list[int]:
    """Queue answer.created for a first answer, answer.changed for a change (the answer
    as it stands: a change within moments of the last may be told once). Safe to run twice:
    the event is keyed by the answer and the time of its change."""
    if not webhooks_wanted():
        return []
    response = Response.objects.select_related("account", "contact").get(pk=response_id)
    created = response.changed_at == response.answered_at
    event_type = "answer.created" if created else "answer.changed"
    data = {
        "answer": {
            "id": response.pk, "score": response.score, "category": response.category,
            "reason": response.reason, "language": response.language,
            "answered_at": webhook_time(response.answered_at), "changed_at": webhook_time(response.changed_at),
        },
        "account": webhook_account(response.account),
        "contact": webhook_contact(response.contact),
    }
    key = str(response.pk) if created else f"{response.pk}:{response.changed_at.isoformat()}"
    return webhook_deliveries_create(event_type, data, key=key, contact_id=response.contact_id,
                                      now=response.changed_at)
