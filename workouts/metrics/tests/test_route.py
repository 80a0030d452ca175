"""Route completion, off-route detection and shape accuracy."""

import numpy as np
import pytest

from routes.planner.geometry import LocalProjection
from workouts.metrics import (
    TrackPoint,
    compute_workout_metrics,
    distance_to_path_m,
    is_off_route,
    live_totals,
    route_completion,
)

from .synthetic import TRACK_ORIGIN, oval_run, oval_xy, to_points


def _latlng(xy):
    lat, lon = TRACK_ORIGIN.to_latlng(np.asarray(xy, dtype=np.float64)).T
    return np.column_stack((lat, lon))


def _straight_path(length_m: float) -> np.ndarray:
    return _latlng([[0.0, 0.0], [length_m, 0.0]])


def test_trace_along_half_the_path_completes_about_half():
    planned = _straight_path(2000)  # two vertices 2 km apart: completion must count by length, not vertex
    trace_xy = np.column_stack((np.arange(0.0, 1000.0, 3.0), np.full(334, 8.0)))  # 8 m beside, first half
    trace = _latlng(trace_xy)
    completion = route_completion(trace[:, 0], trace[:, 1], planned)
    # first 1000 m plus the 30 m radius reaching past the trace's end: ~51.5 %
    assert completion == pytest.approx(100 * 1030 / 2000, abs=1.0)


def test_trace_far_from_the_path_completes_nothing():
    planned = _straight_path(1000)
    trace = _latlng(np.column_stack((np.arange(0.0, 1000.0, 3.0), np.full(334, 45.0))))
    assert route_completion(trace[:, 0], trace[:, 1], planned) == 0.0


def test_full_oval_run_completes_the_planned_oval():
    planned = _latlng(oval_xy(np.arange(0.0, 400.0, 10.0)))
    t, xy = oval_run(800, 300, noise_m=3.0, seed=2)
    metrics = compute_workout_metrics(to_points(t, xy), planned_path_latlng=planned)
    assert metrics.route_completion == pytest.approx(100.0, abs=0.5)


def test_off_route_measures_to_segments_not_only_vertices():
    planned = _straight_path(2000)
    beside_middle = _latlng([[1000.0, 20.0]])[0]
    away_middle = _latlng([[1000.0, 60.0]])[0]
    assert distance_to_path_m(*beside_middle, planned) == pytest.approx(20.0, abs=0.1)
    assert not is_off_route(beside_middle, planned)  # 1 km from either vertex, yet 20 m from the path
    assert is_off_route(away_middle, planned)
    assert not is_off_route(away_middle, planned, threshold_m=70)


def test_off_route_accepts_a_track_point():
    planned = _straight_path(500)
    lat, lon = _latlng([[250.0, 55.0]])[0]
    assert is_off_route(TrackPoint(recorded_at=0.0, latitude=lat, longitude=lon), planned)


def test_live_totals_report_off_route():
    planned = _latlng(oval_xy(np.arange(0.0, 400.0, 10.0)))
    t, xy = oval_run(600, 300)
    on = live_totals(to_points(t, xy), planned_path_latlng=planned)
    xy_off = xy.copy()
    xy_off[-40:, 1] += np.linspace(0.0, 120.0, 40)  # the runner veers 120 m off the track, outwards
    off = live_totals(to_points(t, xy_off), planned_path_latlng=planned)
    assert on.off_route is False
    assert off.off_route is True


def test_shape_accuracy_scores_a_trace_of_the_shape_high_and_another_shape_low():
    pytest.importorskip("routes.planner.fidelity")  # teammate's module; present in this tree
    outline = oval_xy(np.arange(0.0, 400.0, 5.0)) * 0.01  # the outline in its own plane, any scale
    t, xy = oval_run(400, 300, noise_m=2.0, seed=5)
    good = compute_workout_metrics(to_points(t, xy), shape_outline_xy=outline, shape_closed=True)
    line_xy = np.column_stack((np.arange(0.0, 400.0, 3.5), np.zeros(115)))
    bad = compute_workout_metrics(to_points(t[:115], line_xy), shape_outline_xy=outline, shape_closed=True)
    assert good.shape_accuracy is not None and bad.shape_accuracy is not None
    assert good.shape_accuracy >= 85
    assert bad.shape_accuracy < 50


def test_shape_accuracy_falls_back_to_the_planned_path():
    pytest.importorskip("routes.planner.fidelity")
    planned = _latlng(oval_xy(np.arange(0.0, 400.0, 10.0)))
    t, xy = oval_run(400, 300)
    metrics = compute_workout_metrics(to_points(t, xy), planned_path_latlng=planned)
    assert metrics.shape_accuracy >= 85


def test_no_planned_path_means_no_completion():
    t, xy = oval_run(400, 300)
    metrics = compute_workout_metrics(to_points(t, xy))
    assert metrics.route_completion is None and metrics.shape_accuracy is None


def test_projection_round_trip():
    projection = LocalProjection(37.28, 127.04)
    xy = np.array([[1234.5, -987.6], [0.0, 0.0]])
    lat, lon = projection.to_latlng(xy).T
    assert projection.to_xy(lat, lon) == pytest.approx(xy)
