"""The filled area of a recorded trace (`filled_polygon`): exact for ordinary traces, bounded in cost for traces
that cross themselves a great deal (many laps of a track, repeated passes), and the recognisability score
that rests on it."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely

from routes.planner import recognisability as recognisability_module
from routes.planner.geometry import polyline_length, resample_by_spacing
from routes.planner.recognisability import filled_polygon, recognisability
from routes.planner.shapes import template_outline

STEP_M = 1000 / 300  # 1 Hz at 5:00/km
JITTER_M = 3.0


def _laps(shape_id: str, perimeter_m: float, laps: int, *, seed: int, jitter_m: float = JITTER_M) -> np.ndarray:
    """`laps` passes of the catalogue figure at `perimeter_m`, one fix every STEP_M, with independent gaussian
    GPS error of `jitter_m` per axis."""
    outline = np.asarray(template_outline(shape_id), dtype=np.float64)
    outline = outline * (perimeter_m / polyline_length(outline, closed=True))
    one_lap = resample_by_spacing(outline, STEP_M, closed=True)
    xy = np.tile(one_lap, (laps, 1))
    return xy + np.random.default_rng(seed).normal(0.0, jitter_m, xy.shape)


def _track(laps: int, *, seed: int) -> tuple[np.ndarray, object]:
    """`laps` jittered laps of a 400 m running track (two 84.39 m straights, two bends) and the track itself."""
    radius = (400.0 - 2 * 84.39) / (2 * np.pi)
    lane = shapely.LineString([(0, -radius), (84.39, -radius)]).buffer(radius, cap_style="round", quad_segs=64)
    ring = np.asarray(shapely.segmentize(lane.exterior, 1.0).coords)
    one_lap = resample_by_spacing(ring[:-1], STEP_M, closed=True)
    xy = np.tile(one_lap, (laps, 1))
    return xy + np.random.default_rng(seed).normal(0.0, JITTER_M, xy.shape), shapely.Polygon(ring)


def _exact_filled(xy: np.ndarray):
    """The exact filled area, computed as `filled_polygon` computes it for every trace without the raster fill:
    the union of every face of the closed, noded line."""
    ring = np.vstack((xy, xy[:1]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.unary_union(shapely.LineString(ring)))))
    try:
        filled = shapely.coverage_union_all(faces)
    except shapely.errors.GEOSException:
        filled = shapely.unary_union(faces)
    return shapely.make_valid(filled)


def _iou(a, b) -> float:
    return shapely.intersection(a, b).area / shapely.union(a, b).area


def _score_with_exact_area(monkeypatch, shape_id: str, xy: np.ndarray) -> float:
    """The recognisability the trace would get from its exact filled area (outlines keep the module's fill)."""
    own_fill = recognisability_module.filled_polygon
    with monkeypatch.context() as patch:
        patch.setattr(recognisability_module, "filled_polygon",
                      lambda points: _exact_filled(points) if points is xy else own_fill(points))
        return recognisability(template_outline(shape_id), xy, closed=True).recognisability


def test_eighty_jittered_laps_of_a_track_fill_the_track_within_the_cpu_budget():
    # ~9 600 fixes and ~40 000 faces: the exact union of the faces costs 1.2-2.7 s of CPU on this machine.
    xy, track = _track(80, seed=4)
    started = time.process_time()
    filled = filled_polygon(xy)
    cpu_s = time.process_time() - started
    assert cpu_s < 0.5, cpu_s
    assert filled.is_valid
    assert max(part.area for part in shapely.get_parts(filled)) > 0.999 * filled.area  # one piece, no crumbs
    # The whole track and the lane the jitter spreads over is filled: nothing of the track 3 sigma inside its
    # edge is missing, nothing lies beyond the largest jitter (4 sigma covers all 19 200 draws here)...
    inner = track.buffer(-3 * JITTER_M)
    assert shapely.difference(inner, filled).area < 1e-3 * inner.area
    assert shapely.difference(filled, track.buffer(4 * JITTER_M + 1.0)).area < 1e-3 * filled.area
    # ... and the filled area is the track's grown by the jitter's outer envelope (2-3 sigma at 80 passes).
    assert track.buffer(1.5 * JITTER_M).area < filled.area < track.buffer(3 * JITTER_M).area


def test_the_raster_fill_of_twelve_jittered_laps_is_the_exact_filled_area_within_a_percent():
    # 12 laps cross each other ~6 000 times: past the exact fill's limit, and still cheap enough to compare.
    xy, _ = _track(12, seed=8)
    assert recognisability_module._crossing_estimate(np.vstack((xy, xy[:1]))) > (
        recognisability_module.EXACT_FILL_MAX_CROSSINGS)
    filled, exact = filled_polygon(xy), _exact_filled(xy)
    assert filled.area == pytest.approx(exact.area, rel=0.01)
    assert _iou(filled, exact) > 0.985


@pytest.mark.parametrize("shape_id, seed", [("heart", 1), ("star", 2), ("circle", 3)])
def test_many_laps_of_a_figure_still_score_it_above_another_figure(shape_id, seed):
    # 40 laps of a 600 m figure (~7 200 fixes, jittered) take the raster fill, which must keep the score of one
    # pass and not lift another figure's.
    xy = _laps(shape_id, 600.0, 40, seed=seed)
    own = recognisability(template_outline(shape_id), xy, closed=True)
    single = recognisability(template_outline(shape_id), _laps(shape_id, 600.0, 1, seed=seed), closed=True)
    assert own.recognisability > 75  # a 600 m heart under 3 m of jitter: ~80 in one pass too
    assert own.recognisability > single.recognisability - 5.0  # laps average the jitter out, they lose nothing
    for other in {"heart", "star", "circle"} - {shape_id}:
        assert recognisability(template_outline(other), xy, closed=True).recognisability < own.recognisability - 50


@pytest.mark.parametrize("shape_id", ["heart", "star", "square", "circle", "triangle"])
def test_one_pass_of_a_figure_keeps_its_exact_filled_area_and_score(monkeypatch, shape_id):
    # One pass at 1 Hz with 3 m of jitter (a 5 km figure, ~1 500 fixes) crosses itself only fix to fix: the
    # exact fill, so the score is the exact polygon's to the last digit (tolerance 0: same computation).
    xy = _laps(shape_id, 5000.0, 1, seed=11)
    filled, exact = filled_polygon(xy), _exact_filled(xy)
    assert filled.area == pytest.approx(exact.area, rel=1e-9)
    assert shapely.symmetric_difference(filled, exact).area < 1e-6 * exact.area
    score = recognisability(template_outline(shape_id), xy, closed=True).recognisability
    assert score == _score_with_exact_area(monkeypatch, shape_id, xy)


def test_a_long_single_pass_and_a_loop_run_three_times_stay_exact():
    # 10 000 fixes drawing a 33 km heart once; a 1.2 km heart run three times (~1 100 fixes).
    for xy in (_laps("heart", 10_000 * STEP_M, 1, seed=5), _laps("heart", 1200.0, 3, seed=6)):
        filled, exact = filled_polygon(xy), _exact_filled(xy)
        assert filled.area == pytest.approx(exact.area, rel=1e-9)
        assert shapely.symmetric_difference(filled, exact).area < 1e-6 * exact.area


@pytest.mark.parametrize("shape_id, seed", [("heart", 21), ("star", 22), ("circle", 23)])
def test_where_the_raster_fill_takes_over_the_score_moves_by_under_a_point(monkeypatch, shape_id, seed):
    # 8 laps of a 600 m figure (~1 450 fixes): just past the exact fill's limit. The raster's area is within ~1 % of the
    # exact one and the score within a point (shown with one decimal; a point is below the run-to-run spread
    # of GPS jitter, which moves a one-pass score by several).
    xy = _laps(shape_id, 600.0, 8, seed=seed)
    assert recognisability_module._crossing_estimate(np.vstack((xy, xy[:1]))) > (
        recognisability_module.EXACT_FILL_MAX_CROSSINGS)
    assert _iou(filled_polygon(xy), _exact_filled(xy)) > 0.985
    score = recognisability(template_outline(shape_id), xy, closed=True).recognisability
    assert score == pytest.approx(_score_with_exact_area(monkeypatch, shape_id, xy), abs=1.0)


def test_a_scribble_is_filled_within_the_cpu_budget():
    # 2 000 random fixes over 1 km: ~480 000 faces (the exact union takes ~40 s).
    xy = np.random.default_rng(7).uniform(0.0, 1000.0, (2000, 2))
    started = time.process_time()
    filled = filled_polygon(xy)
    assert time.process_time() - started < 0.5
    hull = shapely.MultiPoint(xy).convex_hull
    # the exact fill leaves out only pockets along the hull's edge the line does not close
    assert filled.is_valid and filled.area > 0.85 * hull.area
    assert shapely.difference(filled, hull.buffer(1.0)).area < 1e-6 * hull.area
