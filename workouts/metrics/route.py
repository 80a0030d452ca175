"""How well a trace follows a planned route: completion, off-route detection, shape accuracy."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from routes.planner.fidelity import shape_fidelity
from routes.planner.geometry import LocalProjection, densify_steps, point_to_polyline_m, resample_by_spacing

from .constants import OFF_ROUTE_THRESHOLD_M, ROUTE_COMPLETION_RADIUS_M, ROUTE_RESAMPLE_STEP_M


def _as_latlng(path) -> np.ndarray:
    path = np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError("a path is an (M, 2) array of [lat, lng]")
    return path


def route_completion(
    trace_lat: np.ndarray,
    trace_lon: np.ndarray,
    planned_path_latlng,
    *,
    trace_connects: np.ndarray | None = None,
    radius_m: float = ROUTE_COMPLETION_RADIUS_M,
) -> float | None:
    """Share (0-100) of the planned path lying within `radius_m` of the trace.

    The planned path is resampled every 5 m (so it counts by length, not by vertex), the trace densified every
    5 m inside its segments (`trace_connects[i]`: fix i joins fix i+1; gaps are not drawn), both in one local
    projection; a cKDTree of the trace answers "is there trace within 30 m" for every planned sample.
    None when there is no planned path; 0 when there is no trace. O((n + m) log n).
    """
    planned = _as_latlng(planned_path_latlng)
    if len(planned) == 0:
        return None
    if trace_lat.size == 0:
        return 0.0
    projection = LocalProjection.around(
        np.concatenate((planned[:, 0], trace_lat)), np.concatenate((planned[:, 1], trace_lon))
    )
    planned_samples = resample_by_spacing(projection.to_xy(planned[:, 0], planned[:, 1]), ROUTE_RESAMPLE_STEP_M)
    trace_xy = projection.to_xy(trace_lat, trace_lon)
    if trace_connects is None:
        trace_connects = np.ones(max(trace_xy.shape[0] - 1, 0), dtype=bool)
    trace_samples = densify_steps(trace_xy, trace_connects, ROUTE_RESAMPLE_STEP_M)
    nearest_m, _ = cKDTree(trace_samples).query(planned_samples, k=1, distance_upper_bound=radius_m + 1.0)
    return float(np.mean(nearest_m <= radius_m) * 100.0)


def distance_to_path_m(latitude: float, longitude: float, planned_path_latlng) -> float:
    """Distance (m) from a fix to the nearest point of a planned polyline (segments, not only vertices)."""
    planned = _as_latlng(planned_path_latlng)
    projection = LocalProjection(float(latitude), float(longitude))
    path_xy = projection.to_xy(planned[:, 0], planned[:, 1])
    return point_to_polyline_m(np.zeros(2), path_xy)


def is_off_route(last_point, planned_path_latlng, threshold_m: float = OFF_ROUTE_THRESHOLD_M) -> bool:
    """True when the fix (a TrackPoint or a (lat, lng) pair) is more than `threshold_m` from the planned path.

    Projection centred on the fix itself, so the distance is exact to well under a metre. O(m), vectorised.
    """
    if hasattr(last_point, "latitude"):
        latitude, longitude = last_point.latitude, last_point.longitude
    else:
        latitude, longitude = last_point
    return distance_to_path_m(latitude, longitude, planned_path_latlng) > threshold_m


def shape_accuracy(outline_xy, trace_latlng: np.ndarray, *, closed: bool = True) -> float | None:
    """The routes planner's fidelity score (0-100) of the trace against the intended shape outline: the score a
    planned option was ranked by, so a run and its plan are measured alike. None when the trace or the outline
    is too short to compare.
    """
    if len(trace_latlng) < 2 or outline_xy is None or len(outline_xy) < 2:
        return None
    result = shape_fidelity(np.asarray(outline_xy, dtype=np.float64), np.asarray(trace_latlng), closed=closed)
    return float(result.score)
