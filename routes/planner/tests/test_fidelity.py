"""Properties of the fidelity measure on synthetic curves (no network, no Django)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter1d

from routes.planner.fidelity import discrete_frechet, retrace_share, shape_fidelity
from routes.planner.geometry import LocalProjection, resample_by_spacing
from routes.planner.shapes import outline_from_svg_path, template_outline

PROJECTION = LocalProjection(60.17, 24.94)


def _place(outline, *, scale_m, angle_rad=0.0, offset=(0.0, 0.0), roll=0, reverse=False):
    """Outline (y-up) → a route in lat/lng at the given similarity transform."""
    ring = np.asarray(outline, dtype=float)
    centred = ring - ring.mean(axis=0)
    rot = np.array([[np.cos(angle_rad), -np.sin(angle_rad)], [np.sin(angle_rad), np.cos(angle_rad)]])
    xy = centred @ rot.T * scale_m + np.asarray(offset)
    xy = resample_by_spacing(xy, 7.0)
    if roll:
        xy = np.vstack([np.roll(xy[:-1], roll, axis=0), np.roll(xy[:-1], roll, axis=0)[:1]])
    if reverse:
        xy = xy[::-1]
    return PROJECTION.to_latlng(xy)


def test_identical_curves_score_about_100():
    outline = template_outline("heart")
    fidelity = shape_fidelity(outline, _place(outline, scale_m=10.0))
    assert fidelity.score > 97
    assert fidelity.buffer_f1 == pytest.approx(1.0)
    assert fidelity.retrace_share == 0.0
    assert fidelity.frechet_norm < 0.03


@settings(max_examples=15, deadline=None)
@given(scale_m=st.floats(3.0, 30.0), angle=st.floats(-np.pi, np.pi), roll=st.integers(0, 200),
       dx=st.floats(-5000, 5000), reverse=st.booleans(), shape_id=st.sampled_from(["star", "heart", "house"]))
def test_similarity_transforms_do_not_change_the_score(scale_m, angle, roll, dx, reverse, shape_id):
    outline = template_outline(shape_id)
    route = _place(outline, scale_m=scale_m, angle_rad=angle, offset=(dx, -dx / 2), roll=roll,
                   reverse=reverse)
    fidelity = shape_fidelity(outline, route)
    assert fidelity.score > 93
    assert fidelity.buffer_f1 > 0.97


def test_circle_drawn_for_a_star_scores_clearly_lower():
    star = template_outline("star")
    circle = template_outline("circle")
    as_star = shape_fidelity(star, _place(star, scale_m=12.0))
    as_circle = shape_fidelity(star, _place(circle, scale_m=12.0))
    assert as_circle.score < as_star.score - 30
    assert as_circle.buffer_f1 < 0.8


def test_random_loop_scores_low():
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.normal(0, 60, (120, 2)), axis=0)
    walk = np.vstack([walk, walk[:1]])
    fidelity = shape_fidelity(template_outline("heart"), PROJECTION.to_latlng(walk))
    assert fidelity.score < 45


def test_noisy_trace_keeps_a_high_score():
    outline = template_outline("square")
    route = _place(outline, scale_m=10.0)
    rng = np.random.default_rng(3)
    # GPS error drifts slowly (it is correlated over tens of metres), ~8 m standard deviation.
    drift = gaussian_filter1d(rng.normal(size=route.shape), sigma=6, axis=0)
    noisy = route + drift / drift.std() * (8 / 111_000)
    fidelity = shape_fidelity(outline, noisy)
    assert fidelity.score > 80
    assert fidelity.buffer_f1 > 0.95


def test_out_and_back_spur_is_a_retrace():
    out = np.stack([np.linspace(0, 500, 101), np.zeros(101)], axis=1)
    back = out[::-1] + np.array([0.0, 3.0])
    share = retrace_share(resample_by_spacing(np.vstack([out, back]), 5.0))
    assert 0.4 < share <= 0.55


def test_crossing_is_not_a_retrace():
    infinity = template_outline("infinity") * 20
    assert retrace_share(resample_by_spacing(infinity, 5.0)) < 0.02


def test_retrace_lowers_the_score():
    outline = template_outline("square")
    route_xy = resample_by_spacing((outline - 50) * 10, 5.0)
    spur = np.stack([np.full(40, route_xy[0, 0]), route_xy[0, 1] + np.linspace(0, 200, 40)], axis=1)
    with_spur = np.vstack([spur, spur[::-1], route_xy])
    clean = shape_fidelity(outline, PROJECTION.to_latlng(route_xy))
    spurred = shape_fidelity(outline, PROJECTION.to_latlng(with_spur))
    assert spurred.retrace_share > 0.05
    assert spurred.score < clean.score


def test_open_shape_fits_either_direction():
    wave = outline_from_svg_path("M 5 50 C 20 15 35 15 50 50 C 65 85 80 85 95 50")
    route = _place(wave, scale_m=20.0, angle_rad=1.0, reverse=True)
    assert shape_fidelity(wave, route, closed=False).score > 93


def test_degenerate_route_scores_zero():
    assert shape_fidelity(template_outline("circle"), np.array([[60.0, 24.0]])).score == 0.0


def _frechet_reference(p, q):
    n, m = len(p), len(q)
    ca = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            d = np.hypot(*(p[i] - q[j]))
            if i == 0 and j == 0:
                ca[i, j] = d
            elif i == 0:
                ca[i, j] = max(ca[0, j - 1], d)
            elif j == 0:
                ca[i, j] = max(ca[i - 1, 0], d)
            else:
                ca[i, j] = max(min(ca[i - 1, j], ca[i - 1, j - 1], ca[i, j - 1]), d)
    return ca[-1, -1]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 12), m=st.integers(1, 12), seed=st.integers(0, 10_000))
def test_vectorised_frechet_matches_the_textbook_recurrence(n, m, seed):
    rng = np.random.default_rng(seed)
    p, q = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    assert discrete_frechet(p, q) == pytest.approx(_frechet_reference(p, q))


def test_dense_jittery_gps_trace_is_not_penalised_for_its_jitter():
    # 10 000 fixes about 1 m apart with 3 m of independent noise each: the raw polyline is ~2.5x longer
    # than the path and zig-zags over itself; the measure must see the path.
    outline = template_outline("heart")
    ring = resample_by_spacing((outline - 50) * 30, 0.9)
    rng = np.random.default_rng(0)
    noisy = ring + rng.normal(0, 3.0, ring.shape)
    fidelity = shape_fidelity(outline, PROJECTION.to_latlng(noisy))
    assert fidelity.score > 95
    assert fidelity.length_error < 0.1
    assert fidelity.retrace_share < 0.02
