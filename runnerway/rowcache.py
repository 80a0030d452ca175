"""Values derived from one database row, kept in the shared cache under the row's primary key.

Used for the reads behind every authenticated request (the token's user) and the most frequent detail read
(a completed workout), so that such a request costs one Redis round trip instead of a database query.

Correctness rests on invalidation: whatever writes the row must call `invalidate()`. The models wire it to
`post_save` / `post_delete` and to their queryset's `update()`, so saves, admin actions and bulk updates all
reach it. An invalidation deletes the entry at once and again after the
transaction commits: a reader that filled the cache from the old row before the commit does not leave it
there. The timeout bounds anything that still slips through (a reader that read before the commit and wrote
after the second delete: microseconds wide).

A cache is on only when `settings.<timeout_setting>` is > 0, which the settings do only with a shared cache
(Redis): with a per-process local-memory cache, one process would never hear another's invalidations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils.functional import cached_property

from runnerway.cache import get_many_and_hit


class RowCache:
    def __init__(self, name: str, *, version: Callable[[], str], timeout_setting: str):
        # `version()` changes whenever what is cached changes shape (columns, output fields), so entries written
        # by the code of a previous deploy are never read by this one. Called once, on first use.
        self.name = name
        self._version = version
        self.timeout_setting = timeout_setting

    @cached_property
    def prefix(self) -> str:
        return f"row:{self.name}:{self._version()}:"

    @property
    def timeout_s(self) -> int:
        return getattr(settings, self.timeout_setting)

    @property
    def enabled(self) -> bool:
        return self.timeout_s > 0

    def key(self, pk) -> str:
        return f"{self.prefix}{pk}"

    def get(self, pk, *, prefetched: dict | None = None):
        """The cached value of row `pk`, or None (not cached, or the cache is off). `prefetched`: cache values
        this request already read (read_rows), {key: value or None}; a key found there is not read again."""
        if not self.enabled:
            return None
        key = self.key(pk)
        if prefetched is not None and key in prefetched:
            return prefetched[key]
        return caches["default"].get(key)

    def set(self, pk, value) -> None:
        if self.enabled:
            caches["default"].set(self.key(pk), value, self.timeout_s)

    def invalidate(self, pks: Iterable) -> None:
        """Forget these rows now and once more when the current transaction commits (at once outside one)."""
        if not self.enabled:
            return
        keys = [self.key(pk) for pk in pks]
        if not keys:
            return
        cache = caches["default"]
        cache.delete_many(keys)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: cache.delete_many(keys))


def read_rows(rows: list[tuple[RowCache, object]], *, count_hit: tuple[str, int] | None = None):
    """Several caches' rows and optionally one more hit on a rate counter, in one round trip on Redis.

    `rows`: (cache, pk) pairs; those of caches that are off are not read. Returns ({key: value or None},
    count or None); pass the dict as `prefetched` to RowCache.get."""
    keys = [cache.key(pk) for cache, pk in rows if cache.enabled]
    if count_hit is None:
        found = caches["default"].get_many(keys) if keys else {}
        return {key: found.get(key) for key in keys}, None
    values, count = get_many_and_hit(keys, *count_hit)
    return dict(zip(keys, values, strict=True)), count
