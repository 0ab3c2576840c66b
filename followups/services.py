"""Writes of the follow-up calls: queue, attempts, outcomes, reassign, cover, escalation, recovery."""

import logging
from datetime import date, datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from feedback.models import Category, Response
from feedback.services import response_mark_handled
from outbox.services import outbox_publish
from surveys.compiled_sql import ids_rows
from surveys.emails import email_message
from surveys.models import Program, Role, User
from surveys.tallies import accounts_locked

from .business_days import add_business_days
from .call_states import call_states_refresh
from .models import Absence, Attempt, Call, CloseLoopEmail, EscalationSent, FollowupSettings, RecoveryRequest
from .selectors import (
    call_can_reassign,
    call_can_work,
    calls_overdue,
    overdue_scope,
    overdue_summary,
    reassign_candidates,
    with_days_late,
)
from .tallies import call_account_lock, call_change_count, call_snapshot, calls_change_count
from .webhooks import call_closed_webhooks

log = logging.getLogger(__name__)

RECOVERY_MIN_DAYS = 30
RECOVERY_MAX_DAYS = 90


# --- Queue ----------------------------------------------------------------------

def assignee_for(owner: User, on_date: date | None = None) -> User:
    """The owner, or whoever covers for them on `on_date` (following a cover who is away too)."""
    assignee_id = assignee_id_for(owner.pk, on_date)
    return owner if assignee_id == owner.pk else User.objects.get(pk=assignee_id)


# The latest absence of a person on a day, with whether its cover is active. Written out:
# every new call runs it, and compiling it cost more CPU than running it.
_COVER = (
    f"SELECT a.cover_id, u.is_active FROM {Absence._meta.db_table} a"
    f" JOIN {User._meta.db_table} u ON u.id = a.cover_id"
    " WHERE a.user_id = %s AND a.starts_on <= %s AND a.ends_on >= %s ORDER BY a.created_at DESC, a.id DESC LIMIT 1"
)


def assignee_id_for(owner_id: int, on_date: date | None = None) -> int:
    """assignee_for, by ids."""
    day = connection.ops.adapt_datefield_value(on_date or timezone.localdate())
    person, seen = owner_id, {owner_id}
    with connection.cursor() as cursor:
        for _hop in range(5):
            cursor.execute(_COVER, [person, day, day])
            row = cursor.fetchone()
            if row is None or row[0] in seen or not row[1]:
                return person
            person = row[0]
            seen.add(person)
    return person


def due_on_for(*, category: str, from_date: date, followup_settings: FollowupSettings | None = None) -> date:
    followup_settings = followup_settings or FollowupSettings.current()
    return add_business_days(from_date, followup_settings.due_days(category))


def _call_changed(call: Call, *, who: tuple[int, int], before: dict | None) -> None:
    """A call changed in this transaction (its account locked): the summaries and its
    account's call state follow."""
    call_change_count(who=who, before=before, after=call_snapshot(call))
    call_states_refresh([call.account_id])


@transaction.atomic
def call_queue_for_response(*, response_id: int) -> Call | None:
    """Queue (or update) the follow-up call for a response; idempotent. Run via the outbox
    after every saved or changed answer.

    Not suspect: one call, assigned to the account's owner (or their cover), due in
    business days by category from the answer. A changed answer updates its open call:
    a new category restarts the clock from the change. Suspect: no call; an open call
    nobody has tried yet is cancelled. Closed calls are history and stay as they are.
    """
    rows = ids_rows(_answer_locked, [response_id])
    if not rows:
        return None
    account_id, contact_id, category, suspect, answered_at, changed_at = rows[0]
    # Locks: the answer, its account (owner and region for the summaries), then the call.
    who = call_account_lock(account_id)
    owner_id = who[0]
    call = Call.objects.select_for_update().filter(response_id=response_id).first()
    before = call_snapshot(call)
    if suspect:
        if call is not None and call.is_open and call.first_attempt_at is None:
            call.state = Call.State.CANCELLED
            call.closed_at = timezone.now()
            call.save(update_fields=["state", "closed_at", "updated_at"])
            _call_changed(call, who=who, before=before)
        return call
    if call is None:
        answered_on = timezone.localdate(answered_at)
        try:
            with transaction.atomic():
                call = Call.objects.create(
                    response_id=response_id,
                    account_id=account_id,
                    contact_id=contact_id,
                    category=category,
                    answered_at=answered_at,
                    assignee_id=assignee_id_for(owner_id),
                    assigned_for_id=owner_id,
                    due_on=due_on_for(category=category, from_date=answered_on),
                )
        except IntegrityError:  # queued by a concurrent delivery a moment ago
            return Call.objects.get(response_id=response_id)
        _call_changed(call, who=who, before=None)
        return call
    if call.state == Call.State.CANCELLED and call.first_attempt_at is None:
        # A suspect answer later made good (e.g. a person re-submitted): queue it again.
        call.state, call.closed_at = Call.State.OPEN, None
        call.category = ""
    if call.is_open and call.category != category:
        call.category = category
        call.due_on = due_on_for(category=category, from_date=timezone.localdate(changed_at))
        call.save(update_fields=["state", "closed_at", "category", "due_on", "updated_at"])
        _call_changed(call, who=who, before=before)
    return call


