"""Fixed-window request counters, for the pages anyone may post to (the customer's
answer page, the password reset form), in the cache's Redis (THROTTLE_CACHE, default
"default"), or in any other cache backend (embedded: local memory) through the cache's
add and incr.

With Redis, one short Lua script counts every counter of a request in one round trip,
through a redis-py client of our own over the cache's LOCATION, made once per process.
Django's Redis cache builds a new redis-py client for every operation, and the
add-then-incr that rate limiting needs through it (django-ratelimit's way) cost
1.3 ms of CPU per request here: more than reading the link and saving the answer.

Fails open, and fast: when the cache errors, every check says "not limited" and the
cache is left alone for a few seconds, so a dead Redis costs one failed call per
process now and then, never a customer's answer.

Here in `surveys`, the lowest app with pages, so that every app above may use it.

    throttle_exceeded(("token", token, "30/m"), ("addr", ip, "120/m"))
"""

import logging
import time
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import caches

log = logging.getLogger(__name__)

# After a cache error, skip the cache for this many seconds.
CACHE_DOWN_FOR = 10.0
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_cache_down_until = 0.0

# INCR each key; a key just created (count 1) starts its window with an expiry.
_INCREMENT_LUA = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return counts
"""


def rate_parse(rate: str) -> tuple[int, int]:
    """ "30/m" -> (30, 60): at most 30 per 60 seconds."""
    count, _, unit = rate.partition("/")
    return int(count), _PERIODS[unit.strip().lower()[:1]]


def client_address(request) -> str:
    """The address a request came from, as the limits count it."""
    return request.META.get("REMOTE_ADDR", "")


def throttle_exceeded(*checks: tuple[str, str, str]) -> bool:
    """Count one hit against each (scope, key, rate); True when any is over its rate."""
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return False
    namespace = getattr(settings, "THROTTLE_NAMESPACE", "")
    now = int(time.time())
    counters = []
    for scope, key, rate in checks:
        limit, period = rate_parse(rate)
        counters.append((f"pulse:rl:{namespace}:{scope}:{key}:{period}:{now // period}", limit, period))
    try:
        counts = _increment(getattr(settings, "THROTTLE_CACHE", "default"), counters)
    except Exception:  # noqa: BLE001 - any cache failure means "not limited", never a lost answer
        _cache_down_until = time.monotonic() + CACHE_DOWN_FOR
        log.warning("rate-limit cache unavailable; failing open for %ss", CACHE_DOWN_FOR, exc_info=True)
        return False
    return any(count > limit for count, (_, limit, _) in zip(counts, counters, strict=True))


def throttle_reset() -> None:
    """Forget a cache failure (tests)."""
    global _cache_down_until
    _cache_down_until = 0.0


def _increment(alias: str, counters) -> list[int]:
    cache = caches[alias]
    config = settings.CACHES[alias]
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        keys = [cache.make_key(key) for key, _, _ in counters]
        script = _increment_script(_first_location(config["LOCATION"]))
        return [int(count) for count in script(keys=keys, args=[period + 5 for _, _, period in counters])]
    counts = []
    for key, _, period in counters:
        cache.add(key, 0, period + 5)
        counts.append(cache.incr(key))
    return counts


def _first_location(location) -> str:
    """The server writes go to (Django's Redis cache writes to the first one)."""
    if isinstance(location, str):
        location = location.split(",")
    return location[0].strip()


@lru_cache(maxsize=8)
def _increment_script(url: str):
    """The counting script on a client of its own for the Redis at `url` (redis-py
    loads it with EVALSHA, and again after a Redis restart). Short timeouts: a hung
    Redis must not hold a customer's request."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0)
    return client.register_script(_INCREMENT_LUA)
