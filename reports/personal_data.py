"""A person's personal data across Pulse (DESIGN §3): erased on request or past the
program's retention, and exported on request (access).

Orchestrated here, in the top app, rather than by a `contact_erasing` signal that surveys
sends and the apps above answer: erasing touches the tables of surveys, feedback and
followups (and the outbox's, and the stored email copies), and the export reads them all.
Here that is a list of plain calls, one per app, in an order you can read, in one
transaction; each app's personal_data module holds what it keeps about a contact, how to
erase it and its part of the export, side by side, and returns the texts it removed, so
that the copies of emails that mention them are found. A signal would need its receivers
to return those texts, and its order would be the order the apps started in.

A person is an email address: erasing or exporting one contact row covers every row
with the same address (any case) in any account.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from feedback import personal_data as feedback_data
from feedback.models import Response
from followups import personal_data as followup_data
from surveys import mailbox
from surveys import personal_data as book_data
from surveys.audit import audit_record
from surveys.batching import chunks
from surveys.models import Contact, User
from surveys.suppression import email_suppress

# Contacts erased per transaction by the nightly retention run.
RETENTION_BATCH = 200


@dataclass
class Erased:
    contacts: int  # contact rows anonymised
    answers_kept: int  # their answers, counted on as anonymous ones
    mail_copies: int  # stored email copies deleted


def _erase(contact_ids: list[int], *, now: datetime) -> tuple[int, list[str]]:
    """Erase these contacts everywhere (in the caller's transaction); returns the answers
    kept and the texts removed."""
    contact_ids = list(
        Contact.objects.select_for_update().filter(pk__in=contact_ids, erased_at__isnull=True)
        .order_by("pk").values_list("pk", flat=True)
    )
    removed = [
        *followup_data.calls_erase(contact_ids=contact_ids, now=now),
        *feedback_data.answers_erase(contact_ids=contact_ids),
        *book_data.contacts_anonymise(contact_ids, now=now),  # last: the rows above find them by contact
    ]
    answers = Response.objects.filter(contact_id__in=contact_ids).count()
    return answers, removed


def person_erase(*, email: str, by: User | None = None, now: datetime | None = None) -> Erased:
    """Erase one person on request, and never import or survey them again (the suppression
    list), even when no contact has that address yet. On the audit log by the contacts'
    ids (never their address), `by` the administrator (None: the command)."""
    now = now or timezone.now()
    with transaction.atomic():
        contact_ids = list(book_data.person_contacts(email).values_list("pk", flat=True))
        answers, removed = _erase(contact_ids, now=now)
        email_suppress(email)
        audit_record("contact_erased", by=by, target=ngettext("%(n)d contact", "%(n)d contacts", len(contact_ids))
                     % {"n": len(contact_ids)}, details={"contacts": contact_ids, "answers_kept": answers,
                                                         "why": "on request"}, now=now)
    # The email copies once the rows are done with: a failure above leaves them too.
    return Erased(contacts=len(contact_ids), answers_kept=answers,
                  mail_copies=mailbox.mail_copies_delete([email, *removed]))


def retention_erase(*, now: datetime | None = None) -> int:
    """The nightly retention run: erase the contacts the program's retention has reached
    (surveys.personal_data.retention_due), a batch per transaction. They are not put on the
    suppression list: they never asked to be forgotten, and a customer that comes back
    is imported as any new one. Returns the contacts erased."""
    now = now or timezone.now()
    due = list(book_data.retention_due(now=now).values_list("pk", flat=True))
    erased = 0
    for batch in chunks(due, RETENTION_BATCH):
        with transaction.atomic():
            # Still due (an account made active again since the list was read is not).
            batch = list(book_data.retention_due(now=now).filter(pk__in=batch).values_list("pk", flat=True))
            _answers, removed = _erase(batch, now=now)
            if batch:
                audit_record("contact_erased", by=None, target=ngettext(
                    "%(n)d contact", "%(n)d contacts", len(batch)) % {"n": len(batch)},
                    details={"contacts": batch, "why": "retention"}, now=now)
        mailbox.mail_copies_delete(removed)
        erased += len(batch)
    return erased


def person_rows(contact: Contact) -> QuerySet[Contact]:
    """The contact rows of the person behind `contact` (an erased row is a person of its own)."""
    if contact.erased_at is not None:
        return Contact.objects.filter(pk=contact.pk)
    return book_data.person_contacts(contact.email)


def person_record(contact: Contact, *, now: datetime | None = None) -> dict:
    """Everything Pulse holds about the person behind `contact` (every row with the same
    address): an access request's answer, as JSON values."""
    records = []
    for row in person_rows(contact).select_related("account").order_by("pk"):
        record = book_data.contact_record(row)
        calls = followup_data.calls_record(row.pk)
        record["answers"] = feedback_data.answers_record(row.pk)
        record["calls"] = calls["calls"]
        record["emails"] = sorted(record["emails"] + calls["emails"],
                                  key=lambda e: e.get("sent_at") or e.get("queued_at"))
        records.append(record)
    return {"exported_at": now or timezone.now(), "email": contact.email, "contacts": records}
