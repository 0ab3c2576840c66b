"""The customer's answer behind the emailed link: selectors to read the link, the
service that records the answer.

Nothing here needs Redis or a worker: the answer and its follow-up work (an outbox
event, which a worker picks up) are written in one ordinary database transaction.
Every statement is plain, with nothing kept on the connection between transactions,
so it works behind PgBouncer in transaction pooling mode.
"""

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from outbox.services import outbox_publish
from surveys.models import Account, Invitation, Program, User, contact_first_name, staff_first_name
from surveys.tallies import accounts_locked, invitation_answer_count
from surveys.tokens import token_hash

from .models import Response
from .signals import answer_counted_changed
from .theme_tallies import answer_themes_recount

REASON_MAX_CHARS = 5000
SCORES = range(0, 11)
# Link tokens are URL-safe base64 (43 characters today); anything else is never looked up.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,128}")
# Invitations not emailed yet: nobody can hold their link, so they answer as unknown.
NOT_EMAILED = (Invitation.Status.PLANNED, Invitation.Status.HELD)

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

@dataclass(frozen=True, slots=True)
class AnswerLink:
    """An emailed link as the answer pages see it: the invitation, its contact and the
    answer so far, read in one query (answer_link_for_token). The score, reason and
    answered_at are None until the contact has answered."""

    invitation_id: int
    token_hash: str
    contact_id: int
    account_id: int
    sent_at: datetime | None
    expires_at: datetime | None
    contact_name: str
    contact_email: str
    contact_language: str
    opted_out_at: datetime | None
    response_id: int | None
    score: int | None
    reason: str | None
    answered_at: datetime | None

    @property
    def answered(self) -> bool:
        return self.response_id is not None

    @property
    def contact_first_name(self) -> str:
        return contact_first_name(self.contact_name, self.contact_email)


# AnswerLink's fields, in order, as ORM lookups from Invitation.
_LINK_LOOKUPS = (
    "id", "token_hash", "contact_id", "account_id", "sent_at", "expires_at",
    "contact__name", "contact__email", "contact__language", "contact__opted_out_at",
    "response__id", "response__score", "response__reason", "response__answered_at",
)
# Stands for the token's hash while the query is compiled.
_TOKEN_HASH_SLOT = "<token hash>"


@dataclass(frozen=True)
class _CompiledQuery:
    sql: str
    params: tuple
    compiler: object  # the ORM's compiler, kept for its converters (SQLite's datetimes)
    converters: dict


@lru_cache(maxsize=4)
def _link_query(alias: str) -> _CompiledQuery:
    """The link query, compiled by the ORM once per process and database: every answer
    page runs it, and building its SQL cost more CPU than running it. Run as a plain
    statement (no server-side PREPARE: PgBouncer's transaction pooling), so PostgreSQL
    plans it every time, and planning grows with the tables joined: three here (0.4 ms
    of PostgreSQL's CPU; 0.9 ms with the account's owner joined in too). The owner,
    wanted only by the thank-you page, is read there (answer_owner_first_name)."""
    queryset = (
        Invitation.objects.using(alias)
        .filter(token_hash=_TOKEN_HASH_SLOT)
        .exclude(status__in=NOT_EMAILED)
        .values_list(*_LINK_LOOKUPS)[:1]  # token_hash is unique: no ORDER BY needed
    )
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    return _CompiledQuery(sql=sql, params=tuple(params), compiler=compiler, converters=converters)


def answer_link_for_token(token: str, *, using: str = DEFAULT_DB_ALIAS) -> AnswerLink | None:
    """The live link behind a token, in one query; None for anything else (a forged,
    mistyped or not yet emailed link: no hint which)."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    query = _link_query(using)
    digest = token_hash(token)
    params = [digest if param == _TOKEN_HASH_SLOT else param for param in query.params]
    with connections[using].cursor() as cursor:
        cursor.execute(query.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if query.converters:
        row = next(iter(query.compiler.apply_converters([row], query.converters)))
    return AnswerLink(*row)


# The account's owner, for the thank-you page: two tables, by primary key.
_OWNER_NAME = (
    f"SELECT u.full_name, u.email FROM {Account._meta.db_table} a"
    f" JOIN {User._meta.db_table} u ON u.id = a.owner_id WHERE a.id = %s"
)


def answer_owner_first_name(account_id: int) -> str:
    """The first name of the account's owner ("Anna will call you"); "" for an owner
    without a name (the page then names the company, never a name made from an address)."""
    with connection.cursor() as cursor:
        cursor.execute(_OWNER_NAME, [account_id])
        row = cursor.fetchone()
    return staff_first_name(*row) if row and row[0].strip() else ""


def answer_link_state(link: AnswerLink, now: datetime | None = None) -> str:
    if link.opted_out_at is not None:
        return LinkState.OPTED_OUT
    expires_at = answer_expires_at(link)
    if expires_at is not None and (now or timezone.now()) >= expires_at:
        return LinkState.EXPIRED
    return LinkState.OPEN


def answer_expires_at(link: AnswerLink) -> datetime | None:
    """When the link stops taking answers: set at sending; for an invitation sent
    without it, the program's link_valid_days after sending."""
    if link.expires_at is None and link.sent_at is not None:
        return link.sent_at + timedelta(days=answer_program().link_valid_days)
    return link.expires_at


