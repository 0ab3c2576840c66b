"""Keys to the REST API: made, found and revoked. The view and the DRF pieces that use
them are surveys.views_api_keys and surveys.api_foundation.

A key is `pulse_` and 43 URL-safe characters (256 random bits). Its first 14 characters
are its `prefix`, kept and shown ("pulse_Ab3dEf9h…"); of the rest only the SHA-256 of the
whole key is kept. A fast hash is enough for a random secret this long (nobody can try
2^256 guesses); a slow password hash would cost every request tens of milliseconds.

Whom a key acts as (`api_key_actor`): an "act as" key is the staff member it names, who
must still be active; a read-only key reads as its creator would with a director's role
(everything, and no administrator's rights), while its creator is active.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .audit import audit_record
from .models import ApiKey, Role, User

KEY_START = "pulse_"
PREFIX_LENGTH = len(KEY_START) + 8
_KEY_FORMAT = re.compile(r"pulse_[A-Za-z0-9_-]{43}")
# last_used_at is written when it is older than this: not one write per request.
API_KEY_TOUCH_EVERY = timedelta(minutes=1)


class ApiKeyInvalid(Exception):
    """The key is malformed, unknown, revoked, or the staff member it acts as is gone."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, scope: str, acts_as: User | None, by: User,
                   now: datetime | None = None) -> tuple[ApiKey, str]:
    """A new key and its secret, which is shown once and kept nowhere."""
    if scope == ApiKey.Scope.ACT_AS and acts_as is None:
        raise ValueError("An 'act as' key needs the member of staff it acts as.")
    if scope == ApiKey.Scope.READ_ONLY:
        acts_as = None
    token = KEY_START + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name, prefix=token[:PREFIX_LENGTH], secret_hash=_hash(token), scope=scope, acts_as=acts_as,
        created_by=by, created_at=now or timezone.now(),
    )
    audit_record("api_key_created", by=by, target=key, now=now, details={
        "scope": key.scope, "acts_as": acts_as.email if acts_as else None,
    })
    return key, token


@transaction.atomic
def api_key_revoke(*, key: ApiKey, by: User, now: datetime | None = None) -> bool:
    """Revoke a key; False when it already was (nothing changes)."""
    now = now or timezone.now()
    if not ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=now):
        return False
    key.revoked_at = now
    audit_record("api_key_revoked", by=by, target=key, now=now)
    return True


def api_key_find(token: str) -> ApiKey:
    """The live key `token` is, or ApiKeyInvalid. The stored hash is compared in constant time."""
    if not _KEY_FORMAT.fullmatch(token):
        raise ApiKeyInvalid("malformed")
    key = (ApiKey.objects.select_related("acts_as", "created_by")
           .filter(prefix=token[:PREFIX_LENGTH]).first())
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(token)):
        raise ApiKeyInvalid("unknown")
    if key.revoked_at is not None:
        raise ApiKeyInvalid("revoked")
    return key


def api_key_actor(key: ApiKey) -> User:
    """The staff member whose rules a request with `key` follows (see the module's note)."""
    if key.read_only:
        creator = key.created_by
        if creator is None or not creator.is_active:
            raise ApiKeyInvalid("creator gone")
        reader = copy.copy(creator)
        reader.role, reader.is_superuser, reader.is_staff = Role.DIRECTOR, False, False
        reader.save = _never_saved  # a director's view of the creator, never written back
        return reader
    if key.acts_as is None or not key.acts_as.is_active:
        raise ApiKeyInvalid("staff gone")
    return key.acts_as


def _never_saved(*args, **kwargs):
    raise RuntimeError("A read-only API key's reader is not a row to save.")


def api_key_touch(key: ApiKey, *, now: datetime | None = None) -> bool:
    """Mark the key used: one UPDATE at most every API_KEY_TOUCH_EVERY, none otherwise."""
    now = now or timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < API_KEY_TOUCH_EVERY:
        return False
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - API_KEY_TOUCH_EVERY)
    touched = bool(ApiKey.objects.filter(stale, pk=key.pk).update(last_used_at=now))
    key.last_used_at = now
    return touched


def api_keys_listed():
    """The keys on the administrators' page: live ones first, then the revoked."""
    return ApiKey.objects.select_related("acts_as", "created_by").order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk")
