"""Answer-link tokens.

Each invitation keeps a random nonce and the SHA-256 of its token; the token itself
is HMAC(SECRET_KEY, nonce), 256 bits, so the database alone never yields a working
link, yet the reminder can carry the very same link as the first email.
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings


def token_nonce_new() -> str:
    return secrets.token_hex(16)


def token_for_nonce(nonce: str) -> str:
    return _token(settings.SECRET_KEY.encode(), nonce)


def _token(key: bytes, nonce: str) -> str:
    # hmac.digest is the one-shot form of hmac.new(...).digest(): the same bytes, faster.
    digest = hmac.digest(key, f"pulse-invitation:{nonce}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_token(invitation) -> str:
    return token_for_nonce(invitation.token_nonce)


def token_pairs_new(count: int) -> list[tuple[str, str]]:
    """(token_nonce, token_hash) for `count` new invitations (planning makes 150,000 at once)."""
    key = settings.SECRET_KEY.encode()
    pairs = []
    for _ in range(count):
        nonce = token_nonce_new()
        pairs.append((nonce, token_hash(_token(key, nonce))))
    return pairs


def token_fields_new() -> dict:
    """Fields for a new Invitation: `Invitation(..., **token_fields_new())`."""
    [(nonce, digest)] = token_pairs_new(1)
    return {"token_nonce": nonce, "token_hash": digest}