def answer_language(code: str | None) -> str:
    """A contact's language if the page speaks it, else the site's default."""
    code = (code or "").lower().replace("_", "-").split("-")[0]
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
        _program_cache = (now + PROGRAM_TTL, Program.current())
    return _program_cache[1]


def answer_program_forget() -> None:
    global _program_cache
    _program_cache = None


def score_from_query(value: str | None) -> int | None:
    """`?score=N` from the email's buttons; anything but 0..10 selects nothing."""
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 2:
        return None  # thousands of digits are too many for int() itself
    score = int(value)
    return score if score in SCORES else None


# --- Signs of a bot ---------------------------------------------------------------

def answer_form_stamp(invitation_id: int, now: datetime | None = None) -> str:
    """A signed 'served at' for the form's hidden field: the time cannot be forged."""
    millis = int((now or timezone.now()).timestamp() * 1000)
    return signing.Signer(salt=_STAMP_SALT).sign(f"{invitation_id}.{millis}")


def answer_suspect_reason(
    *, invitation_id: int, honeypot: str, stamp: str, now: datetime | None = None
) -> str:
    """Why a submission looks like a bot ('' when it looks like a person).

    Only what a scanner does and a person cannot: fill the field nobody sees, post
    without the form's own stamp, or post sooner than the page could reach a person's
    screen and be pressed (ANSWER_MIN_SECONDS, half a second). A person with the score
    already chosen from the email needs about a second, so a floor near a person's pace
    marked fast promoters as bots. Scanners' GET and HEAD requests never record anything,
    and a POST without the page's cookie fails the CSRF check."""
    if honeypot.strip():
        return "honeypot filled"
    try:
        pk, millis = signing.Signer(salt=_STAMP_SALT).unsign(stamp or "").split(".")
        served = int(millis) / 1000
    except (signing.BadSignature, ValueError):
        return "form stamp missing or forged"
    if int(pk) != invitation_id:
        return "form stamp from another link"
    seconds = (now or timezone.now()).timestamp() - served
    minimum = getattr(settings, "ANSWER_MIN_SECONDS", 0.5)
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


# A first answer inserts the Response; a second submit of the same link (a double click,
# or a change of mind) finds it there and updates it, under its row lock, so that the
# summaries move by exactly the difference. Written out rather than built by the ORM on
# every answer: compiling that cost more CPU than running it. PostgreSQL and SQLite
# (3.35+) both take this syntax.
# The answer takes its account's owner as it reads it here, without a lock: the answer's
# row is locked before its account's everywhere (here, the changes, the worker), and an
# owner change that commits in between is caught by _owner_confirm under the account's lock.
_RESPONSE_INSERT = f"""
    INSERT INTO {Response._meta.db_table}
        (invitation_id, contact_id, account_id, score, category, reason, language,
         answered_at, changed_at, suspect, suspect_reason, triage, owner_id)
    SELECT %s, %s, a.id, %s, %s, %s, %s, %s, %s, %s, %s, %s, a.owner_id
    FROM {Account._meta.db_table} a WHERE a.id = %s
    ON CONFLICT (invitation_id) DO NOTHING
    RETURNING id, owner_id
"""
_OWNER_SET = f"UPDATE {Response._meta.db_table} SET owner_id = %s WHERE id = %s"
_RESPONSE_UPDATE = f"""
    UPDATE {Response._meta.db_table} SET
        score = %s, category = %s, reason = %s, language = %s, changed_at = %s, suspect = %s, suspect_reason = %s
    WHERE id = %s
"""


