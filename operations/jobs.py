"""Every background task and schedule, in one place.

Tasks are django-q2 functions enqueued with `async_task("<dotted path>", ...)`; they take IDs, load fresh
rows, call a service, and are safe to run twice (the ORM broker delivers at least once). A task that raises
is not acknowledged, so django-q2 hands it out again after Q_CLUSTER["retry"] seconds, up to
Q_CLUSTER["max_attempts"] runs; failures stay visible in the admin under "Failed tasks".

Schedules are installed idempotently by `manage.py setup_schedules` (which `make run` calls).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_q.models import Schedule

# Dotted path → what it does. A test checks that each one imports and is callable.
TASKS: dict[str, str] = {
    "accounts.tasks.send_otp_email": "Email a one-time login code (in the language of the request that asked for it).",
    "accounts.tasks.send_account_secured_email": "Tell an owner their unverified account was secured.",
    "accounts.tasks.record_activity": "Write one activity-log row (signup, login, logout, delete...).",
    "routes.tasks.road_network_reimport": "Rebuild a road network from its OSM source (admin action).",
    "routes.tasks.road_network_import_path": "Build a road network from an OSM extract on the server (admin).",
    "workouts.tasks.run_import": "Import an uploaded GPX/FIT file into a completed workout (POST /workouts/import).",
    "community.tasks.notify_post_liked": "Notify a post's author of a like (not twice within an hour).",
    "community.tasks.notify_comment": "Notify a post's author of a comment.",
    "community.tasks.notify_followed": "Notify a user of a new follower.",
    "community.tasks.notify_personal_record": "Notify a runner of a new personal record.",
    "data_export.tasks.build_export": "Build a runner's data export zip (profile, workouts, routes, posts...).",
    "data_export.tasks.expire_exports": "Delete data export zips whose 24 h download link has expired.",
    "push.tasks.push_notification": "Push a new notification to the recipient's phones (FCM), once per phone.",
    "community.tasks.refresh_popularity": "Recompute the popular feed's scores of recently liked/commented posts.",
    "goals.tasks.goals_check_after_workout": "Check a user's active goals after a workout; notify achievements once.",
    "operations.tasks.erase_deleted_account": "Erase a deleted account's personal data (operations/erasure.py).",
    "accounts.tasks.erase_deleted_account": "The erase's former name, for tasks queued under it: queues the erase.",
    "operations.tasks.run_cleanup": "Hourly cleanup (operations/maintenance.py).",
    "operations.tasks.run_daily_analytics": "Daily aggregates and service figures (operations/analytics.py).",
}


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    schedule_type: str  # django_q.models.Schedule.HOURLY / DAILY ...
    first_run_local: time | None = None  # wall-clock time of the first run, in `time_zone`
    time_zone: str = "Asia/Seoul"
    description: str = ""


SCHEDULES: list[ScheduleSpec] = [
    ScheduleSpec(name="cleanup", func="operations.tasks.run_cleanup", schedule_type="H",
                 description="Expired OTPs and tokens, stale workouts, old route options, logs, read notifications; "
                             "queues the erase of deleted accounts still pending."),
    ScheduleSpec(name="analytics", func="operations.tasks.run_daily_analytics", schedule_type="D",
                 first_run_local=time(3, 0),
                 description="Yesterday's per-user aggregates and service figures, at 03:00 Asia/Seoul."),
    ScheduleSpec(name="expire_exports", func="data_export.tasks.expire_exports", schedule_type="H",
                 description="Delete data export zips whose download link has expired."),
    ScheduleSpec(name="popularity", func="community.tasks.refresh_popularity", schedule_type="D",
                 first_run_local=time(4, 0),
                 description="Likes and comments older than 7 days leave the posts' popularity (the popular "
                             "feed's key), at 04:00 Asia/Seoul (an hour after analytics)."),
]


def next_run_at(spec: ScheduleSpec, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    if spec.first_run_local is None:
        return now
    zone = ZoneInfo(spec.time_zone)
    local_now = now.astimezone(zone)
    candidate = datetime.combine(local_now.date(), spec.first_run_local, tzinfo=zone)
    if candidate <= local_now:
        candidate += timedelta(days=1)
    return candidate


def install_schedules(now: datetime | None = None) -> list[tuple[str, str]]:
    """Create or update every schedule by name; returns [(name, "created"|"updated"|"unchanged")]."""
    results = []
    for spec in SCHEDULES:
        existing = Schedule.objects.filter(name=spec.name).first()
        if existing is None:
            Schedule.objects.create(name=spec.name, func=spec.func, schedule_type=spec.schedule_type,
                                    repeats=-1, next_run=next_run_at(spec, now))
            results.append((spec.name, "created"))
        elif existing.func != spec.func or existing.schedule_type != spec.schedule_type or existing.repeats != -1:
            existing.func, existing.schedule_type, existing.repeats = spec.func, spec.schedule_type, -1
            existing.next_run = next_run_at(spec, now)
            existing.save()
            results.append((spec.name, "updated"))
        else:
            results.append((spec.name, "unchanged"))  # keep next_run: re-running must not shift the timetable
    return results
