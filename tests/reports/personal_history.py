"""A person with a lived-in history in Pulse, made through the services as it happens in
use: surveyed in two accounts, answering with reasons, noted on, called, emailed, and
every email kept as a file by the embedded mail backend. Shared by the personal data tests."""

import email
import email.policy
import json
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from feedback.answering import response_submit
from feedback.models import Response
from feedback.services import note_add
from followups.models import Call, RootCause
from followups.services import attempt_log, close_loop_email_queue, recovery_request
from outbox.models import Message
from surveys import dispatch
from surveys.models import Contact, Invitation, Level, Wave
from surveys.months import month_add
from surveys.planning import invitation_hold
from surveys.tokens import invitation_token
from tests.factories import AccountFactory, ContactFactory
from tests.surveys.book import invitations_create

NAME, EMAIL, PHONE = "Mette Sørensen", "mette.sorensen@customer.test", "+45 31 41 59 26"
REASONS = ["The pallets arrived broken twice in March", "Invoices in Danish kroner would help our controller"]
NOTES = ["She runs the Aarhus warehouse since the reorganisation", "Asked about volume discounts at the fair"]
ATTEMPT_NOTE = "Left word with her colleague at reception"
AGREED = "Replace the pallet supplier before the summer season"
ACTION_OWNER = "Jens Holmgaard from purchasing"
EMAIL_BODIES = ["Dear Mette, we replace the pallet supplier before the summer.",
                "Dear Mette, the new supplier starts on the first Monday of June."]
HOLD_REASON = "Contract talk with Mette Sørensen about the renewal"
SMTP_ERROR = f"recipient refused: {{'{EMAIL}': (550, b'mailbox full')}}"


@dataclass
class History:
    contacts: list[Contact]  # the person's rows: two accounts, the address written in two cases
    bystander: Contact
    responses: list[Response]
    call: Call
    unsent_message: Message  # the outbox row of a close-the-loop email not sent yet
    values: list[str] = field(default_factory=list)  # every text of theirs Pulse held


def person_history(*, account, am, admin, capture) -> History:
    """`capture`: pytest-django's django_capture_on_commit_callbacks (the outbox runs its rows
    after the commit, in-process)."""
    other_account = AccountFactory(owner=am, region=account.region, name="Fjord Cargo ApS")
    person = [
        ContactFactory(account=account, name=NAME, email=EMAIL, phone=PHONE, level=Level.EXECUTIVE),
        ContactFactory(account=other_account, name=NAME, email=EMAIL.upper(), phone=PHONE),
    ]
    bystander = ContactFactory(account=account, name="Erik Bergstrøm", email="erik@customer.test",
                               phone="+45 70 10 20 30")
    month = timezone.localdate().replace(day=1)
    wave = Wave.objects.create(month=month, status=Wave.Status.PLANNED)
    invitations_create(wave=wave, contacts=[*person, bystander])
    with capture(execute=True):
        dispatch.wave_send(month=month)
    invitations = {i.contact_id: i for i in Invitation.objects.filter(wave=wave)}
    with capture(execute=True):  # answered: the detractor alert goes to the AM, a call is queued
        response_submit(token=invitation_token(invitations[person[0].pk]), score=3, reason=REASONS[0])
        response_submit(token=invitation_token(invitations[person[1].pk]), score=9, reason=REASONS[1])
        response_submit(token=invitation_token(invitations[bystander.pk]), score=5, reason="Too slow on the phone")
    responses = [Response.objects.get(contact=c) for c in person]
    note_add(response=responses[0], author=am, text=NOTES[0])
    note_add(response=responses[1], author=admin, text=NOTES[1])

    call = Call.objects.get(response=responses[0])
    attempt_log(call_id=call.pk, by=am, outcome="no_answer", note=ATTEMPT_NOTE)
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=RootCause.objects.get(name="Service").pk,
                agreed=AGREED, action_owner=ACTION_OWNER, action_due=timezone.localdate() + timedelta(days=30))
    with capture(execute=True):  # sent: a file in MAIL_DIR
        close_loop_email_queue(call_id=call.pk, by=am, subject="What we do now", body=EMAIL_BODIES[0])
    unsent = close_loop_email_queue(call_id=call.pk, by=am, subject="Next step", body=EMAIL_BODIES[1])
    recovery_request(call_id=call.pk, by=am, survey_in_days=30)

    # Next month's wave, planned, with the AM holding her out (a note about her).
    next_wave = Wave.objects.create(month=month_add(month, 1), status=Wave.Status.PLANNED)
    [held] = invitations_create(wave=next_wave, contacts=[person[0]])
    invitation_hold(invitation=held, user=am, reason=HOLD_REASON)
    # A mail server's refusal quoting her address, on an invitation and on an outbox row.
    Invitation.objects.filter(pk=invitations[person[1].pk].pk).update(last_error=SMTP_ERROR)
    Message.objects.create(event="close_loop_email_queued", handler="send", kwargs={"email_id": unsent.pk + 1000},
                           last_error=SMTP_ERROR, attempts=6, failed_at=timezone.now())
    # The Django admin's log of a change to her row.
    LogEntry.objects.create(user=admin, content_type=ContentType.objects.get_for_model(Contact),
                            object_id=str(person[0].pk), object_repr=str(person[0]), action_flag=CHANGE,
                            change_message=json.dumps([{"changed": {"fields": ["Phone"]}}]))
    return History(
        contacts=person, bystander=bystander, responses=responses, call=call,
        unsent_message=Message.objects.get(pk=unsent.outbox_message_id),
        values=[NAME, EMAIL, PHONE, *REASONS, *NOTES, ATTEMPT_NOTE, AGREED, ACTION_OWNER, *EMAIL_BODIES,
                HOLD_REASON],
    )


def flat(text: str) -> str:
    return " ".join(text.split()).casefold()


def _needles(values: list[str]) -> set[str]:
    """Each value as written, and as JSON writes it (ø as \\u00f8)."""
    return {flat(v) for v in values} | {flat(json.dumps(v)[1:-1]) for v in values}


def database_mentions(values: list[str]) -> list[tuple[str, str]]:
    """(table, value) for every value found in any text of any column of any table of the
    database: every model's, and the ones no model describes (sessions, m2m)."""
    needles = _needles(values)
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")
            for row in cursor.fetchall():
                for cell in row:
                    if isinstance(cell, (bytes, memoryview)):
                        cell = bytes(cell).decode("utf-8", errors="replace")
                    if isinstance(cell, str):
                        text = flat(cell)
                        found += [(table, n) for n in needles if n in text]
    return found


def mail_file_mentions(mail_dir, values: list[str]) -> list[tuple[str, str]]:
    """(file, value) for every value in a stored email: its raw bytes, decoded headers
    and decoded text parts."""
    needles = _needles(values)
    found = []
    for path in sorted(mail_dir.glob("*")) if mail_dir.exists() else []:
        raw = path.read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        texts = [raw.decode("utf-8", errors="replace"), *(f"{k}: {v}" for k, v in message.items())]
        texts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        text = flat("\n".join(texts))
        found += [(path.name, n) for n in needles if n in text]
    return found
