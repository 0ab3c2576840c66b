"""The customer's answer behind the emailed link: selectors to read the link, the
service that records the answer.

Nothing here needs Redis or a worker: the answer and its follow-up work are written
in one database transaction (the outbox carries the work to Celery later).
"""

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from surveys.models import Contact, Invitation, Program
from surveys.tokens import token_hash

from .models import Response
from .outbox import outbox_enqueue_many

REASON_MAX_CHARS = 5000
SCORES = range(0, 11)
# Link tokens are URL-safe base64 (43 characters today); anything else is never looked up.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,128}")
# Invitations not emailed yet: nobody can hold their link, so they answer as unknown.
NOT_EMAILED = (Invitation.Status.PLANNED, Invitation.Status.HELD)

ROUTE_HANDLER = "feedback.routing.response_route"
CALL_HANDLER = "followups.services.call_queue_for_response"

_STAMP_SALT = "pulse.answer.served-at"


class LinkState:
    OPEN = "open"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"


class AnswerRefused(Exception):
    """The link does not take answers (unknown, expired, opted out)."""

    def __init__(self, state: str | None):
        super().__init__(state or "unknown")
        self.state = state


@dataclass(frozen=True)
class AnswerResult:
    response: Response
    created: bool
    changed: bool


# --- Selectors -------------------------------------------------------------------

# Only the columns the answer pages and response_submit read: the full rows of the
# four joined tables are some 130 columns, whose SQL compiling and model building cost
# more than the query itself on this hot path. A field missing here costs one extra
# query when read (the max_queries tests catch it).
_LINK_FIELDS = (
    "token_hash", "status", "contact_id", "account_id", "sent_at", "expires_at",
    "contact__name", "contact__email", "contact__language", "contact__opted_out_at",
    "response__invitation_id", "response__score", "response__reason", "response__answered_at",
)
_OWNER_FIELDS = ("account__owner_id", "account__owner__full_name", "account__owner__email")


def answer_invitation_for_token(token: str, *, with_owner: bool = False) -> Invitation | None:
    """The invitation behind a link token, with its contact and the answer so far (and
    the account's owner, for the thank-you page) in one query; None for anything that
    is not a live link (no hint which)."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    related = ("contact", "response", "account__owner") if with_owner else ("contact", "response")
    fields = _LINK_FIELDS + _OWNER_FIELDS if with_owner else _LINK_FIELDS
    found = list(
        Invitation.objects.select_related(*related)
        .only(*fields)
        .exclude(status__in=NOT_EMAILED)
        .filter(token_hash=token_hash(token))[:1]  # unique: no ORDER BY needed
    )
    return found[0] if found else None


def answer_link_state(invitation: Invitation, now: datetime | None = None) -> str:
    if invitation.contact.opted_out_at is not None:
        return LinkState.OPTED_OUT
    expires_at = answer_expires_at(invitation)
    if expires_at is not None and (now or timezone.now()) >= expires_at:
        return LinkState.EXPIRED
    return LinkState.OPEN


def answer_expires_at(invitation: Invitation) -> datetime | None:
    """When the link stops taking answers: set at sending; for an invitation sent
    without it, the program's link_valid_days after sending."""
    if invitation.expires_at is None and invitation.sent_at is not None:
        return invitation.sent_at + timedelta(days=answer_program().link_valid_days)
    return invitation.expires_at


def answer_language(contact: Contact | None) -> str:
    """The contact's language if the page speaks it, else the site's default."""
    code = ((contact.language if contact else "") or "").lower().replace("_", "-").split("-")[0]
    return code if code in {lang for lang, _ in settings.LANGUAGES} else settings.LANGUAGE_CODE


# The program's texts change a few times a year: each process reads them at most
# this often instead of on every request.
PROGRAM_TTL = 30.0
_program_cache: tuple[float, Program] | None = None


def answer_program() -> Program:
    """The program's texts, read only: a missing row reads as the defaults (a GET never
    writes). Cached per process for PROGRAM_TTL seconds."""
    global _program_cache
    now = time.monotonic()
    if _program_cache is None or _program_cache[0] < now:
        program = Program.objects.order_by("pk").first() or Program()
        _program_cache = (now + PROGRAM_TTL, program)
    return _program_cache[1]


