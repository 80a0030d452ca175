"""Values derived from one database row, kept in the shared cache under the row's primary key.

Used for the reads behind every authenticated request (the token's user) and the most frequent detail read
(a completed workout), so that such a request costs one Redis round trip instead of a database query.

Correctness rests on invalidation: whatever writes the row must call `invalidate()`. The models wire it to
`post_save` / `post_delete` and build their querysets on InvalidatingQuerySet (bulk `update()`), so saves, admin
actions and bulk updates all reach it. An invalidation does not just delete the entry: it leaves a tombstone for
TOMBSTONE_S seconds, at once and again when the transaction commits, and readers fill the cache only with `add`
(Redis SET NX), which a tombstone refuses. So a reader that read the old row before the commit (and was slow to
write it back) cannot put it into the cache after the invalidation; for a few seconds after a write that row is
read from the database. The timeout bounds anything that still slips through (a write the code does not see: raw
SQL, a data migration).

The key holds no version: every process, whatever code it runs during a rolling deploy, invalidates the same
key. The entry carries the version of the code that wrote it (a digest of what shapes the value: `shaped_by`),
and an entry of another version reads as a miss.

A cache is on only when `settings.<timeout_setting>` is > 0, which the settings do only with a shared cache
(Redis): with a per-process local-memory cache, one process would never hear another's invalidations
(runnerway.checks warns about such a configuration).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import caches
from django.db import models, transaction
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

from runnerway.cache import get_many_and_hit

logger = logging.getLogger(__name__)

TOMBSTONE = "row-cache:invalidated"
# Longer than a reader can take between its SELECT and its write-back; the row is read from the database meanwhile.
TOMBSTONE_S = 10


class RowCache:
    def __init__(self, name: str, *, shaped_by: Callable[[], Iterable[bytes]], timeout_setting: str):
        """`shaped_by()`: what decides the cached value's shape (source files, column names); its digest is the
        entries' version. Called once, on first use."""
        self.name = name
        self._shaped_by = shaped_by
        self.timeout_setting = timeout_setting

    @cached_property
    def version(self) -> str:
        return hashlib.blake2s(b"\0".join(self._shaped_by()), digest_size=4).hexdigest()

    @property
    def timeout_s(self) -> int:
        return getattr(settings, self.timeout_setting)

    @property
    def enabled(self) -> bool:
        return self.timeout_s > 0

    def key(self, pk) -> str:
        return f"row:{self.name}:{pk}"

    def get(self, pk, *, prefetched: dict | None = None):
        """The cached value of row `pk`, or None (not cached, invalidated a moment ago, written by other code,
        or the cache is off). `prefetched`: what this request already read (read_rows), {key: stored or None};
        a key found there is not read again."""
        if not self.enabled:
            return None
        key = self.key(pk)
        stored = prefetched[key] if prefetched is not None and key in prefetched else caches["default"].get(key)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.version:
            return stored[1]
        return None

    def set(self, pk, value) -> None:
        """Cache row `pk`'s value unless the key holds anything already (a tombstone, another version's entry)."""
        if self.enabled:
            caches["default"].add(self.key(pk), (self.version, value), self.timeout_s)

    def invalidate(self, pks: Iterable) -> None:
        """Tombstone these rows now and again when the current transaction commits (at once outside one)."""
        if not self.enabled:
            return
        tombstones = dict.fromkeys((self.key(pk) for pk in pks), TOMBSTONE)
        if not tombstones:
            return
        cache = caches["default"]
        cache.set_many(tombstones, TOMBSTONE_S)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: self._tombstone_after_commit(tombstones))

    @staticmethod
    def _tombstone_after_commit(tombstones: dict) -> None:
        # After the commit the write stands: a cache failure here must not turn it into an error for the client.
        # The tombstone of the same keys was written before the commit; the entry's timeout bounds the rest.
        try:
            caches["default"].set_many(tombstones, TOMBSTONE_S)
        except Exception:
            logger.exception("row cache: tombstones after commit not written for %d keys", len(tombstones))


class InvalidatingQuerySet(models.QuerySet):
    """A queryset whose bulk `update()` (which sends no post_save) invalidates the rows it changes in the row
    cache named by `row_cache` (a dotted path: the cache lives with the reads, which import the models). Their
    primary keys are read first, one query more, only while that cache is on."""

    row_cache: str

    def update(self, **changes):
        cache = import_string(self.row_cache)
        changed_pks = list(self.values_list("pk", flat=True)) if cache.enabled else []
        count = super().update(**changes)
        cache.invalidate(changed_pks)
        return count


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
