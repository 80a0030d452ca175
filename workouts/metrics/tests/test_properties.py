"""Invariants of the engine on arbitrary tracks (hypothesis)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workouts.metrics import PauseSpan, compute_workout_metrics, live_totals

from .synthetic import START_EPOCH_S, to_points


@st.composite
def tracks(draw):
    count = draw(st.integers(min_value=2, max_value=120))
    gaps = draw(
        st.lists(st.sampled_from([0.0, 1.0, 1.0, 1.0, 2.0, 5.0, 45.0]), min_size=count, max_size=count)
    )
    steps = draw(st.lists(st.tuples(st.floats(-15, 15), st.floats(-15, 15)), min_size=count, max_size=count))
    jumps = draw(st.lists(st.sampled_from([0.0, 0.0, 0.0, 0.0, 600.0]), min_size=count, max_size=count))
    accuracy = draw(st.lists(st.sampled_from([None, 3.0, 10.0, 80.0]), min_size=count, max_size=count))
    altitude = draw(st.lists(st.one_of(st.none(), st.floats(0, 50)), min_size=count, max_size=count))
    t = START_EPOCH_S + np.cumsum(gaps)
    xy = np.cumsum(np.asarray(steps), axis=0)
    xy[:, 0] += np.asarray(jumps)  # isolated spikes
    pause = None
    if draw(st.booleans()) and count > 4:
        a, b = sorted(draw(st.lists(st.integers(0, count - 1), min_size=2, max_size=2)))
        pause = PauseSpan(start=float(t[a]) + 0.5, end=float(t[b]) + 0.5)
    points = to_points(t, xy, accuracy=accuracy, altitude=altitude, seq=np.arange(count))
    return points, ([pause] if pause else [])


def _summary(metrics):
    return (
        metrics.distance_m,
        metrics.moving_duration_s,
        metrics.elapsed_duration_s,
        metrics.kept_points,
        dict(metrics.rejected),
        [(s.km, s.duration_s) for s in metrics.splits],
        metrics.elevation_gain_m,
        dict(metrics.best_efforts),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tracks(), st.randoms(use_true_random=False))
def test_order_and_retried_duplicates_do_not_change_the_result(track, random):
    points, pauses = track
    reference = compute_workout_metrics(points, pauses=pauses)
    order = list(range(len(points)))
    random.shuffle(order)
    retried = order + random.sample(order, k=min(len(order), 10))
    again = compute_workout_metrics(points.take(np.asarray(retried)), pauses=pauses)
    assert _summary(again) == _summary(reference)  # sorted the same way, so bit-identical
    assert again.duplicates == len(retried) - len(points)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tracks())
def test_basic_invariants(track):
    points, pauses = track
    metrics = compute_workout_metrics(points, pauses=pauses)
    assert metrics.distance_m >= 0
    assert 0 <= metrics.moving_duration_s <= metrics.elapsed_duration_s + 1e-9
    assert metrics.kept_points + metrics.rejected_total + metrics.paused_points == len(points)
    assert sum(s.distance_m for s in metrics.splits) <= metrics.distance_m + 1e-6
    for distance_m, seconds in metrics.best_efforts.items():
        assert distance_m <= metrics.distance_m + 1e-6
        assert 0 <= seconds <= metrics.moving_duration_s + 1e-6
    if metrics.elevation_gain_m is not None:
        assert metrics.elevation_gain_m >= 0 and metrics.elevation_loss_m >= 0
    totals = live_totals(points, pauses=pauses)
    assert totals.distance_m == pytest.approx(metrics.distance_m)
    assert totals.moving_duration_s == pytest.approx(metrics.moving_duration_s)
