"""A contact's personal data, the follow-up's share: the calls about their answers
with the attempts, the close-the-loop emails to them and recovery surveys, for an
access request; and erasing what the calls recorded about them (the action agreed, who
does it, the attempts' notes), the emails (address, subject, text; one not sent yet
never goes) and a pending recovery survey. The calls and attempts stay, for the
follow-up figures (reports.personal_data runs the whole erasure and export)."""

from datetime import datetime

from django.utils import timezone

from outbox.models import Message
from surveys.personal_data import erased_email

from .models import Attempt, Call, CloseLoopEmail, RecoveryRequest

NOT_SENT = "Not sent: the contact's personal data was erased."


def calls_record(contact_id: int) -> dict:
    """One contact row's calls, each with its attempts and recovery survey, and the
    close-the-loop emails sent to them."""
    calls = (
        Call.objects.filter(contact_id=contact_id).select_related("root_cause", "recovery_request")
        .prefetch_related("attempts", "emails").order_by("answered_at", "pk")
    )
    records, emails = [], []
    for call in calls:
        recovery = getattr(call, "recovery_request", None)
        records.append({
            "id": call.pk, "answer_id": call.response_id, "state": call.state, "due_on": call.due_on,
            "reached_at": call.reached_at, "closed_at": call.closed_at,
            "root_cause": call.root_cause.name if call.root_cause else None,
            "agreed": call.agreed, "action_owner": call.action_owner, "action_due": call.action_due,
            "attempts": [{"outcome": a.outcome, "note": a.note, "at": a.at} for a in call.attempts.all()],
            "recovery_survey": None if recovery is None else {
                "survey_on": recovery.survey_on, "status": recovery.status, "requested_at": recovery.requested_at,
            },
        })
        emails += [
            {"kind": "close the loop", "to": e.to, "subject": e.subject, "body": e.body, "queued_at": e.queued_at,
             "sent_at": e.sent_at}
            for e in call.emails.all()
        ]
    return {"calls": records, "emails": emails}


def calls_erase(*, contact_ids: list[int], now: datetime | None = None) -> list[str]:
    """Blank these contacts' call notes and emails; returns the texts removed, for the
    search of other copies (an email's subject is no search text: many share it)."""
    now = now or timezone.now()
    calls = Call.objects.filter(contact_id__in=contact_ids)
    attempts = Attempt.objects.filter(call__contact_id__in=contact_ids).exclude(note="")
    emails = CloseLoopEmail.objects.filter(call__contact_id__in=contact_ids).select_related("call")
    removed = [
        *calls.exclude(agreed="").values_list("agreed", flat=True),
        *attempts.values_list("note", flat=True),
        *(text for email in emails for text in (email.to, email.body)),
    ]
    calls.exclude(agreed="", action_owner="").update(agreed="", action_owner="", updated_at=now)
    attempts.update(note="")
    unsent = [email.outbox_message_id for email in emails if email.sent_at is None and email.outbox_message_id]
    Message.objects.filter(pk__in=unsent, done_at__isnull=True, failed_at__isnull=True).update(
        failed_at=now, last_error=NOT_SENT
    )
    for email in emails:
        email.to, email.subject, email.body = erased_email(email.call.contact_id), "", ""
    CloseLoopEmail.objects.bulk_update(emails, ["to", "subject", "body"])
    RecoveryRequest.objects.filter(contact_id__in=contact_ids, status=RecoveryRequest.Status.PENDING).update(
        status=RecoveryRequest.Status.SKIPPED, skipped_reason="contact erased"
    )
    return removed
