"""Request limits for the public answer page: django-ratelimit's fixed-window counters
in the cache (Redis with services, local memory embedded).

Fails open, and fast: when the cache errors, every check says "not limited" and the
cache is left alone for a few seconds, so a dead Redis costs one failed call per
process now and then, never a customer's answer.

    throttle_exceeded(request, ("token", token, "30/m"), ("addr", ip, "120/m"))
"""

import logging
import time

from django.conf import settings
from django_ratelimit.core import is_ratelimited

log = logging.getLogger(__name__)

# After a cache error, skip the cache for this many seconds.
CACHE_DOWN_FOR = 10.0
_cache_down_until = 0.0


def throttle_exceeded(request, *checks: tuple[str, str, str]) -> bool:
    """Count one hit against each (scope, key, rate); True when any is over its rate."""
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return False
    namespace = getattr(settings, "ANSWER_RATE_NAMESPACE", "")
    try:
        # A list, not any(): every counter counts the hit.
        over = [
            is_ratelimited(request, group=f"pulse.answer.{scope}{namespace}", key=lambda _group, _request, v=key: v,
                           rate=rate, increment=True)
            for scope, key, rate in checks
        ]
    except Exception:  # noqa: BLE001 - any cache failure means "not limited", never a lost answer
        _cache_down_until = time.monotonic() + CACHE_DOWN_FOR
        log.warning("rate-limit cache unavailable; failing open for %ss", CACHE_DOWN_FOR, exc_info=True)
        return False
    return any(over)


def throttle_reset() -> None:
    """Forget a cache failure (tests)."""
    global _cache_down_until
    _cache_down_until = 0.0