def answer_program_forget() -> None:
    global _program_cache
    _program_cache = None


def response_for(invitation: Invitation) -> Response | None:
    return getattr(invitation, "response", None)


def score_from_query(value: str | None) -> int | None:
    """`?score=N` from the email's buttons; anything but 0..10 selects nothing."""
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    score = int(value)
    return score if score in SCORES else None


# --- Signs of a bot ---------------------------------------------------------------

def answer_form_stamp(invitation: Invitation, now: datetime | None = None) -> str:
    """A signed 'served at' for the form's hidden field: the time cannot be forged."""
    millis = int((now or timezone.now()).timestamp() * 1000)
    return signing.Signer(salt=_STAMP_SALT).sign(f"{invitation.pk}.{millis}")


def answer_suspect_reason(
    *, invitation: Invitation, honeypot: str, stamp: str, now: datetime | None = None
) -> str:
    """Why a submission looks like a bot ('' when it looks like a person)."""
    if honeypot.strip():
        return "honeypot filled"
    try:
        pk, millis = signing.Signer(salt=_STAMP_SALT).unsign(stamp or "").split(".")
        served = int(millis) / 1000
    except (signing.BadSignature, ValueError):
        return "form stamp missing or forged"
    if int(pk) != invitation.pk:
        return "form stamp from another link"
    seconds = (now or timezone.now()).timestamp() - served
    minimum = getattr(settings, "ANSWER_MIN_SECONDS", 2.0)
    if seconds < minimum:
        return f"sent {max(seconds, 0):.1f} s after the page was served"
    return ""


# --- The service ------------------------------------------------------------------

def answer_validate(*, score, reason: str) -> tuple[int, str]:
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise ValidationError("score must be a whole number from 0 to 10", code="score")
    if not isinstance(reason, str) or len(reason) > REASON_MAX_CHARS or "\x00" in reason:
        raise ValidationError(f"reason must be text of at most {REASON_MAX_CHARS} characters", code="reason")
    return score, reason


@transaction.atomic
def response_submit(
    *, token: str, score: int, reason: str = "", suspect_reason: str = "", now: datetime | None = None,
    invitation: Invitation | None = None,
) -> AnswerResult:
    """Record (or change) the answer behind a link token. Idempotent: the same answer
    sent again changes nothing; a different one updates the one Response in place.

    `invitation`: the caller's fresh `answer_invitation_for_token(token)`, to save the
    lookup. In the same transaction, the routing and follow-up hooks go to the outbox
    (no follow-up call for a suspect answer: it is kept and shown, never acted on)."""
    score, reason = answer_validate(score=score, reason=reason)
    now = now or timezone.now()
    if invitation is None or invitation.token_hash != token_hash(token or ""):
        invitation = answer_invitation_for_token(token, with_owner=True)
    if invitation is None:
        raise AnswerRefused(None)
    state = answer_link_state(invitation, now)
    if state != LinkState.OPEN:
        raise AnswerRefused(state)

    current = response_for(invitation)
    if current is not None and current.score == score and current.reason == reason:
        return AnswerResult(response=current, created=False, changed=False)

    response = Response(
        invitation=invitation, contact_id=invitation.contact_id, account_id=invitation.account_id,
        reason=reason, language=answer_language(invitation.contact),
        answered_at=current.answered_at if current else now, changed_at=now,
        suspect=bool(suspect_reason), suspect_reason=suspect_reason[:100],
    )
    response.set_score(score)
    # One statement that is safe against a double click: insert the Response, or
    # update the one there is (answered_at and triage stay as they were).
    Response.objects.bulk_create(
        [response], update_conflicts=True, unique_fields=["invitation"],
        update_fields=["score", "category", "reason", "language", "changed_at", "suspect", "suspect_reason"],
    )
    hooks = [(ROUTE_HANDLER, {"response_id": response.pk})]
    if not response.suspect:
        hooks.append((CALL_HANDLER, {"response_id": response.pk}))
    outbox_enqueue_many(hooks)
    return AnswerResult(response=response, created=current is None, changed=True)
