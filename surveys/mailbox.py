"""The embedded email backend: each message a .eml file a person can open.

Used when no SMTP server is configured. With DEBUG on, /dev/outbox/ lists the
files and shows each message rendered, links clickable.
"""

import email
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


def _parse(path: Path) -> StoredMail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return StoredMail(
        name=path.name,
        subject=str(message.get("Subject", "")),
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        date=datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone()),
        text=text_part.get_content() if text_part else "",
        html=html_part.get_content() if html_part else "",
        headers=[(k, str(v)) for k, v in message.items()],
    )


def stored_mails(limit: int = 200) -> list[StoredMail]:
    mail_dir = Path(settings.MAIL_DIR)
    if not mail_dir.exists():
        return []
    paths = sorted(mail_dir.glob("*.eml"), reverse=True)[:limit]
    return [_parse(p) for p in paths]


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
