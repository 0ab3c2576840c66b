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
    digest = hmac.new(settings.SECRET_KEY.encode(), f"pulse-invitation:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_token(invitation) -> str:
    return token_for_nonce(invitation.token_nonce)


def token_fields_new() -> dict:
    """Fields for a new Invitation: `Invitation(..., **token_fields_new())`."""
    nonce = token_nonce_new()
    return {"token_nonce": nonce, "token_hash": token_hash(token_for_nonce(nonce))}
