"""A contact's personal data, the answers' share: their answers and the notes staff
wrote about them, for an access request; and erasing the words of their reasons and
the notes. The answers stay, score, category and dates, so that every figure keeps
counting them (reports.personal_data runs the whole erasure and export)."""

from .models import Note, Response


def answers_record(contact_id: int) -> list[dict]:
    """One contact row's answers, each with the notes on it."""
    responses = Response.objects.filter(contact_id=contact_id).prefetch_related("notes").order_by("answered_at", "pk")
    return [
        {"id": r.pk, "invitation_id": r.invitation_id, "score": r.score, "category": r.category,
         "reason": r.reason, "language": r.language, "answered_at": r.answered_at, "changed_at": r.changed_at,
         "suspect": r.suspect, "notes": [{"text": n.text, "created_at": n.created_at} for n in r.notes.all()]}
        for r in responses
    ]


def answers_erase(*, contact_ids: list[int]) -> list[str]:
    """Blank the reasons of these contacts' answers and delete the notes on them; returns
    the texts removed, for the search of other copies."""
    responses = Response.objects.filter(contact_id__in=contact_ids)
    notes = Note.objects.filter(response__contact_id__in=contact_ids)
    removed = [*responses.exclude(reason="").values_list("reason", flat=True),
               *notes.values_list("text", flat=True)]
    notes.delete()
    responses.exclude(reason="").update(reason="")
    return removed
