"""The embedded email backend: each message a .eml file a person can open.

Used when no SMTP server is configured. With DEBUG on, /dev/outbox/ lists the
files and shows each message rendered, links clickable.
"""

import email
import email.parser
import email.policy
import html
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from .batching import INSERT_BATCH, chunks
from .models import Invitation


class MailDirBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        mail_dir = Path(settings.MAIL_DIR)
        mail_dir.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            tmp = mail_dir / f".{name}.tmp"
            tmp.write_bytes(message.message().as_bytes(linesep="\r\n"))
            tmp.rename(mail_dir / name)  # atomic: the outbox never shows half a message
        return len(email_messages)


# What an email is, for the outbox's filter: invitations and reminders by their Message-ID
# (which also names the invitation, hence the wave); staff emails by KIND_HEADER, which
# emails.email_message sets to the template's name; anything else is "other".
KIND_HEADER = "X-Pulse-Kind"
MAIL_KINDS = (
    "invitation", "reminder", "detractor_alert", "digest", "overdue_calls", "staff_invite", "password_reset",
    "other",
)
_INVITATION_MESSAGE_ID = re.compile(r"<invitation-(\d+)-[0-9a-f]+(-reminder)?@pulse>")


@dataclass
class StoredMail:
    name: str
    subject: str
    to: str
    sender: str
    date: datetime
    text: str
    html: str
    headers: list[tuple[str, str]]
    kind: str = "other"
    invitation_id: int | None = None


def _kind(message) -> tuple[str, int | None]:
    """The email's kind, and the invitation it was sent for (invitations and reminders)."""
    match = _INVITATION_MESSAGE_ID.fullmatch(str(message.get("Message-ID", "")).strip())
    if match:
        return ("reminder" if match[2] else "invitation"), int(match[1])
    kind = str(message.get(KIND_HEADER, "")).strip()
    return (kind if kind in MAIL_KINDS else "other"), None


def _parse(path: Path) -> StoredMail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    kind, invitation_id = _kind(message)
    return StoredMail(
        name=path.name,
        subject=str(message.get("Subject", "")),
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        date=datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone()),
        text=text_part.get_content() if text_part else "",
        html=html_part.get_content() if html_part else "",
        headers=[(k, str(v)) for k, v in message.items()],
        kind=kind,
        invitation_id=invitation_id,
    )


def _headers(path: Path):
    return email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(path.read_bytes())


def stored_mails(limit: int = 200, *, recipient: str = "", kind: str = "", wave=None) -> list[StoredMail]:
    """The newest `limit` stored emails; with filters, the newest `limit` of those whose To
    contains `recipient` (in any case), of `kind`, sent for an invitation of `wave`."""
    mail_dir = Path(settings.MAIL_DIR)
    if not mail_dir.exists():
        return []
    paths = sorted(mail_dir.glob("*.eml"), reverse=True)
    if not (recipient or kind or wave):
        return [_parse(p) for p in paths[:limit]]
    needle = recipient.casefold()
    candidates = []  # (path, invitation id), read from the headers alone
    for path in paths:
        headers = _headers(path)
        mail_kind, invitation_id = _kind(headers)
        if needle and needle not in str(headers.get("To", "")).casefold():
            continue
        if (kind and mail_kind != kind) or (wave and invitation_id is None):
            continue
        candidates.append((path, invitation_id))
    if wave:
        ids = [invitation_id for _, invitation_id in candidates]
        in_wave = set()
        for chunk in chunks(ids, INSERT_BATCH):
            in_wave.update(Invitation.objects.filter(wave=wave, pk__in=chunk).values_list("pk", flat=True))
        candidates = [(path, invitation_id) for path, invitation_id in candidates if invitation_id in in_wave]
    return [_parse(path) for path, _ in candidates[:limit]]


def stored_mail(name: str) -> StoredMail | None:
    mail_dir = Path(settings.MAIL_DIR)
    path = mail_dir / name
    # Only plain names from our own folder: no path tricks.
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        return None
    return _parse(path)


# --- Erasure: the copies that mention a person --------------------------------------------

# Shorter texts are not searched for: "ok" would match every message.
MENTION_MIN_LENGTH = 4
_TAG = re.compile(r"<[^>]*>")


def _flat(text: str) -> str:
    """Case and runs of white space left out of a comparison (the text part wraps lines)."""
    return " ".join(text.split()).casefold()


def _searchable(path: Path) -> str:
    """What a person reads in a stored message: its headers and every text part decoded
    (quoted-printable, base64, encoded words), HTML as its text; and the raw file."""
    raw = path.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    pieces = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # an unknown charset: the raw bytes below still count
            continue
        if part.get_content_subtype() == "html":
            content = html.unescape(_TAG.sub(" ", content))
        pieces.append(content)
    pieces.append(raw.decode("utf-8", errors="replace"))
    return _flat("\n".join(pieces))


def mail_copies_delete(texts: Iterable[str]) -> int:
    """Delete the stored messages that mention any of `texts` (an erased person's address,
    name, phone, the words of their answers and the notes about them), as whole words,
    in any case. Returns how many were deleted."""
    mail_dir = Path(settings.MAIL_DIR)
    needles = sorted({_flat(text) for text in texts if len(_flat(text)) >= MENTION_MIN_LENGTH}, key=len, reverse=True)
    if not needles or not mail_dir.exists():
        return 0
    mention = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in needles) + r")(?!\w)")
    deleted = 0
    for path in mail_dir.glob("*.eml"):
        if mention.search(_searchable(path)):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
