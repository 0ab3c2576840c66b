"""A contact's personal data, the customer book's share (DESIGN §3): what it holds
about them (for an access request), erasing it, and the retention rule that picks who
is erased each night.

The contact row stays, anonymised ("Erased contact", an address at erased.invalid, no
phone) and opted out, with its account and level: its invitations and the answers on
them keep counting in the figures as anonymous answers, and no summary changes. The
apps above blank their own tables and reports.personal_data runs the whole erasure in
one transaction (see there why); the texts each part removed come back to the caller,
which deletes the copies of emails that mention them (surveys.mailbox).
"""

import json
from collections.abc import Iterable
from datetime import datetime

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from outbox.redaction import messages_redact

from .batching import chunks
from .models import AuditEntry, Contact, Invitation, Program, Wave
from .months import moment_months_before
from .webhooks import webhook_deliveries_redact

ERASED_NAME = "Erased contact"
# Admin log rows are searched for these many texts per query.
_TEXTS_PER_QUERY = 50


def erased_email(contact_id: int) -> str:
    """The address an erased contact keeps: unique per contact (the book's constraint),
    valid as an address, and undeliverable (.invalid is reserved, RFC 2606)."""
    return f"erased-{contact_id}@erased.invalid"


def person_contacts(email: str) -> QuerySet[Contact]:
    """Every contact row of one person: the same address (any case), in any account."""
    return Contact.objects.filter(email__iexact=email.strip(), erased_at__isnull=True)


def contact_record(contact: Contact) -> dict:
    """What the book holds about one contact row: the row, and the survey emails and
    invitations it sent them (an access request; reports.personal_data)."""
    invitations = list(contact.invitations.select_related("wave").order_by("created_at", "pk"))
    emails = []
    for invitation in invitations:
        if invitation.sent_at:
            emails.append({"kind": "survey", "to": contact.email, "sent_at": invitation.sent_at})
        if invitation.reminded_at:
            emails.append({"kind": "survey reminder", "to": contact.email, "sent_at": invitation.reminded_at})
    return {
        "id": contact.pk,
        "account": {"id": contact.account_id, "external_id": contact.account.external_id,
                    "name": contact.account.name},
        "name": contact.name, "email": contact.email, "phone": contact.phone,
        "level": contact.level, "language": contact.language,
        "opted_out_at": contact.opted_out_at, "bounced_at": contact.bounced_at, "erased_at": contact.erased_at,
        "created_at": contact.created_at, "updated_at": contact.updated_at,
        "invitations": [
            {"id": i.pk, "wave": f"{i.wave.month:%Y-%m}", "status": i.status, "sent_at": i.sent_at,
             "reminded_at": i.reminded_at, "expires_at": i.expires_at, "answered_at": i.answered_at,
             "hold_reason": i.hold_reason}
            for i in invitations
        ],
        "emails": emails,
    }


def contacts_anonymise(contact_ids: list[int], *, now: datetime | None = None) -> list[str]:
    """Anonymise these contacts and what the book keeps about them; returns the texts
    removed (names, addresses, phone numbers) for the search of other copies."""
    now = now or timezone.now()
    contacts = list(Contact.objects.select_for_update().filter(pk__in=contact_ids, erased_at__isnull=True))
    removed = [text for c in contacts for text in (c.name, c.email, c.phone) if text]
    for contact in contacts:
        contact.name, contact.email, contact.phone = ERASED_NAME, erased_email(contact.pk), ""
        contact.erased_at, contact.opted_out_at = now, contact.opted_out_at or now
        contact.updated_at = now
    Contact.objects.bulk_update(contacts, ["name", "email", "phone", "erased_at", "opted_out_at", "updated_at"])
    ids = [c.pk for c in contacts]
    # Never sent: gone, so that no AM's hold list shows them and nothing goes out.
    Invitation.objects.filter(
        contact_id__in=ids, wave__status=Wave.Status.PLANNED,
        status__in=[Invitation.Status.PLANNED, Invitation.Status.HELD],
    ).delete()
    # An AM's reason to hold them out is a note about them (copied into the audit log's
    # entry of the hold); a mail server's error may quote their address.
    held = Invitation.objects.filter(contact_id__in=ids).exclude(hold_reason="", last_error="")
    removed += [reason for reason in held.values_list("hold_reason", flat=True) if reason]
    held.update(hold_reason="", last_error="")
    _admin_log_redact(ids, removed)
    webhook_deliveries_redact(ids)
    messages_redact(removed)
    audit_log_redact(removed, contact_ids=ids)
    return removed


