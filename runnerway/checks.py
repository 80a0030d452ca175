"""System checks of the settings that code alone cannot keep right."""

from django.conf import settings
from django.core import checks
from django.core.cache import caches

from runnerway.cache import RedisCache

ROW_CACHE_SETTINGS = ("TOKEN_USER_CACHE_TIMEOUT", "WORKOUT_DETAIL_CACHE_TIMEOUT")


@checks.register(checks.Tags.caches)
def row_caches_need_a_shared_cache(app_configs, **kwargs):
    """The row caches (runnerway.cache.CacheAside) are coherent only in a cache every process shares: with a
    per-process one, a user deactivated through one process would stay logged in on the others."""
    enabled = [name for name in ROW_CACHE_SETTINGS if getattr(settings, name) > 0]
    if not enabled or isinstance(caches["default"], RedisCache):
        return []
    return [checks.Warning(
        f"{', '.join(enabled)} > 0 without a shared cache: each process would keep rows that other processes "
        "changed (a deactivated user stays logged in there for up to the timeout).",
        hint="Set REDIS_URL, or leave these variables empty (0 without Redis).", id="runnerway.W001")]


@checks.register(checks.Tags.database)
def mariadb_knows_the_time_zone(app_configs, databases=None, **kwargs):
    """With TIME_ZONE Asia/Seoul, date lookups in that zone (the admin's date filters and date hierarchy) make
    MariaDB convert with CONVERT_TZ, which answers NULL until its time zone tables are loaded: those pages then
    fail with "Database returned an invalid datetime value"."""
    from django.db import connections

    problems = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "mysql" or settings.TIME_ZONE == "UTC":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT CONVERT_TZ('2026-01-01 00:00:00', 'UTC', %s)", [settings.TIME_ZONE])
            converted = cursor.fetchone()[0]
        if converted is None:
            problems.append(checks.Warning(
                f"The database {alias!r} cannot convert to {settings.TIME_ZONE}: its time zone tables are empty, "
                "so the admin's date filters fail.",
                hint="Load them once per server: mariadb-tzinfo-to-sql /usr/share/zoneinfo | mariadb -u root mysql",
                id="runnerway.W002"))
    return problems
