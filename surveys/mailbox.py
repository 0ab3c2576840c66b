"""The embedded email backend: each message a .eml file a person can open.

Used when no SMTP server is configured. With DEBUG on, /dev/outbox/ lists the
files and shows each message rendered, links clickable.
"""

import email
import email.policy
import uuid
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
