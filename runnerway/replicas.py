"""Heavy reads on a replica, everything else on the primary, and read-your-writes for the user who wrote.

Only views that say so read from the replica (`ReplicaReadsMixin`: the feed, stats); every write, every
transaction and every other read stays on `default`. A replica lags the primary by up to a few seconds, so after a
user's successful write (`PrimaryPinMiddleware`) that user's reads stay on the primary for
`REPLICA_PIN_SECONDS`; the pin lives in the shared cache, so it holds across gunicorn processes and hosts. A
replica that cannot be reached is skipped by this process for `REPLICA_RETRY_SECONDS` (reads fall back to the
primary), so its outage costs one failed connect, not an outage of the API.

Without `DATABASE_REPLICA_URL` there is no `replica` alias and every read goes to `default`.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)
_replica_down_until = 0.0  # this process's monotonic clock
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _pin_key(user_id) -> str:
    return f"rw:primary-pin:{user_id}"


def pin_to_primary(user_id) -> None:
    """The user's reads stay on the primary for REPLICA_PIN_SECONDS (called after each of their writes)."""
    if settings.REPLICA_PIN_SECONDS > 0 and replica_configured():
        cache.set(_pin_key(user_id), 1, settings.REPLICA_PIN_SECONDS)


def pinned_to_primary(user_id) -> bool:
    return cache.get(_pin_key(user_id)) is not None


def replica_usable() -> bool:
    """A connection to the replica can be had now (connects, or pings a persistent one). A failure marks the
    replica down in this process for REPLICA_RETRY_SECONDS."""
    global _replica_down_until
    if not replica_configured() or time.monotonic() < _replica_down_until:
        return False
    connection = connections[REPLICA]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        return True
    except DatabaseError as exc:
        _replica_down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning("replica unreachable, reading from the primary for %s s: %s",
                       settings.REPLICA_RETRY_SECONDS, exc)
        connection.close()
        return False


class PrimaryReplicaRouter:
    """Reads go to the replica only inside a view that opted in (the context flag); writes, migrations and
    everything else to `default`."""

    def db_for_read(self, model, **hints):
        return REPLICA if _reading_from_replica.get() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMixin:
    """For DRF views whose GETs are heavy reads that tolerate a few seconds of lag for other users' rows.

    Decided after authentication (the pin is per user) and undone when the response is finalised."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        user = getattr(request, "user", None)
        if (request.method in SAFE_METHODS and replica_configured()
                and not (user is not None and user.is_authenticated and pinned_to_primary(user.pk))
                and replica_usable()):
            request._replica_token = _reading_from_replica.set(True)

    def finalize_response(self, request, response, *args, **kwargs):
        token = getattr(request, "_replica_token", None)
        if token is not None:
            _reading_from_replica.reset(token)
            request._replica_token = None
        return super().finalize_response(request, response, *args, **kwargs)


class PrimaryPinMiddleware:
    """After a successful write by an authenticated user, pin that user's reads to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            user = getattr(request, "user", None)  # DRF sets the authenticated user on the Django request too
            if user is not None and user.is_authenticated:
                pin_to_primary(user.pk)
        return response