def _admin_log_redact(contact_ids: list[int], texts: list[str]) -> None:
    """The Django admin's log names the objects it changed ("Name <email>")."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Contact), object_id__in=[str(pk) for pk in contact_ids]
    ).update(object_repr=ERASED_NAME, change_message="")
    for chunk in chunks(texts, _TEXTS_PER_QUERY):
        LogEntry.objects.filter(_any_contains("object_repr", chunk)).update(object_repr=ERASED_NAME)
        LogEntry.objects.filter(_any_contains("change_message", chunk)).update(change_message="")


def audit_log_redact(texts: list[str], *, contact_ids: list[int] = ()) -> int:
    """The audit log's entries whose details, changes or object name quote any of `texts`
    (a name, an address) keep their event, who and when, not the words; those about these
    contacts (a hold's) lose the reason an AM wrote about them. Returns how many entries
    changed."""
    about = list(AuditEntry.objects.filter(additional_data__contact__in=list(contact_ids),
                                           additional_data__has_key="reason"))
    for entry in about:
        entry.additional_data = {key: value for key, value in entry.additional_data.items() if key != "reason"}
    AuditEntry.objects.bulk_update(about, ["additional_data"])
    rows = AuditEntry.objects.annotate(details_text=Cast("additional_data", TextField()),
                                       changed_text=Cast("changes", TextField()))
    changed = set()
    # JSON as stored may escape what is not ASCII ("S\u00f8rensen"): both spellings.
    spellings = [form for text in texts for form in dict.fromkeys([text, json.dumps(text)[1:-1]])]
    for chunk in chunks(spellings, _TEXTS_PER_QUERY):
        quoting = (_any_contains("details_text", chunk) | _any_contains("changed_text", chunk)
                   | _any_contains("object_repr", chunk))
        changed.update(rows.filter(quoting).values_list("pk", flat=True))
    AuditEntry.objects.filter(pk__in=changed).update(
        additional_data={"personal data": "erased"}, changes=None, object_repr=ERASED_NAME)
    return len(changed | {entry.pk for entry in about})


def _any_contains(field: str, texts: Iterable[str]) -> Q:
    query = Q()
    for text in texts:
        query |= Q(**{f"{field}__icontains": text})
    return query


# --- Retention -------------------------------------------------------------------------

def retention_cutoff(program: Program, now: datetime) -> datetime | None:
    """Older than this, data of people no longer in the book goes; None: kept (0 months)."""
    if not program.retention_months:
        return None
    return moment_months_before(now, program.retention_months)


def retention_due(*, now: datetime | None = None, program: Program | None = None) -> QuerySet[Contact]:
    """Contacts whose data the retention erases as of `now`: not erased yet, no longer in
    the book (their account is inactive: the import never removes a contact, and an
    administrator marks a customer that left by making its account inactive), and not
    changed, asked or answering since the cutoff, nor their account changed since."""
    program = program or Program.current()
    cutoff = retention_cutoff(program, now or timezone.now())
    if cutoff is None:
        return Contact.objects.none()
    recent = Invitation.objects.filter(contact=OuterRef("pk")).filter(
        Q(created_at__gte=cutoff) | Q(sent_at__gte=cutoff) | Q(reminded_at__gte=cutoff) | Q(answered_at__gte=cutoff)
    )
    return (
        Contact.objects.filter(
            erased_at__isnull=True, account__active=False, account__updated_at__lt=cutoff, updated_at__lt=cutoff,
        )
        .exclude(Exists(recent))
        .order_by("pk")
    )
