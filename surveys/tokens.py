"""Answer-link tokens.

Each invitation keeps a random nonce and the SHA-256 of its token; the token itself
is HMAC(SECRET_KEY, nonce), 256 bits, so the database alone never yields a working
link, yet the reminder can carry the very same link as the first email.

Rotating SECRET_KEY: a link already emailed keeps working (it is found by its hash, not
by the key), and while the old key is in SECRET_KEY_FALLBACKS the reminder of an
invitation made under it carries the same link again (`invitation_token` tries each key).
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
    """The invitation's link token: made with the key that made its stored hash (the
    current key, else a fallback); with none of them, the current key's (a new link the
    answer page does not know: keep old keys in SECRET_KEY_FALLBACKS while their links
    may still be sent, that is the link validity of the program)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    for key in keys:
        token = _token(key.encode(), invitation.token_nonce)
        if not invitation.token_hash or hmac.compare_digest(token_hash(token), invitation.token_hash):
            return token
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
