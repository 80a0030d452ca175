"""Reads of the workouts app: lists, the recorded track, per-user stats, stale workouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone, translation

from runnerway.cache import CacheAside
from runnerway.i18n import active_language
from workouts.models import UserStats, Workout, WorkoutImport, WorkoutPoint
from workouts.output import WORKOUT_OUTPUT_FIELDS, WORKOUT_OUTPUT_VERSION, workout_data
from workouts.services import ROUTE_COMPLETED_MIN_PERCENT, STALE_AFTER

STATS_PERIODS = ("all", "week", "month", "year")




def route_runner_count(*, route_id, copy_ids) -> int:
    """Runners with a completed, not deleted workout on the route or on one of its copies (`copy_ids`: their
    primary keys, a list or a subquery): one indexed count (Workout.route)."""
    return (Workout.objects.filter(Q(route_id=route_id) | Q(route_id__in=copy_ids),
                                   status=Workout.Status.COMPLETED, deleted_at__isnull=True)
            .values("user_id").distinct().count())


def _for_output(workouts: QuerySet[Workout]) -> QuerySet[Workout]:
    return workouts.select_related("route__shape").only(*WORKOUT_OUTPUT_FIELDS)


def workout_get_for_user(*, user, workout_id) -> Workout | None:
    """The user's own, not deleted workout (others' and deleted ones are None: the API answers 404)."""
    return Workout.objects.of_user(user).select_related("route__shape").filter(pk=workout_id).first()


def workout_import_for_user(*, user, import_id):
    """The user's own import (anyone else's is None: the API answers 404)."""
    return WorkoutImport.objects.filter(pk=import_id, user=user).first()


def workout_detail_for_user(*, user, workout_id) -> Workout | None:
    """Like workout_get_for_user, with only what the API shows (WORKOUT_OUTPUT_FIELDS): for responses only.
    One query; the route and shape carry only their names and icon."""
    return _for_output(Workout.objects.of_user(user)).filter(pk=workout_id).first()


# Completed workouts' detail output, keyed by workout id: (owner id, {language: output}). A completed workout only
# changes when it is deleted or re-measured, its route renamed or its shape edited; workouts.receivers forgets the
# entry then. Live workouts change with every batch and are never cached. The version is WORKOUT_OUTPUT_VERSION:
# bumped with the output.
workout_detail_cache = CacheAside("workout_detail", version=WORKOUT_OUTPUT_VERSION,
                                  timeout_setting="WORKOUT_DETAIL_CACHE_TIMEOUT")


def workout_detail_output(*, user, workout_id, prefetched: dict | None = None) -> dict | None:
    """What `GET /workouts/{id}` shows of the user's own workout (workouts.output.workout_data), or None (not
    theirs, deleted, unknown: 404). A completed workout is served from workout_detail_cache when cached;
    `prefetched`: what the request read from the cache already (accounts.authentication)."""
    cached = workout_detail_cache.get(workout_id, prefetched=prefetched)
    if cached is not None:
        owner_id, outputs = cached
        return outputs[_output_language(outputs)] if owner_id == str(user.pk) else None
    workout = workout_detail_for_user(user=user, workout_id=workout_id)
    if workout is None:
        return None
    if workout.status != Workout.Status.COMPLETED:
        return workout_data(workout)
    # The shape's name is in the client's language: the entry holds the output in each, made on the first read.
    outputs = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            outputs[language] = workout_data(workout)
    workout_detail_cache.add(workout_id, (str(workout.user_id), outputs))
    return outputs[_output_language(outputs)]


def _output_language(outputs: dict) -> str:
    language = active_language()
    return language if language in outputs else settings.LANGUAGE_CODE


def workouts_for_user(
    *, user, status: str | None = None, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Workout]:
    """The user's workouts, newest first. `date_from`/`date_to` are calendar days in the user's time zone
    (inclusive), applied to the start time. Route and shape are joined: one query whatever the page size."""
    workouts = _for_output(Workout.objects.of_user(user))
    if status:
        workouts = workouts.filter(status=status)
    zone = user.zone
    if date_from is not None:
        workouts = workouts.filter(started_at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to is not None:
        workouts = workouts.filter(started_at__lt=datetime.combine(date_to + timedelta(days=1), time.min,
                                                                   tzinfo=zone))
    return workouts.order_by("-started_at")


@dataclass(frozen=True)
class WorkoutTrack:
    """The points used by the metrics, in time order (parallel lists)."""

    coordinates: list[list[float]]
    times: list[datetime]
    altitudes: list[float | None]
    heart_rates: list[int | None]


def workout_track(*, workout: Workout) -> WorkoutTrack:
    """Kept points of the workout (for a completed workout, exactly the ones the metrics used)."""
    rows = (
        WorkoutPoint.objects.filter(workout_id=workout.pk, rejected_reason="")
        .order_by("recorded_at", "seq")
        .values_list("latitude", "longitude", "recorded_at", "altitude", "heart_rate")
    )
    coordinates, times, altitudes, heart_rates = [], [], [], []
    for lat, lon, recorded_at, altitude, heart_rate in rows:
        coordinates.append([round(lat, 7), round(lon, 7)])
        times.append(recorded_at)
        altitudes.append(None if altitude is None else round(altitude, 2))
        heart_rates.append(heart_rate)
    return WorkoutTrack(coordinates, times, altitudes, heart_rates)


def stale_workout_ids(*, now: datetime | None = None) -> list:
    """Active or paused workouts with no sign of life for STALE_AFTER (the (status, updated_at) index)."""
    now = now or timezone.now()
    return list(
        Workout.objects.alive()
        .filter(status__in=[Workout.Status.ACTIVE, Workout.Status.PAUSED], updated_at__lt=now - STALE_AFTER)
        .values_list("pk", flat=True)
    )


# --- stats --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserTotals:
    """Totals in SI units (the API converts): metres, seconds, kcal; records in seconds / metres."""

    total_distance_m: float
    total_workouts: int
    completed_routes: int
    total_calories_kcal: float
    total_duration_s: int
    longest_distance_m: float
    fastest_1k_s: float | None
    fastest_5k_s: float | None
    fastest_10k_s: float | None

    @property
    def avg_pace_s(self) -> float | None:
        return self.total_duration_s * 1000.0 / self.total_distance_m if self.total_distance_m > 0 else None


def period_start(*, period: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """Start of the current calendar week (Monday), month or year in `zone`; None for `all`."""
    local = now.astimezone(zone)
    day = local.date()
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    elif period == "year":
        day = day.replace(month=1, day=1)
    else:
        return None
    return datetime.combine(day, time.min, tzinfo=zone)


def user_totals(*, user, period: str = "all", now: datetime | None = None) -> UserTotals:
    """A user's totals and records for `period` (all | week | month | year, in the user's time zone).

    `all` reads the stored UserStats row (one query); a period runs one aggregate over the stored totals of
    the user's completed workouts started since the period began — never the points.
    """
    if period == "all":
        stats = UserStats.objects.filter(user=user).first()
        if stats is None:
            return UserTotals(0.0, 0, 0, 0.0, 0, 0.0, None, None, None)
        return UserTotals(stats.total_distance_m, stats.total_workouts, stats.completed_routes,
                          stats.total_calories_kcal, stats.total_duration_s, stats.longest_distance_m,
                          stats.fastest_1k_s, stats.fastest_5k_s, stats.fastest_10k_s)
    start = period_start(period=period, zone=user.zone, now=now or timezone.now())
    totals = (
        Workout.objects.of_user(user)
        .filter(status=Workout.Status.COMPLETED, started_at__gte=start)
        .aggregate(
            distance=Sum("distance_m"), workouts=Count("pk"),
            routes=Count("pk", filter=Q(route_completion__gte=ROUTE_COMPLETED_MIN_PERCENT)),
            calories=Sum("calories_kcal"), duration=Sum("duration_s"), longest=Max("distance_m"),
            fastest_1k=Min("best_1k_s"), fastest_5k=Min("best_5k_s"), fastest_10k=Min("best_10k_s"),
        )
    )
    return UserTotals(
        total_distance_m=totals["distance"] or 0.0, total_workouts=totals["workouts"],
        completed_routes=totals["routes"], total_calories_kcal=totals["calories"] or 0.0,
        total_duration_s=int(totals["duration"] or 0), longest_distance_m=totals["longest"] or 0.0,
        fastest_1k_s=totals["fastest_1k"], fastest_5k_s=totals["fastest_5k"],
        fastest_10k_s=totals["fastest_10k"],
    )