def _answer_locked(response_ids: list[int]):
    """The answer's facts a call is queued from, its row locked (compiled once: surveys.compiled_sql)."""
    return (Response.objects.select_for_update(of=("self",)).filter(pk__in=response_ids)
            .values_list("account_id", "contact_id", "category", "suspect", "answered_at", "changed_at"))


# --- Attempts and outcomes ----------------------------------------------------------

def _clean_text(value: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError(_("Keep it under %(n)d characters.") % {"n": limit})
    return value


@transaction.atomic
def attempt_log(
    *,
    call_id: int,
    by: User,
    outcome: str,
    note: str = "",
    root_cause_id: int | None = None,
    agreed: str = "",
    action_owner: str = "",
    action_due: date | None = None,
    at: datetime | None = None,
) -> Attempt:
    """Log one attempt on an open call.

    Reached: needs a root cause and what was agreed (and optionally who acts by when);
    closes the call as reached. Declined: closes the call. No answer, voicemail, wrong
    number: after FollowupSettings.max_unanswered_attempts of them the call closes as
    unreachable.
    """
    # Locks: the call's account (owner and region for the summaries), then the call.
    who = call_account_lock(Call.objects.values_list("account_id", flat=True).get(pk=call_id))
    call = Call.objects.select_for_update().select_related("account").get(pk=call_id)
    if not call_can_work(by, call):
        raise PermissionError("not this user's call")
    if not call.is_open:
        raise ValidationError(_("This call is already closed."))
    before = call_snapshot(call)
    if outcome not in Attempt.Outcome.values:
        raise ValidationError(_("Choose what happened."))
    note = _clean_text(note, 2000)
    at = at or timezone.now()
    if outcome == Attempt.Outcome.REACHED:
        from .models import RootCause

        errors = {}
        if not root_cause_id or not RootCause.objects.filter(pk=root_cause_id, active=True).exists():
            errors["root_cause"] = _("Choose the root cause.")
        agreed = _clean_text(agreed, 5000)
        if not agreed:
            errors["agreed"] = _("Write down what you agreed with the customer.")
        action_owner = _clean_text(action_owner, 200)
        if action_due and action_due < timezone.localdate(at):
            errors["action_due"] = _("The action's date cannot be in the past.")
        if errors:
            raise ValidationError(errors)
    attempt = Attempt.objects.create(call=call, outcome=outcome, note=note, by=by, at=at)

    fields = ["updated_at"]
    if call.first_attempt_at is None:
        call.first_attempt_at = at
        call.first_attempt_on = timezone.localdate(at)
        call.seconds_to_first_attempt = max(0, int((at - call.answered_at).total_seconds()))
        fields += ["first_attempt_at", "first_attempt_on", "seconds_to_first_attempt"]
    if outcome == Attempt.Outcome.REACHED:
        call.state = Call.State.REACHED
        call.reached_at = call.closed_at = at
        call.seconds_to_reached = max(0, int((at - call.answered_at).total_seconds()))
        call.root_cause_id = root_cause_id
        call.agreed, call.action_owner, call.action_due = agreed, action_owner, action_due
        fields += ["state", "reached_at", "closed_at", "seconds_to_reached", "root_cause", "agreed",
                   "action_owner", "action_due"]
    elif outcome == Attempt.Outcome.DECLINED:
        call.state, call.closed_at = Call.State.DECLINED, at
        fields += ["state", "closed_at"]
    else:
        call.unanswered_attempts += 1
        fields.append("unanswered_attempts")
        if call.unanswered_attempts >= FollowupSettings.current().max_unanswered_attempts:
            call.state, call.closed_at = Call.State.UNREACHABLE, at
            fields += ["state", "closed_at"]
    call.save(update_fields=fields)
    if call.state == Call.State.REACHED:
        # Talking to the customer handles the answer: the inbox need not be told twice.
        response_mark_handled(response_id=call.response_id, by=by, at=at)
    _call_changed(call, who=who, before=before)
    if call.closed_at == at:  # this attempt closed it: tell the webhooks
        call_closed_webhooks(call)
    return attempt


def close_loop_draft(call: Call, *, sender: User) -> dict:
    """Subject and body of the close-the-loop email, in the contact's language, to edit before sending."""
    language = "da" if (call.contact.language or "").lower().startswith("da") else "en"
    context = {
        "contact": call.contact,
        "call": call,
        "sender": sender,
        "company": Program.current().company_name,
        "language": language,
    }
    with translation.override(language):
        subject = render_to_string("emails/close_the_loop.subject.txt", context).strip()
        body = render_to_string("emails/close_the_loop.txt", context).strip()
    return {"subject": subject, "body": body, "language": language}


@transaction.atomic
def close_loop_email_queue(*, call_id: int, by: User, subject: str, body: str) -> CloseLoopEmail:
    """Save the (edited) close-the-loop email to the contact, and queue it in the outbox
    in the same transaction: a mail server that is down delays it, never loses it."""
    call = Call.objects.select_for_update().select_related("contact", "account").get(pk=call_id)
    if not call_can_work(by, call):
        raise PermissionError("not this user's call")
    if call.state != Call.State.REACHED:
        raise ValidationError(_("Send the email after you have reached the customer."))
    if call.contact.bounced_at is not None:
        raise ValidationError(_("Emails to this contact bounce; the email was not sent."))
    subject = " ".join(_clean_text(subject, 200).split())
    body = _clean_text(body, 5000)
    if not subject or not body:
        raise ValidationError(_("The email needs a subject and a text."))
    email = CloseLoopEmail.objects.create(
        call=call, to=call.contact.email, language=close_loop_draft(call, sender=by)["language"],
        subject=subject, body=body, sent_by=by,
    )
    [email.outbox_message_id] = outbox_publish("close_loop_email_queued", email_id=email.pk)
    email.save(update_fields=["outbox_message"])
    return email


@transaction.atomic
def close_loop_email_deliver(*, email_id: int) -> None:
    """Send a queued close-the-loop email (the outbox's "close_loop_email_queued" handler).
    Once sent, a second run sends nothing, nor does a run after the contact was erased; a
    failure raises, for the outbox to retry."""
    email = CloseLoopEmail.objects.select_for_update().select_related("sent_by", "call__contact").get(pk=email_id)
    if email.sent_at is not None or email.call.contact.erased_at is not None:
        return
    program = Program.current()
    sender = email.sent_by
    html = render_to_string("emails/close_the_loop.html", {"body": email.body, "sender": sender,
                                                            "language": email.language,
                                                            "company": program.company_name})
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body + "\n",
        from_email=formataddr((sender.full_name or program.sender_name, program.sender_email)),
        to=[email.to],
        reply_to=[sender.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()
    email.sent_at = timezone.now()
    email.save(update_fields=["sent_at"])


# --- Reassign, ownership, cover -------------------------------------------------------

@transaction.atomic
def call_reassign(*, call_id: int, by: User, assignee_id: int) -> Call:
    """Hand an open call to a colleague in its region (the assignee or owner), or reassign
    within the region (its RM; directors and administrators anywhere)."""
    # Locks: the account (its owner and region for the summaries), then the call.
    who = call_account_lock(Call.objects.values_list("account_id", flat=True).get(pk=call_id))
    call = Call.objects.select_for_update(of=("self",)).select_related("account__region").get(pk=call_id)
    if not (call_can_reassign(by, call) or by.is_administrator):
        raise PermissionError("may not reassign this call")
    if not call.is_open:
        raise ValidationError(_("Only open calls can be reassigned."))
    target = reassign_candidates(call).filter(pk=assignee_id).first()
    if target is None:
        raise ValidationError(_("Choose a colleague in the account's region."))
    before = call_snapshot(call)
    call.assignee = target
    call.assigned_for_id = call.account.owner_id
    call.save(update_fields=["assignee", "assigned_for", "updated_at"])
    call_change_count(who=who, before=before, after=call_snapshot(call))  # the open calls by assignee
    return call


@transaction.atomic
def calls_move_for_account(*, account_id: int, new_owner_id: int) -> int:
    """Ownership changed: the account's open calls go to the new owner (or their cover).
    The closed ones stay as they are: their assignee, working them for the former owner,
    no longer sees them (followups.selectors.calls_visible_to); the new owner does.
    Run through the outbox (the "owner_changed" event, see config/events.py). Returns how many moved."""
    locked = accounts_locked([account_id])  # before its calls, as every writer of the summaries
    if account_id not in locked:
        return 0  # deleted since, and its calls with it
    who = locked[account_id]
    new_owner = User.objects.get(pk=new_owner_id)
    assignee = assignee_for(new_owner)
    calls = list(
        Call.objects.select_for_update().filter(account_id=account_id, state=Call.State.OPEN)
        .exclude(assignee=assignee, assigned_for=new_owner).order_by("pk")
    )
    now, changes = timezone.now(), []
    for call in calls:
        before = call_snapshot(call)
        call.assignee, call.assigned_for, call.updated_at = assignee, new_owner, now
        changes.append((before, call_snapshot(call)))
    Call.objects.bulk_update(calls, ["assignee", "assigned_for", "updated_at"], batch_size=500)
    calls_change_count(who=who, changes=changes)  # the open calls' rows by assignee follow
    return len(calls)


@transaction.atomic
def absence_set(*, user: User, cover_id: int, starts_on: date, ends_on: date) -> Absence:
    """While away, the user's new calls go to `cover`."""
    from .selectors import cover_candidates

    errors = {}
    if ends_on < starts_on:
        errors["ends_on"] = _("The last day comes on or after the first day.")
    if ends_on < timezone.localdate():
        errors["ends_on"] = _("The absence is already over.")
    if (ends_on - starts_on).days > 366:
        errors["ends_on"] = _("An absence can last a year at most.")
    cover = cover_candidates(user).filter(pk=cover_id).first()
    if cover is None:
        errors["cover"] = _("Choose a colleague to cover for you.")
    if errors:
        raise ValidationError(errors)
    overlap = Absence.objects.filter(user=user, starts_on__lte=ends_on, ends_on__gte=starts_on)
    if overlap.exists():
        raise ValidationError({"starts_on": _("You already have an absence in those days; end it first.")})
    return Absence.objects.create(user=user, cover=cover, starts_on=starts_on, ends_on=ends_on)


@transaction.atomic
def absence_end(*, absence_id: int, user: User) -> None:
    """Back early (or cancel a planned absence): new calls go to the user again from today."""
    absence = Absence.objects.select_for_update().filter(pk=absence_id, user=user).first()
    if absence is None:
        raise Absence.DoesNotExist
    today = timezone.localdate()
    if absence.starts_on >= today:
        absence.delete()
    else:
        absence.ends_on = today - timedelta(days=1)
        absence.save(update_fields=["ends_on"])


# --- Escalation -----------------------------------------------------------------------

def overdue_calls_escalate(*, today: date | None = None) -> int:
    """Email each RM the overdue calls of their scope (`selectors.overdue_scope`, the
    overdue page's), once a day. Returns emails sent."""
    today = today or timezone.localdate()
    managers = User.objects.filter(
        is_active=True,
        role=Role.REGIONAL_MANAGER,
        managed_regions__accounts__calls__state=Call.State.OPEN,
        managed_regions__accounts__calls__due_on__lt=today,
    ).distinct()
    sent = 0
    for manager in managers:
        if _escalate_one(manager_id=manager.pk, today=today):
            sent += 1
    return sent


@transaction.atomic
def _escalate_one(*, manager_id: int, today: date) -> bool:
    manager = User.objects.get(pk=manager_id)
    try:
        with transaction.atomic():
            record = EscalationSent.objects.create(manager=manager, on_date=today)
    except IntegrityError:
        return False  # already sent today
    accounts = overdue_scope(manager)
    calls = with_days_late(list(calls_overdue(accounts, today=today)[:200]), today)
    if not calls:
        return False
    summary = overdue_summary(accounts, today=today)
    context = {
        "manager": manager,
        "calls": calls,
        "total": summary["count"],
        "overdue": summary,
        "today": today,
        "site_url": settings.SITE_URL,
    }
    with translation.override(manager.email_language):
        email_message("overdue_calls", context, to=[manager.email]).send()
    record.calls = summary["count"]
    record.save(update_fields=["calls"])
    return True


# --- Recovery -----------------------------------------------------------------------

@transaction.atomic
def recovery_request(*, call_id: int, by: User, survey_in_days: int) -> RecoveryRequest:
    """After a detractor's call closed reached, ask for a fresh survey of the contact in
    30..90 days. Refused when the contact opted out or bounces."""
    call = Call.objects.select_for_update().select_related("contact", "response").get(pk=call_id)
    if not call_can_work(by, call):
        raise PermissionError("not this user's call")
    if call.state != Call.State.REACHED or call.category != Category.DETRACTOR:
        raise ValidationError(_("A recovery survey follows a detractor's call that reached the customer."))
    if not call.contact.reachable:
        raise ValidationError(_("This contact opted out of surveys or their email bounces; we will not ask again."))
    if not (RECOVERY_MIN_DAYS <= survey_in_days <= RECOVERY_MAX_DAYS):
        raise ValidationError(
            _("Choose between %(lo)d and %(hi)d days.") % {"lo": RECOVERY_MIN_DAYS, "hi": RECOVERY_MAX_DAYS}
        )
    if RecoveryRequest.objects.filter(call=call).exists():
        raise ValidationError(_("A recovery survey is already requested for this call."))
    return RecoveryRequest.objects.create(
        call=call,
        contact=call.contact,
        account_id=call.account_id,
        original_score=call.response.score,
        survey_on=timezone.localdate() + timedelta(days=survey_in_days),
        requested_by=by,
    )


@transaction.atomic
def recovery_requests_mark_planned(*, planned: dict[int, int]) -> int:
    """{contact_id: invitation_id} planned for pending recovery requests: mark them planned."""
    now, done = timezone.now(), 0
    for contact_id, invitation_id in planned.items():
        done += RecoveryRequest.objects.filter(
            contact_id=contact_id, status=RecoveryRequest.Status.PENDING
        ).update(status=RecoveryRequest.Status.PLANNED, invitation_id=invitation_id, planned_at=now)
    return done


@transaction.atomic
def recovery_requests_skip_unreachable() -> int:
    """Pending requests whose contact opted out or bounced since, or whose account is no
    longer active: skipped, with the reason."""
    return RecoveryRequest.objects.filter(status=RecoveryRequest.Status.PENDING).filter(
        Q(contact__opted_out_at__isnull=False) | Q(contact__bounced_at__isnull=False) | Q(account__active=False)
    ).update(status=RecoveryRequest.Status.SKIPPED, skipped_reason="opted out, bounced or account inactive")


@transaction.atomic
def recovery_invitations_plan(*, wave_id: int | None = None) -> int:
    """Honour recovery requests in the waves still being planned (or in `wave_id`).

    A request joins the first wave that sends on or after its date (wave.month >=
    survey_on), past the quiet period and the per-account cap (the AM asked for it),
    never past an opt-out or a bounce. It becomes a planned invitation like any other,
    so the AM's hold window applies. A contact already in that wave is simply asked
    there. Runs daily from beat; the planner may also call it right after wave_plan.
    Returns the invitations added.
    """
    from surveys.models import Invitation, Wave
    from surveys.tokens import token_fields_new

    recovery_requests_skip_unreachable()
    waves = Wave.objects.select_for_update().filter(status=Wave.Status.PLANNED).order_by("month")
    if wave_id is not None:
        waves = waves.filter(pk=wave_id)
    added = 0
    for wave in waves:
        due = list(
            RecoveryRequest.objects.filter(status=RecoveryRequest.Status.PENDING, survey_on__lte=wave.month)
            .select_related("contact")
            .order_by("survey_on", "pk")
        )
        if not due:
            continue
        existing = dict(
            Invitation.objects.filter(wave=wave, contact_id__in=[r.contact_id for r in due])
            .values_list("contact_id", "pk")
        )
        planned = {}
        for request in due:
            contact_id = request.contact_id
            if contact_id not in existing and contact_id not in planned:
                invitation = Invitation.objects.create(
                    wave=wave, contact_id=contact_id, account_id=request.contact.account_id, **token_fields_new()
                )
                existing[contact_id] = invitation.pk
                added += 1
            planned[contact_id] = existing[contact_id]
        recovery_requests_mark_planned(planned=planned)
    return added


# --- Settings ---------------------------------------------------------------------------

@transaction.atomic
def followup_settings_update(*, by: User, **values) -> FollowupSettings:
    if not by.is_administrator:
        raise PermissionError("administrators only")
    row = FollowupSettings.current()
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row