def response_submit(
    *, token: str, score: int, reason: str = "", suspect_reason: str = "", now: datetime | None = None,
    link: AnswerLink | None = None,
) -> AnswerResult:
    """Record (or change) the answer behind a link token. Idempotent: the same answer
    sent again changes nothing; a different one updates the one Response in place.

    `link`: the caller's fresh `answer_link_for_token(token)`, to save the lookup. In
    the same transaction, the answer_saved event goes to the outbox (suspect_answer_saved
    for a suspect answer: it is routed and shown, never followed up by a call)."""
    score, reason = answer_validate(score=score, reason=reason)
    now = now or timezone.now()
    if link is None or link.token_hash != token_hash(token or ""):
        link = answer_link_for_token(token)
    if link is None:
        raise AnswerRefused(None)
    state = answer_link_state(link, now)
    if state != LinkState.OPEN:
        raise AnswerRefused(state)
    if link.answered and link.score == score and link.reason == reason:
        return AnswerResult(response=_response_of(link), created=False, changed=False)

    response = Response(
        invitation_id=link.invitation_id, contact_id=link.contact_id, account_id=link.account_id,
        reason=reason, language=answer_language(link.contact_language),
        answered_at=link.answered_at if link.answered else now, changed_at=now,
        suspect=bool(suspect_reason), suspect_reason=suspect_reason[:100],
    )
    response.set_score(score)
    event = "suspect_answer_saved" if response.suspect else "answer_saved"
    response.pk = _response_save(response, event=event, answered_before=link.answered)
    return AnswerResult(response=response, created=not link.answered, changed=True)


def _response_save(response: Response, *, event: str, answered_before: bool) -> int:
    """Save the Response, count it in the summaries (surveys.tallies) and publish its
    event, together or not at all; the event's handlers run after the commit. A change
    keeps the first answer's `answered_at` (set on `response` as stored). Returns the
    Response's id."""
    adapt_datetime = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        inserted = None
        if not answered_before:
            with connection.cursor() as cursor:
                cursor.execute(_RESPONSE_INSERT, [
                    response.invitation_id, response.contact_id, response.score,
                    response.category, response.reason, response.language, adapt_datetime(response.answered_at),
                    adapt_datetime(response.changed_at), response.suspect, response.suspect_reason, response.triage,
                    response.account_id,
                ])
                inserted = cursor.fetchone()
        if inserted:
            (response_id, owner_id), was = inserted, ""
        else:  # answered before (maybe a moment ago, by another request): change it
            response_id, old_category, old_suspect, response.answered_at = (
                Response.objects.select_for_update().filter(invitation_id=response.invitation_id)
                .values_list("pk", "category", "suspect", "answered_at").get()
            )
            was = "" if old_suspect else old_category
            with connection.cursor() as cursor:
                cursor.execute(_RESPONSE_UPDATE, [
                    response.score, response.category, response.reason, response.language,
                    adapt_datetime(response.changed_at), response.suspect, response.suspect_reason, response_id,
                ])
        counts_as = "" if response.suspect else response.category
        owner_locked = invitation_answer_count(
            invitation_id=response.invitation_id, was=was, counts_as=counts_as,
            answered_at=response.answered_at, now=response.changed_at,
        )
        if inserted:
            _owner_confirm(response_id, response.account_id, owner_id, owner_locked)
        else:  # a first answer has no themes yet: the worker tags it after the commit
            answer_themes_recount(response_id=response_id, was=was, counts_as=counts_as,
                                  answered_at=response.answered_at)
        if bool(was) != (not response.suspect):  # started or stopped counting
            answer_counted_changed.send(sender=Response, account_id=response.account_id)
        outbox_publish(event, response_id=response_id)
    return response_id


def _owner_confirm(response_id: int, account_id: int, owner_id: int, owner_locked: int | None) -> None:
    """The new answer carries its account's owner as read under the account's lock (the
    count's, else one taken here): an owner change that committed after the INSERT read the
    account did not see this uncommitted answer to move it."""
    if owner_locked is None:
        owner_locked = accounts_locked([account_id])[account_id][0]
    if owner_locked != owner_id:
        with connection.cursor() as cursor:
            cursor.execute(_OWNER_SET, [owner_locked, response_id])


def _response_of(link: AnswerLink) -> Response:
    """The answer already on record, as the link query read it."""
    response = Response(
        pk=link.response_id, invitation_id=link.invitation_id, contact_id=link.contact_id,
        account_id=link.account_id, reason=link.reason, answered_at=link.answered_at,
    )
    response.set_score(link.score)
    return response
