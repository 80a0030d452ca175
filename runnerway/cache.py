"""Django's Redis cache backend with one `redis.Redis` client per connection pool, a counter for throttles, and
the cache-aside helper of the hot reads.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` around the pooled connections on every cache
call; redis-py 8's constructor fills a table of ~170 response callbacks each time, ~0.15 ms of CPU — as much as
the Redis round trip itself. A `redis.Redis` is thread-safe and the pool it wraps is fork-aware, so one per pool
is enough (settings.CACHES uses this backend when REDIS_URL is set).

`hit_counter(key, window_s)` counts hits on a key that expires `window_s` after its last hit: one round trip on
Redis (INCR + EXPIRE sent together), `add` + `incr` on any other Django cache (local memory in development).

`CacheAside` keeps a value derived from one database row under the row's primary key (the token's user, a
completed workout's detail output). Readers fill it with `add` only; writers delete it (the receivers of the
row's model, and an explicit `invalidate()` after a bulk `update()`, which sends no signal). One race remains
after a plain delete: a reader that read the old row before the write committed and writes it back after the
delete. So when the write commits, the key holds a guard for FILL_GUARD_S seconds instead, which `add` refuses;
that row is read from the database meanwhile. The timeout bounds what the code does not see (raw SQL, a data
migration). The key holds no version, so every process of a rolling deploy deletes the same key; the entry
carries the hand-bumped `version` of the code that wrote it, and an entry of another version reads as a miss.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.db import transaction
from django.utils.functional import cached_property
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger(__name__)


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._held = {}  # {pool: _HeldConnection}

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
        commands = [("MGET", *keys)] if keys else []
        commands += [("INCR", counter_key), ("EXPIRE", counter_key, window_s)]
        *values, count, _ = self._round_trip(commands)
        values = values[0] if keys else []
        return [None if value is None else self._serializer.loads(value) for value in values], count

    def _round_trip(self, commands: list[tuple]) -> list:
        """The raw replies of `commands`, sent in one write: what a pipeline sends, without its per-call machinery
        (Pipeline objects, the retry wrapper, response callbacks). A connection the server closed while it sat
        idle is replaced once; a timeout is not retried (it would double the wait)."""
        pool = self.get_client(write=True).connection_pool
        held = self._held.get(pool) or self._held.setdefault(pool, _HeldConnection(pool))
        try:
            return held.send_and_read(commands)
        except RedisConnectionError:
            return held.send_and_read(commands)


class _HeldConnection:
    """One pooled connection kept checked out for `_round_trip`: the pool's check-out and return around each call
    (its lock, a poll for stray data, observability hooks, a release event) cost ~20 µs of ~90 µs of CPU per round
    trip (bench/redis_round_trip.py). Under WSGI each thread has its own cache object, and so its own pool and
    this; Django's cache connections are context-local, not thread-local, so under ASGI concurrent requests may
    share one, and a caller that finds it busy takes a connection from the pool for that call. After a fork the
    child checks out its own; the parent's socket is never touched. No reply is ever left unread on it: any failure
    disconnects it, and the next call connects it again."""

    def __init__(self, pool):
        self._pool = pool
        self._lock = threading.Lock()
        self._connection = None
        self._pid = None

    def send_and_read(self, commands: list[tuple]) -> list:
        if not self._lock.acquire(blocking=False):
            connection = self._pool.get_connection()
            try:
                return _send_and_read(connection, commands)
            finally:
                self._pool.release(connection)
        try:
            if self._pid != os.getpid():
                self._connection, self._pid = self._pool.get_connection(), os.getpid()
            return _send_and_read(self._connection, commands)
        finally:
            self._lock.release()


def _send_and_read(connection, commands: list[tuple]) -> list:
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        return [connection.read_response() for _ in commands]
    except BaseException:
        connection.disconnect()  # replies may be left unread: the next call connects it again
        raise


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self):
        return RedisCacheClient(self._servers, **self._options)

    def incr_expiring(self, key, window_s: int, version=None) -> int:
        """Add one to the counter `key` (created at 0) and (re)set its expiry to `window_s`; the new count."""
        return self._cache.incr_expiring(self.make_and_validate_key(key, version=version), window_s)

    def get_many_and_incr_expiring(self, keys, counter_key, window_s: int):
        """The values of `keys` (None where absent) and `incr_expiring(counter_key, window_s)`, in one round trip."""
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


def get_many_and_hit(keys: list[str], counter_key: str, window_s: int) -> tuple[dict, int]:
    """The default cache's values of `keys` ({key: value or None}) and one more `hit_counter(counter_key,
    window_s)`: one round trip on Redis. What an authenticated request reads first (accounts.authentication)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        values, count = cache.get_many_and_incr_expiring(keys, counter_key, window_s)
        return dict(zip(keys, values, strict=True)), count
    found = cache.get_many(keys) if keys else {}
    return {key: found.get(key) for key in keys}, hit_counter(counter_key, window_s)


# Longer than a reader takes between its SELECT and its write-back; the row is read from the database meanwhile.
FILL_GUARD_S = 5
FILL_GUARD = "cache-aside:written"


class CacheAside:
    """Values derived from one row each, in the default cache as (version, value) under `<name>:<pk>`.

    On only while `settings.<timeout_setting>` is > 0, which the settings do only with a shared cache (Redis):
    a per-process cache would never hear the other processes' deletes (runnerway.checks warns)."""

    def __init__(self, name: str, *, version: int, timeout_setting: str):
        """`version`: bump it by hand whenever the stored value changes its shape or content."""
        self.name = name
        self.version = version
        self.timeout_setting = timeout_setting

    @property
    def enabled(self) -> bool:
        return getattr(settings, self.timeout_setting) > 0

    def key(self, pk) -> str:
        return f"{self.name}:{pk}"

    def get(self, pk, *, prefetched: dict | None = None):
        """The cached value of row `pk`, or None (not cached, written a moment ago, another version, off).
        `prefetched`: {key: stored or None} this request read already (get_many_and_hit); not read again."""
        if not self.enabled:
            return None
        key = self.key(pk)
        stored = prefetched[key] if prefetched is not None and key in prefetched else caches["default"].get(key)
        return stored[1] if isinstance(stored, tuple) and stored[0] == self.version else None

    def add(self, pk, value) -> None:
        """Cache row `pk`'s value unless the key holds anything (a guard, an entry of another version)."""
        if self.enabled:
            caches["default"].add(self.key(pk), (self.version, value), getattr(settings, self.timeout_setting))

    def invalidate(self, pks: Iterable) -> None:
        """Delete these rows' entries now, and guard them when the current transaction commits (at once
        outside one). Call it wherever such a row is written without a signal (`QuerySet.update()`)."""
        if not self.enabled:
            return
        keys = [self.key(pk) for pk in pks]
        if not keys:
            return
        caches["default"].delete_many(keys)  # a cache failure before the commit fails the write
        transaction.on_commit(lambda: _guard(keys))


def _guard(keys: list[str]) -> None:
    # After the commit the write stands: a cache failure here must not turn it into an error for the client.
    # The delete before the commit and the entry's timeout bound the rest.
    try:
        caches["default"].set_many(dict.fromkeys(keys, FILL_GUARD), FILL_GUARD_S)
    except Exception:
        logger.exception("cache-aside: guards after commit not written for %d keys", len(keys))
