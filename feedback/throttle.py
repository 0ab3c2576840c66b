"""Fixed-window request counters in the cache, for the public answer page.

Fails open, and fast: when the cache (Redis) errors, every check says "not limited"
and the cache is left alone for a few seconds, so a dead Redis costs one failed
call per process now and then, never a customer's answer.

    throttle_exceeded(("token", digest, "30/m"), ("addr", ip, "120/m"))
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches

log = logging.getLogger(__name__)

# After a cache error, skip the cache for this many seconds.
CACHE_DOWN_FOR = 10.0
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_cache_down_until = 0.0


def rate_parse(rate: str) -> tuple[int, int]:
    """ "30/m" -> (30, 60): at most 30 per 60 seconds."""
    count, _, unit = rate.partition("/")
    return int(count), _PERIODS[unit.strip().lower()[:1]]


def throttle_exceeded(*checks: tuple[str, str, str]) -> bool:
    """Count one hit against each (scope, key, rate); True when any is over its rate."""
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return False
    namespace = getattr(settings, "ANSWER_RATE_NAMESPACE", "")
    now = int(time.time())
    counters = []
    for scope, key, rate in checks:
        limit, period = rate_parse(rate)
        counters.append((f"pulse:rl:{namespace}:{scope}:{key}:{period}:{now // period}", limit, period))
    try:
        counts = _increment(caches[getattr(settings, "ANSWER_RATE_CACHE", "default")], counters)
    except Exception:  # noqa: BLE001 - any cache failure means "not limited", never a lost answer
        _cache_down_until = time.monotonic() + CACHE_DOWN_FOR
        log.warning("rate-limit cache unavailable; failing open for %ss", CACHE_DOWN_FOR, exc_info=True)
        return False
    return any(count > limit for count, (_, limit, _) in zip(counts, counters, strict=True))


def throttle_reset() -> None:
    """Forget a cache failure (tests)."""
    global _cache_down_until
    _cache_down_until = 0.0


# INCR each key; a key just created (count 1) starts its window with an expiry.
# One command for all counters: a four-command pipeline cost twice the client CPU.
_INCREMENT_LUA = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return counts
"""


def _increment(cache, counters) -> list[int]:
    client = _redis_client(cache)
    if client is not None:
        script = _increment_script(client)
        keys = [cache.make_and_validate_key(key) for key, _, _ in counters]
        return [int(value) for value in script(keys=keys, args=[period + 5 for _, _, period in counters])]
    counts = []
    for key, _, period in counters:
        cache.add(key, 0, period + 5)
        counts.append(cache.incr(key))
    return counts


def _increment_script(client):
    """The registered script (EVALSHA, reloaded by redis-py after a Redis restart)."""
    script = getattr(client, "_pulse_increment_script", None)
    if script is None:
        script = client._pulse_increment_script = client.register_script(_INCREMENT_LUA)
    return script


def _redis_client(cache):
    """The raw client of Django's Redis cache backend, or None for any other backend."""
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(cache, RedisCache):
        return None
    # One client per cache object (per thread), over the backend's connection pool.
    client = getattr(cache, "_pulse_throttle_client", None)
    if client is None:
        client = cache._pulse_throttle_client = cache._cache.get_client(None, write=True)
    return client
