"""Health of the service: the database and the background job queue."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, connection
from django.utils import timezone

# The queue is `degraded` when tasks wait but the cluster has run nothing for this long (it is down or stuck),
# or when this many tasks failed in the last hour (something keeps breaking).
QUEUE_STALL_AFTER = timedelta(minutes=10)
QUEUE_FAILURES_PER_HOUR_DEGRADED = 20


@dataclass(frozen=True)
class HealthReport:
    database: str  # "ok" | "down"
    queue: str  # "ok" | "degraded" | "unknown"

    @property
    def status(self) -> str:
        # API.md: the service is "ok" while it can answer requests; a slow or stuck queue shows in `queue`
        # (background work is late, requests still work). Without the database nothing works: "down".
        return "ok" if self.database == "ok" else "down"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "down"
    return "ok"


def check_queue(now=None) -> str:
    """`degraded` when the oldest waiting task has waited > 10 min and the cluster finished nothing in that
    time (no cluster, or a stuck one), or when failures pile up; `unknown` when the queue tables are unreadable."""
    from django_q.models import OrmQ, Task

    now = now or timezone.now()
    try:
        oldest_waiting = OrmQ.objects.order_by("id").first()
        last_finished = Task.objects.order_by("-stopped").values_list("stopped", flat=True).first()
        recent_failures = Task.objects.filter(success=False, stopped__gte=now - timedelta(hours=1)).count()
    except DatabaseError:
        return "unknown"
    if recent_failures >= QUEUE_FAILURES_PER_HOUR_DEGRADED:
        return "degraded"
    if oldest_waiting is not None:
        enqueued_at = oldest_waiting.task.get("started") or now
        cluster_idle = last_finished is None or now - last_finished > QUEUE_STALL_AFTER
        if now - enqueued_at > QUEUE_STALL_AFTER and cluster_idle:
            return "degraded"
    return "ok"


def service_health() -> HealthReport:
    database = check_database()
    queue = check_queue() if database == "ok" else "unknown"
    return HealthReport(database=database, queue=queue)
