"""Django's Redis cache backend with one `redis.Redis` client per connection pool, and a counter for throttles.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` around the pooled connections on every cache
call; redis-py 8's constructor fills a table of ~170 response callbacks each time, ~0.15 ms of CPU — as much as
the Redis round trip itself. A `redis.Redis` is thread-safe and the pool it wraps is fork-aware, so one per pool
is enough (settings.CACHES uses this backend when REDIS_URL is set).

`hit_counter(key, window_s)` counts hits on a key that expires `window_s` after its last hit: one round trip on
Redis (INCR + EXPIRE in a pipeline), `add` + `incr` on any other Django cache (local memory in development).
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)  # reads may go to a replica when several are set
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client

    def incr_expiring(self, key, window_s: int) -> int:
        return self.get_many_and_incr_expiring([], key, window_s)[1]

    def get_many_and_incr_expiring(self, keys, counter_key, window_s: int):
        pipeline = self.get_client(counter_key, write=True).pipeline(transaction=False)
        if keys:
            pipeline.mget(keys)
        pipeline.incr(counter_key)
        pipeline.expire(counter_key, window_s)
        *values, count, _ = pipeline.execute()
        values = values[0] if keys else []
        return [None if value is None else self._serializer.loads(value) for value in values], count


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self):
        return RedisCacheClient(self._servers, **self._options)

    def incr_expiring(self, key, window_s: int, version=None) -> int:
        """Add one to the counter `key` (created at 0) and (re)set its expiry to `window_s`; the new count."""
        return self._cache.incr_expiring(self.make_and_validate_key(key, version=version), window_s)

    def get_many_and_incr_expiring(self, keys, counter_key, window_s: int):
        """The values of `keys` (None where absent) and `incr_expiring(counter_key, window_s)`, in one round trip."""
        # make_key, not make_and_validate_key: the validation warns about memcached's key limits, one character
        # at a time (~10 us a key), and these keys are ours.
        return self._cache.get_many_and_incr_expiring([self.make_key(key) for key in keys],
                                                      self.make_key(counter_key), window_s)


def hit_counter(key: str, window_s: int) -> int:
    """One more hit on `key` in the default cache; the count so far. The key expires `window_s` seconds after
    its last hit (on Redis) or its first (elsewhere): callers put the window's number in the key."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return cache.incr_expiring(key, window_s)
    cache.add(key, 0, timeout=window_s)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr (a window boundary): start again
        cache.add(key, 1, timeout=window_s)
        return 1


def get_many_and_hit(keys: list[str], counter_key: str, window_s: int) -> tuple[list, int]:
    """The default cache's values of `keys` (None where absent) and one more `hit_counter(counter_key, window_s)`:
    one round trip on Redis (what an authenticated request needs: its user's row, what its view will read, and
    its rate-limit count)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return cache.get_many_and_incr_expiring(keys, counter_key, window_s)
    found = cache.get_many(keys) if keys else {}
    return [found.get(key) for key in keys], hit_counter(counter_key, window_s)
