"""System checks of the settings that code alone cannot keep right."""

from django.conf import settings
from django.core import checks
from django.core.cache import caches

ROW_CACHE_SETTINGS = ("TOKEN_USER_CACHE_TIMEOUT", "WORKOUT_DETAIL_CACHE_TIMEOUT")


@checks.register(checks.Tags.caches)
def row_caches_need_a_shared_cache(app_configs, **kwargs):
    """The row caches (runnerway/rowcache.py) are coherent only in a cache every process shares: with a
    per-process one, a user deactivated through one process would stay logged in on the others."""
    from runnerway.cache import RedisCache

    enabled = [name for name in ROW_CACHE_SETTINGS if getattr(settings, name) > 0]
    if not enabled or isinstance(caches["default"], RedisCache):
        return []
    return [checks.Warning(
        f"{', '.join(enabled)} > 0 without a shared cache: each process would keep rows that other processes "
        "changed (a deactivated user stays logged in there for up to the timeout).",
        hint="Set REDIS_URL, or leave these variables empty (0 without Redis).", id="runnerway.W001")]
