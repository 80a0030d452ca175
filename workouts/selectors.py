"""Reads of the workouts app: lists, the recorded track, per-user stats, stale workouts."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polyline as polyline_codec
from django.db import connections
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from workouts.models import UserStats, Workout, WorkoutPoint
from workouts.services import ROUTE_COMPLETED_MIN_PERCENT, STALE_AFTER

STATS_PERIODS = ("all", "week", "month", "year")


def user_zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# What the API shows of a workout (workouts.serializers.workout_data): reads for output load these columns, and of
# the joined route and shape only their names and icon (not a route's custom points or SVG path, nor a shape's
# template). Anything else read from such a workout would cost one query more.
WORKOUT_OUTPUT_FIELDS = (
    "id", "user_id", "type", "status", "source", "route_id", "route_option_id", "started_at", "completed_at",
    "start_latitude", "start_longitude", "end_latitude", "end_longitude", "distance_m", "duration_s",
    "elapsed_duration_s", "avg_pace_s", "max_pace_s", "min_pace_s", "calories_kcal", "calories_source",
    "weight_assumed", "heart_rate_avg", "heart_rate_max", "elevation_gain_m", "elevation_loss_m",
    "route_completion", "shape_accuracy", "splits", "points_count", "created_at", "updated_at",
    "route__name", "route__shape__shape_id", "route__shape__name", "route__shape__icon_name",
)


def _for_output(workouts: QuerySet[Workout]) -> QuerySet[Workout]:
    return workouts.select_related("route__shape").only(*WORKOUT_OUTPUT_FIELDS)


def workout_get_for_user(*, user, workout_id) -> Workout | None:
    """The user's own, not deleted workout (others' and deleted ones are None: the API answers 404)."""
    return Workout.objects.of_user(user).select_related("route__shape").filter(pk=workout_id).first()


@functools.cache
def _detail_sql(vendor: str) -> str:
    """The detail read as one SQL statement, built once from the models' tables and columns.

    Building the equivalent queryset (three tables, ~35 columns) costs ~0.5 ms of CPU in the ORM on every request,
    half of a detail GET; the raw query returns the same Workout (Django's converters applied, other columns
    deferred) with its route and shape. Same filters as of_user(): the user's own, not soft-deleted.
    """
    from routes.models import Route, RouteShape

    quote = connections["default"].ops.quote_name

    def column(alias: str, model, name: str) -> str:
        return f"{alias}.{quote(model._meta.get_field(name).column)}"

    own = [column("w", Workout, name) for name in WORKOUT_OUTPUT_FIELDS if not name.startswith("route__")]
    related = [column("r", Route, "name") + " AS route__name", column("r", Route, "shape") + " AS route__shape",
               *(column("s", RouteShape, name) + f" AS route__shape__{name}" for name in ("shape_id", "name",
                                                                                      "icon_name"))]
    tables = {model: quote(model._meta.db_table) for model in (Workout, Route, RouteShape)}
    # Identifiers come from the models' metadata (quoted); the two values are bound parameters.
    sql = (
        f"SELECT {', '.join(own + related)} FROM {tables[Workout]} w "  # noqa: S608
        f"LEFT JOIN {tables[Route]} r ON {column('r', Route, 'id')} = {column('w', Workout, 'route')} "
        f"LEFT JOIN {tables[RouteShape]} s ON {column('s', RouteShape, 'id')} = {column('r', Route, 'shape')} "
        f"WHERE {column('w', Workout, 'id')} = %s AND {column('w', Workout, 'user')} = %s "
        f"AND {column('w', Workout, 'deleted_at')} IS NULL"
    )
    return sql


def workout_detail_for_user(*, user, workout_id) -> Workout | None:
    """Like workout_get_for_user, with only what the API shows (WORKOUT_OUTPUT_FIELDS): for responses only.
    One query (see _detail_sql); the route and shape carry only their id, name, slug and icon."""
    from routes.models import Route, RouteShape

    connection = connections["default"]
    params = [Workout._meta.pk.get_db_prep_value(workout_id, connection),
              Workout._meta.pk.get_db_prep_value(user.pk, connection)]  # users' ids are UUIDs like workouts'
    workout = next(iter(Workout.objects.raw(_detail_sql(connection.vendor), params)), None)
    if workout is None:
        return None
    if workout.route_id is not None:
        shape_pk = workout.__dict__.pop("route__shape")
        route = Route.from_db("default", ["id", "name", "shape_id"],
                              (workout.route_id, workout.__dict__.pop("route__name"), shape_pk))
        if shape_pk is not None:
            route.shape = RouteShape.from_db("default", ["id", "shape_id", "name", "icon_name"], (
                shape_pk, workout.__dict__.pop("route__shape__shape_id"), workout.__dict__.pop("route__shape__name"),
                workout.__dict__.pop("route__shape__icon_name")))
        workout.route = route
    return workout


def workouts_for_user(
    *, user, status: str | None = None, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Workout]:
    """The user's workouts, newest first. `date_from`/`date_to` are calendar days in the user's time zone
    (inclusive), applied to the start time. Route and shape are joined: one query whatever the page size."""
    workouts = _for_output(Workout.objects.of_user(user))
    if status:
        workouts = workouts.filter(status=status)
    zone = user_zone(user)
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


def path_object(coordinates: list[list[float]]) -> dict:
    """API.md's path object: encoded polyline (precision 5), the coordinates and their bbox (null if none)."""
    if not coordinates:
        return {"polyline": "", "coordinates": [], "bbox": None}
    lats = [lat for lat, _ in coordinates]
    lngs = [lng for _, lng in coordinates]
    return {
        "polyline": polyline_codec.encode(coordinates, 5),
        "coordinates": coordinates,
        "bbox": [min(lats), min(lngs), max(lats), max(lngs)],
    }


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
    start = period_start(period=period, zone=user_zone(user), now=now or timezone.now())
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
