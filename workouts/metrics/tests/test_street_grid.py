"""Distance on corner-heavy street-grid routes (RunnerWay's GPS-art routes turn 90 degrees every block)."""

import numpy as np
import pytest

from routes.planner.geometry import haversine_m
from workouts.metrics import compute_workout_metrics, live_totals

from .synthetic import START_EPOCH_S, TRACK_ORIGIN, to_points

BLOCK_M = 40.0


def _zigzag_diamond_xy(steps_per_side: int = 8) -> np.ndarray:
    """A diamond whose four sides are staircases of 40 m east/north (etc.) legs: a turn every 40 m."""
    x, y = 0.0, -steps_per_side * BLOCK_M
    vertices = [(x, y)]
    for first, second in (((1, 0), (0, 1)), ((0, 1), (-1, 0)), ((-1, 0), (0, -1)), ((0, -1), (1, 0))):
        for _ in range(steps_per_side):
            for dx, dy in (first, second):
                x, y = x + dx * BLOCK_M, y + dy * BLOCK_M
                vertices.append((x, y))
    return np.asarray(vertices)


def _grid_circle_xy(radius_blocks: int = 9) -> np.ndarray:
    """A 'circle' of radius 360 m drawn on a 40 m street grid: the grid cells it passes, joined along streets."""
    angle = np.linspace(0.0, 2 * np.pi, 4000, endpoint=False)
    cells = np.round(np.column_stack((np.cos(angle), np.sin(angle))) * radius_blocks).astype(int)
    corners = [tuple(cells[0])]
    for cell in map(tuple, cells[1:]):
        if cell != corners[-1]:
            if cell[0] != corners[-1][0] and cell[1] != corners[-1][1]:
                corners.append((cell[0], corners[-1][1]))  # along one street, then the other
            corners.append(cell)
    corners.append(corners[0])
    return np.asarray(corners, dtype=np.float64) * BLOCK_M


def _run_along(path_xy: np.ndarray, *, pace_s: float, interval_s: float, noise_m: float = 0.0, seed: int = 0):
    """(points, path length in m over real lat/lon) of a constant-pace run along the path."""
    lat, lon = TRACK_ORIGIN.to_latlng(path_xy).T
    leg_m = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    along = np.concatenate(([0.0], np.cumsum(leg_m)))
    speed = 1000.0 / pace_s
    t = np.arange(0.0, along[-1] / speed + 1e-9, interval_s)
    s = speed * t
    xy = np.column_stack((np.interp(s, along, path_xy[:, 0]), np.interp(s, along, path_xy[:, 1])))
    if noise_m:
        xy = xy + np.random.default_rng(seed).normal(0.0, noise_m, xy.shape)
    return to_points(START_EPOCH_S + t, xy), float(s[-1])


PATHS = {"zigzag_diamond": _zigzag_diamond_xy, "grid_circle": _grid_circle_xy}


@pytest.mark.parametrize("interval_s", [1.0, 2.0])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_clean_run_on_a_street_grid_loses_no_distance_at_the_corners(path, interval_s):
    path_xy = PATHS[path]()
    assert len(path_xy) > 40  # corner-heavy: a turn at least every ~70 m
    points, length_m = _run_along(path_xy, pace_s=360, interval_s=interval_s)
    assert 2000 < length_m < 3000
    metrics = compute_workout_metrics(points)
    assert metrics.distance_m == pytest.approx(length_m, rel=0.01)
    assert round(metrics.avg_pace_s) == 360
    assert all(round(split.pace_s) == 360 for split in metrics.splits)
    assert live_totals(points).distance_m == pytest.approx(metrics.distance_m)


def test_chord_sum_really_is_short_on_this_grid():
    """The fixes' own chords cut every corner: what the engine must not report."""
    points, length_m = _run_along(_zigzag_diamond_xy(), pace_s=360, interval_s=2.0)
    chords = haversine_m(points.lat[:-1], points.lon[:-1], points.lat[1:], points.lon[1:]).sum()
    assert chords < 0.985 * length_m


# Target on noisy street-grid runs (independent gaussian noise per axis, per fix): what runners see from
# Strava/Garmin on such routes is within a couple of percent. Held by the mean over seeds (the systematic
# error); single seeds at 0.5 Hz still miss by up to -9 % (a missed or mis-placed corner cut, see constants).
NOISY_GRID_TOLERANCE = {3.0: 0.03, 5.0: 0.05}
SEEDS = range(3)


@pytest.mark.parametrize("noise_m", sorted(NOISY_GRID_TOLERANCE))
@pytest.mark.parametrize("interval_s", [1.0, 2.0])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_noisy_run_on_a_street_grid_keeps_its_corners_on_average(path, interval_s, noise_m):
    ratios = []
    for seed in SEEDS:
        points, length_m = _run_along(PATHS[path](), pace_s=360, interval_s=interval_s, noise_m=noise_m, seed=seed)
        raw_m = haversine_m(points.lat[:-1], points.lon[:-1], points.lat[1:], points.lon[1:]).sum()
        assert raw_m > 1.15 * length_m  # the noise really is there: summed raw it adds > 15 %
        metrics = compute_workout_metrics(points)
        assert live_totals(points).distance_m == pytest.approx(metrics.distance_m)
        assert metrics.distance_m > 0.85 * length_m  # no seed collapses (before: -9 % on average)
        ratios.append(metrics.distance_m / length_m)
    assert np.mean(ratios) == pytest.approx(1.0, abs=NOISY_GRID_TOLERANCE[noise_m])
