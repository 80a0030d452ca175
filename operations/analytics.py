"""The daily analytics job: per-user daily aggregates and service-wide figures for one day.

Idempotent: it recomputes a day from the source rows and upserts, so running it twice (or the queue
delivering it twice) gives the same rows. Days are calendar days in ANALYTICS_TIME_ZONE (Asia/Seoul: the
service's users), so "yesterday" means the same thing to staff as to the runners.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone

from accounts.models import User
from routes.models import Route
from runnerway.models import DailyGlobalStats, DailyUserActivity
from workouts.models import Workout

POPULAR_SHAPES_TOP = 5


@dataclass(frozen=True)
class AnalyticsReport:
    day: date
    users_with_activity: int
    global_stats: DailyGlobalStats


def analytics_zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "ANALYTICS_TIME_ZONE", "Asia/Seoul"))


def day_bounds(day: date, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    zone = zone or analytics_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def yesterday(now: datetime | None = None) -> date:
    now = now or timezone.now()
    return (now.astimezone(analytics_zone()) - timedelta(days=1)).date()


def _completed_workouts_between(start: datetime, end: datetime):
    return Workout.objects.filter(status=Workout.Status.COMPLETED, deleted_at__isnull=True,
                                  started_at__gte=start, started_at__lt=end)


@transaction.atomic
def compute_daily_analytics(*, day: date) -> AnalyticsReport:
    start, end = day_bounds(day)
    workouts = _completed_workouts_between(start, end)

    per_user = (workouts.values("user_id")
                .annotate(distance=Sum("distance_m"), count=Count("id"), duration=Sum("duration_s"),
                          calories=Sum("calories_kcal")))
    rows = [DailyUserActivity(user_id=row["user_id"], day=day, distance_m=row["distance"] or 0.0,
                              workouts=row["count"], duration_s=row["duration"] or 0,
                              calories_kcal=row["calories"] or 0.0) for row in per_user]
    # Replace the day's rows: a workout deleted since the last run must disappear from the aggregate too.
    DailyUserActivity.objects.filter(day=day).exclude(user_id__in=[r.user_id for r in rows]).delete()
    # MariaDB's upsert (ON DUPLICATE KEY UPDATE) takes no conflict target: it uses the (user, day) unique key.
    conflict_target = ["user", "day"] if connection.features.supports_update_conflicts_with_target else None
    DailyUserActivity.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=conflict_target,
        update_fields=["distance_m", "workouts", "duration_s", "calories_kcal", "computed_at"])

    week_start, _ = day_bounds(day - timedelta(days=6))
    totals = workouts.aggregate(count=Count("id"), distance=Sum("distance_m"),
                                accuracy=Avg("shape_accuracy"))
    popular = (Route.objects.filter(created_at__gte=start, created_at__lt=end, shape__isnull=False)
               .values("shape__shape_id", "shape__name").annotate(routes=Count("id"))
               .order_by("-routes", "shape__shape_id")[:POPULAR_SHAPES_TOP])
    global_stats, _ = DailyGlobalStats.objects.update_or_create(
        day=day,
        defaults={
            "active_users": len(rows),
            "weekly_active_users": _completed_workouts_between(week_start, end)
            .values("user_id").distinct().count(),
            "new_users": User.objects.filter(created_at__gte=start, created_at__lt=end).count(),
            "workouts": totals["count"] or 0,
            "distance_m": totals["distance"] or 0.0,
            "routes_planned": Route.objects.filter(created_at__gte=start, created_at__lt=end).count(),
            "popular_shapes": [{"shape_id": p["shape__shape_id"], "name": p["shape__name"], "routes": p["routes"]}
                               for p in popular],
            "avg_shape_accuracy": round(totals["accuracy"], 1) if totals["accuracy"] is not None else None,
        },
    )
    return AnalyticsReport(day=day, users_with_activity=len(rows), global_stats=global_stats)
