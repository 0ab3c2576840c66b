"""Writes on answers and accounts by staff: triage, themes, internal notes, ownership, settings."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.services import outbox_publish
from surveys.models import STAFF_LANGUAGES, Account, Role, User
from surveys.tallies import accounts_moved, invitation_answer_count

from .models import Digest, Note, NotificationSettings, OwnershipChange, Response, Theme
from .response_themes import response_theme_correct
from .selectors import can_change_owner, can_triage
from .signals import answer_counted_changed
from .theme_tallies import answer_themes_recount

NOTE_MAX = 5000


@transaction.atomic
def response_triage(*, response: Response, state: str, by: User) -> Response:
    """Move an answer to new, seen or handled. The owning AM (or an administrator) only."""
    if state not in Response.Triage.values:
        raise ValidationError(f"Unknown state {state!r}.")
    if not can_triage(by, response):
        raise PermissionDenied("Only the account's owner triages its answers.")
    if response.triage != state:
        response.triage = state
        response.triaged_at = timezone.now()
        response.triaged_by = by
        response.save(update_fields=["triage", "triaged_at", "triaged_by"])
    return response


def response_mark_handled(*, response_id: int, by: User, at=None) -> bool:
    """The customer was reached about the answer (a follow-up call): it is handled, off the
    inbox's to-do. The caller has checked that `by` works the call, which a cover or a
    colleague does for the owner, so no triage check here. True if it changed."""
    changed = Response.objects.filter(pk=response_id).exclude(triage=Response.Triage.HANDLED).update(
        triage=Response.Triage.HANDLED, triaged_at=at or timezone.now(), triaged_by=by
    )
    return bool(changed)


def response_theme_set(*, response: Response, key: str, present: bool, by: User) -> Theme:
    """A person adds (present) or removes the theme `key` of an answer; it wins over the
    machine (feedback.response_themes). Whoever may triage the answer may correct its
    themes. Only an active theme is added; any is removed (a person's theme stays on an
    answer when its theme is switched off). Returns the theme."""
    if not can_triage(by, response):
        raise PermissionDenied("Only the account's owner corrects its answers' themes.")
    theme = Theme.objects.filter(key=key).first() if key else None
    if theme is None or (present and not theme.active):
        raise ValidationError(f"Unknown theme {key!r}.")
    response_theme_correct(response=response, theme=theme, present=present, by=by)
    return theme


def response_mark_seen(*, response: Response, by: User) -> bool:
    """The owner opened a new answer: it is seen. Nothing for anyone else. True if it changed."""
    if response.triage != Response.Triage.NEW or response.account.owner_id != by.pk:
        return False
    changed = Response.objects.filter(pk=response.pk, triage=Response.Triage.NEW).update(
        triage=Response.Triage.SEEN, triaged_at=timezone.now(), triaged_by=by
    )
    if changed:
        response.triage = Response.Triage.SEEN
    return bool(changed)


@transaction.atomic
def note_add(*, response: Response, author: User, text: str) -> Note:
    """An internal note, by anyone who may read the answer (scope is checked by the caller)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write something in the note."))
    if len(text) > NOTE_MAX:
        raise ValidationError(_("A note holds at most %(max)d characters.") % {"max": NOTE_MAX})
    return Note.objects.create(response=response, author=author, text=text)


@transaction.atomic
def account_owner_change(*, account: Account, new_owner: User, by: User) -> OwnershipChange | None:
    """Give the account to `new_owner`: its inbox follows at once (inboxes read the current
    owner), its open follow-up calls follow through the outbox, and the change is recorded.
    Returns None when `new_owner` already owns it."""
    account = Account.objects.select_for_update().select_related("region").get(pk=account.pk)
    if not can_change_owner(by, account):
        raise PermissionDenied("Only an administrator, or the region's manager, changes an account's owner.")
    if not new_owner.is_active or new_owner.role not in (Role.ACCOUNT_MANAGER, Role.REGIONAL_MANAGER):
        raise ValidationError(_("The new owner must be an active account manager or regional manager."))
    if account.owner_id == new_owner.pk:
        return None
    change = OwnershipChange.objects.create(
        account=account, old_owner_id=account.owner_id, new_owner=new_owner, changed_by=by
    )
    account.owner = new_owner
    account.save(update_fields=["owner", "updated_at"])
    # The per-owner rollup rows follow the account in this transaction.
    accounts_moved([(account.pk, (change.old_owner_id, account.region_id), (new_owner.pk, account.region_id))])
    outbox_publish("owner_changed", account_id=account.pk, new_owner_id=new_owner.pk)
    return change


@transaction.atomic
def response_suspect_set(*, response_id: int, suspect: bool, reason: str = "", now=None) -> Response:
    """Mark an answer suspect (kept and shown, never counted) or count it after all: an
    administrator's call on a bot-like answer. The summaries follow in this transaction;
    its call is queued or cancelled as for a changed answer (the answer_saved event)."""
    response = Response.objects.select_for_update().get(pk=response_id)
    if response.suspect == suspect:
        return response
    was = "" if response.suspect else response.category
    response.suspect = suspect
    response.suspect_reason = (reason or "marked by staff")[:100] if suspect else ""
    response.save(update_fields=["suspect", "suspect_reason"])
    counts_as = "" if suspect else response.category
    invitation_answer_count(
        invitation_id=response.invitation_id, was=was, counts_as=counts_as,
        answered_at=response.answered_at, now=now or timezone.now(),
    )
    answer_themes_recount(response_id=response.pk, was=was, counts_as=counts_as, answered_at=response.answered_at)
    answer_counted_changed.send(sender=Response, account_id=response.account_id)
    outbox_publish("answer_saved", response_id=response.pk)
    return response


@transaction.atomic
def notification_settings_update(
    *, user: User, detractor_alerts: bool, digest: str, language: str | None = None
) -> NotificationSettings:
    """`language` None leaves it as it is; blank follows the browser."""
    if digest not in Digest.values:
        raise ValidationError(f"Unknown digest {digest!r}.")
    if language is not None:
        if language not in {"", *dict(STAFF_LANGUAGES)}:
            raise ValidationError(f"Unknown language {language!r}.")
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    settings, _ = NotificationSettings.objects.update_or_create(
        user=user, defaults={"detractor_alerts": detractor_alerts, "digest": digest}
    )
    return settings
