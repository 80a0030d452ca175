"""What the API shows of a workout: `workout_data()`, the one function that builds it, and the columns it reads.

workouts.serializers.WorkoutSerializer declares the same fields for the OpenAPI schema only (a test holds the
two to the same keys, and schemathesis validates the output against the schema). Changing what this returns
means bumping WORKOUT_OUTPUT_VERSION: completed workouts' output is cached (workouts.selectors), and an entry
of another version reads as a miss.
"""

from __future__ import annotations

from rest_framework import serializers

from runnerway.api.units import coordinate, format_pace, km, one_decimal, whole
from workouts.models import Workout

WORKOUT_OUTPUT_VERSION = 2

# Reads for output load these columns, and of the joined route and shape only their names and icon (not a
# route's custom points or SVG path, nor a shape's template). Anything else read from such a workout would cost
# one query more.
WORKOUT_OUTPUT_FIELDS = (
    "id", "user_id", "type", "status", "source", "route_id", "route_option_id", "started_at", "completed_at",
    "start_latitude", "start_longitude", "end_latitude", "end_longitude", "distance_m", "duration_s",
    "elapsed_duration_s", "avg_pace_s", "max_pace_s", "min_pace_s", "calories_kcal", "calories_source",
    "weight_assumed", "heart_rate_avg", "heart_rate_max", "elevation_gain_m", "elevation_loss_m",
    "route_completion", "shape_accuracy", "splits", "points_count", "created_at", "updated_at",
    "route__name", "route__shape__shape_id", "route__shape__name", "route__shape__name_ko",
    "route__shape__icon_name",
)

_DATETIME = serializers.DateTimeField()  # API.md datetimes: ISO 8601 in UTC with "Z", exactly as DRF's field


def _when(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def _as(kind, value):
    return None if value is None else kind(value)


def split_data(split: dict) -> dict:
    """One stored split (SI units: Workout.splits) as the API shows it."""
    return {"km": split["km"], "distance": km(split["distance_m"]), "duration": whole(split["duration_s"]),
            "pace": format_pace(split["pace_s"]), "pace_s": whole(split["pace_s"]),
            "elevation_change": one_decimal(split["elevation_change_m"]), "is_partial": split["is_partial"]}


def workout_data(workout: Workout) -> dict:
    """The API's representation of one workout (the route and its shape joined, or one query more)."""
    route = workout.route if workout.route_id else None
    shape = route.shape if route is not None and route.shape_id else None
    return {
        "id": str(workout.id),
        "type": str(workout.type),
        "status": str(workout.status),
        "source": str(workout.source),
        "route_id": _as(str, workout.route_id),
        "route_option_id": _as(str, workout.route_option_id),
        "route_name": route.name if route is not None else None,
        "started_at": _when(workout.started_at),
        "completed_at": _when(workout.completed_at),
        "start_latitude": coordinate(workout.start_latitude),
        "start_longitude": coordinate(workout.start_longitude),
        "end_latitude": coordinate(workout.end_latitude),
        "end_longitude": coordinate(workout.end_longitude),
        "distance": km(workout.distance_m),
        "duration": _as(int, workout.duration_s),
        "elapsed_duration": _as(int, workout.elapsed_duration_s),
        "avg_pace": format_pace(workout.avg_pace_s),
        "avg_pace_s": whole(workout.avg_pace_s),
        "max_pace": format_pace(workout.max_pace_s),
        "max_pace_s": whole(workout.max_pace_s),
        "min_pace": format_pace(workout.min_pace_s),
        "min_pace_s": whole(workout.min_pace_s),
        "calories": whole(workout.calories_kcal),
        "calories_source": workout.calories_source or None,
        "calories_estimated": workout.calories_source == "estimated",
        "weight_assumed": _as(bool, workout.weight_assumed),
        "heart_rate_avg": whole(workout.heart_rate_avg),
        "heart_rate_max": whole(workout.heart_rate_max),
        "elevation_gain": one_decimal(workout.elevation_gain_m),
        "elevation_loss": one_decimal(workout.elevation_loss_m),
        "route_completion": one_decimal(workout.route_completion),
        "shape_accuracy": one_decimal(workout.shape_accuracy),
        "shape_id": shape.shape_id if shape is not None else None,
        "shape_name": shape.display_name if shape is not None else None,
        "shape_icon": shape.icon_name if shape is not None else None,
        "splits": [split_data(split) for split in workout.splits],
        "points_count": _as(int, workout.points_count),
        "created_at": _when(workout.created_at),
        "updated_at": _when(workout.updated_at),
    }
