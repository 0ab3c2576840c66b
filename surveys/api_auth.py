"""The API key's part of the REST API (settings.REST_FRAMEWORK): who a request is, what a
read-only key may do, how many requests a key may make. Apart from surveys.api_foundation
because DRF imports these classes while rest_framework.views is being imported: this module
must not import it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import BaseThrottle

from .api_keys import ApiKeyInvalid, api_key_actor, api_key_find
from .models import ApiKey
from .throttle import client_address, rate_parse, throttle_exceeded

# --- Authentication -----------------------------------------------------------------------

class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`. Another scheme, or none, is left to the next class
    (a signed-in session); a Bearer that is not a live key answers 401."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Give the key as: Authorization: Bearer <key>."))
        try:
            key = api_key_find(parts[1].decode("ascii", errors="replace"))
            user = api_key_actor(key)
        except ApiKeyInvalid:
            # One answer for malformed, unknown and revoked keys: nothing to learn by trying.
            raise exceptions.AuthenticationFailed(_("This API key is not valid: it may be mistyped or revoked."))
        return user, key  # its last use is written once answered (ApiRequestAuditMiddleware)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def api_key_of(request) -> ApiKey | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiKey) else None


# --- Permissions and limits -----------------------------------------------------------------

class ReadOnlyKeysRead(permissions.BasePermission):
    """A read-only key reads and never writes (403: it may read everything, so the
    answer tells nothing it could not see)."""

    message = gettext_lazy("This API key is read-only.")

    def has_permission(self, request, view):
        key = api_key_of(request)
        return key is None or not key.read_only or request.method in permissions.SAFE_METHODS


class AdministratorsOnly(permissions.BasePermission):
    """What only administrators may do (the customer book): 404 to everyone else, as the
    administrators' pages answer."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False  # 401, from IsAuthenticated's turn
        if not request.user.is_administrator:
            raise exceptions.NotFound()
        return True


class ApiKeyRateThrottle(BaseThrottle):
    """At most settings.API_RATE_PER_KEY requests per key (or per signed-in user) in a fixed
    window, counted as the answer page's limits are (surveys.throttle: fails open)."""

    def allow_request(self, request, view):
        key = api_key_of(request)
        if key is not None:
            who = ("apikey", str(key.pk))
        elif request.user.is_authenticated:
            who = ("apiuser", str(request.user.pk))
        else:
            who = ("apiaddr", client_address(request))
        self.rate = settings.API_RATE_PER_KEY
        return not throttle_exceeded((*who, self.rate))

    def wait(self):
        _count, period = rate_parse(self.rate)
        return period - time.time() % period
