"""RunnerWay GPS metrics engine — pure Python (numpy/scipy), no Django.

The Django `workouts` app adapts its models to these types and calls two functions:

    live_totals(points, *, pauses=(), started_at=None, now=None, activity_type="running",
                planned_path_latlng=None) -> LiveTotals
        after each ingested batch: distance_m, moving_duration_s, elapsed_duration_s, kept_points,
        rejected_total, last_latitude/last_longitude, off_route (None without a planned path), filtered.

    compute_workout_metrics(points, *, pauses=(), started_at=None, completed_at=None, now=None,
                            activity_type="running", weight_kg=None, device_calories_kcal=None,
                            planned_path_latlng=None, shape_outline_xy=None, shape_closed=True) ->
                            WorkoutMetrics
        on completion/import: distance_m, moving_duration_s, elapsed_duration_s, avg_pace_s, max_pace_s
        (fastest 200 m), min_pace_s (slowest 200 m), splits (tuple[Split]), calories_kcal, calories_source
        ('device'|'estimated'), weight_assumed, heart_rate_avg/max, elevation_gain_m/loss_m,
        best_efforts {1000|5000|10000|21097|42195: seconds}, longest_distance_m, route_completion
        (0-100|None), shape_accuracy (0-100|None), rejected {reason: count}, rejected_total, duplicates,
        paused_points, kept_points, segments, filtered, notes.

    `filtered` (a `FilterResult`) is the filter's decisions behind the figures: the kept points and the seq of
    every fix left out, by reason (`rejected_seqs`, `paused_seqs`). The caller stores them as they are: one
    engine call per batch and one per completion.

Inputs: `points` is an iterable of `TrackPoint` or a columnar `PointArrays` (`PointArrays.from_columns(...)`
takes `values_list` columns); times are epoch seconds or aware datetimes; pauses are `PauseSpan` or
(start, end|None) tuples. The engine never reads the clock: pass `now` for the future-timestamp check.

Helpers: `filter_points` (ordered kept points + left-out seqs by reason), `is_off_route(point, path,
threshold_m=50)`, `distance_to_path_m`, `route_completion`, `format_pace(seconds_per_km) -> "m:ss"`.
Geometry (`LocalProjection`, `haversine_m`, resampling) is the one module both engines share:
`routes.planner.geometry`. Every threshold is a named constant in `constants.py` with its reason and
source.
"""

from .calories import acsm_calories_kcal
from .constants import ACTIVITY_RUNNING, ACTIVITY_TYPES, ACTIVITY_WALKING
from .engine import compute_workout_metrics, live_totals
from .filtering import REJECTION_REASONS, filter_points
from .pace import format_pace
from .route import distance_to_path_m, is_off_route, route_completion
from .types import FilterResult, LiveTotals, PauseSpan, PointArrays, Split, TrackPoint, WorkoutMetrics

__all__ = [
    "ACTIVITY_RUNNING",
    "ACTIVITY_TYPES",
    "ACTIVITY_WALKING",
    "REJECTION_REASONS",
    "FilterResult",
    "LiveTotals",
    "PauseSpan",
    "PointArrays",
    "Split",
    "TrackPoint",
    "WorkoutMetrics",
    "acsm_calories_kcal",
    "compute_workout_metrics",
    "distance_to_path_m",
    "filter_points",
    "format_pace",
    "is_off_route",
    "live_totals",
    "route_completion",
]
