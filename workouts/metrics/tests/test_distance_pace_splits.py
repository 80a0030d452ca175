"""Distance, moving time, pace and splits on synthetic oval laps of known length."""

import numpy as np
import pytest

from workouts.metrics import PauseSpan, compute_workout_metrics, format_pace, live_totals

from .synthetic import START_EPOCH_S, oval_run, oval_xy, to_points


def test_clean_laps_give_distance_pace_and_splits_of_the_geometry():
    t, xy = oval_run(5000, 300)  # 12.5 laps at 5:00 /km, 1 Hz
    metrics = compute_workout_metrics(to_points(t, xy), started_at=t[0], completed_at=t[-1])

    assert metrics.distance_m == pytest.approx(5000, rel=0.005)
    assert metrics.distance_m == pytest.approx(5000, rel=0.001)  # in fact much closer than required
    assert round(metrics.avg_pace_s) == 300
    assert format_pace(metrics.avg_pace_s) == "5:00"
    assert metrics.moving_duration_s == pytest.approx(1500, abs=1)
    assert metrics.elapsed_duration_s == pytest.approx(1500)
    full = [split for split in metrics.splits if not split.is_partial]
    assert [split.km for split in full] == [1, 2, 3, 4]
    crossings = np.cumsum([split.duration_s for split in metrics.splits])
    assert crossings[:4] == pytest.approx([300, 600, 900, 1200], abs=1)
    assert all(round(split.pace_s) == 300 for split in metrics.splits)
    # the 5th km ends within floating error of the total: a full split, or a partial one of ~1 km
    assert sum(split.distance_m for split in metrics.splits) == pytest.approx(metrics.distance_m)
    assert round(metrics.max_pace_s) == 300 and round(metrics.min_pace_s) == 300


def test_partial_last_split_reports_its_distance():
    t, xy = oval_run(2500, 360)
    metrics = compute_workout_metrics(to_points(t, xy))
    assert len(metrics.splits) == 3
    last = metrics.splits[-1]
    assert last.is_partial
    assert last.distance_m == pytest.approx(500, abs=5)
    assert last.duration_s == pytest.approx(180, abs=1)
    assert round(last.pace_s) == 360


@pytest.mark.parametrize("seed", range(5))
def test_gaussian_noise_of_3_m_is_not_turned_into_distance(seed):
    t, xy = oval_run(5000, 300, noise_m=3.0, seed=seed)
    metrics = compute_workout_metrics(to_points(t, xy))
    raw_sum = np.hypot(*np.diff(xy, axis=0).T).sum()
    assert raw_sum > 5000 * 1.3  # the noise really is there: summed raw it adds >30 %
    assert metrics.distance_m == pytest.approx(5000, rel=0.005)
    assert metrics.avg_pace_s == pytest.approx(300, rel=0.01)


def test_noisy_walk_stays_close():
    t, xy = oval_run(3000, 700, noise_m=3.0, seed=1)
    metrics = compute_workout_metrics(to_points(t, xy), activity_type="walking")
    assert metrics.distance_m == pytest.approx(3000, rel=0.01)


def test_standing_still_with_noise_adds_almost_nothing():
    rng = np.random.default_rng(7)
    t = START_EPOCH_S + np.arange(301.0)
    xy = rng.normal(0.0, 3.0, (t.size, 2))
    metrics = compute_workout_metrics(to_points(t, xy))
    assert metrics.distance_m < 5.0
    assert metrics.moving_duration_s < 10.0
    assert metrics.elapsed_duration_s == pytest.approx(300)


def test_standing_in_the_middle_of_a_run_is_not_moving_time():
    rng = np.random.default_rng(3)
    t1, xy1 = oval_run(1000, 300)
    stop_t = t1[-1] + np.arange(1.0, 301.0)
    stop_xy = xy1[-1] + rng.normal(0.0, 3.0, (stop_t.size, 2))
    s2 = 1000 + (1000 / 300) * np.arange(1.0, 301.0)
    t2 = stop_t[-1] + np.arange(1.0, 301.0)
    xy2 = oval_xy(s2)
    t = np.concatenate((t1, stop_t, t2))
    xy = np.concatenate((xy1, stop_xy, xy2))
    metrics = compute_workout_metrics(to_points(t, xy))
    assert metrics.distance_m == pytest.approx(2000, rel=0.01)
    assert metrics.moving_duration_s == pytest.approx(600, abs=15)
    assert metrics.elapsed_duration_s == pytest.approx(t[-1] - t[0])


def test_tunnel_gap_adds_no_phantom_distance():
    """Documented behaviour: a 2-minute signal loss starts a new segment and its distance is not counted."""
    t, xy = oval_run(3000, 300)
    lost = (t - t[0] > 400) & (t - t[0] < 520)  # 119 fixes lost, ~400 m of running
    metrics = compute_workout_metrics(to_points(t[~lost], xy[~lost]))
    gap_m = 120 * 1000 / 300
    assert metrics.segments == 2
    assert metrics.distance_m == pytest.approx(3000 - gap_m, rel=0.005)
    assert metrics.moving_duration_s == pytest.approx(900 - 120, abs=2)
    assert metrics.elapsed_duration_s == pytest.approx(900)


def test_pause_time_is_excluded_but_elapsed_includes_it():
    t1, xy1 = oval_run(1000, 300)
    # the runner pauses for 10 minutes; the phone keeps sending fixes while walking around
    paused_t = t1[-1] + np.arange(1.0, 601.0)
    paused_xy = oval_xy(1000 + 1.2 * np.arange(1.0, 601.0))
    resume_t = paused_t[-1] + 1 + np.arange(0.0, 301.0)
    resume_xy = oval_xy(1000 + 720 + (1000 / 300) * np.arange(0.0, 301.0))
    t = np.concatenate((t1, paused_t, resume_t))
    xy = np.concatenate((xy1, paused_xy, resume_xy))
    pause = PauseSpan(start=t1[-1] + 0.5, end=resume_t[0] - 0.5)
    metrics = compute_workout_metrics(to_points(t, xy), pauses=[pause], started_at=t[0], completed_at=t[-1])
    assert metrics.paused_points == 600
    assert metrics.distance_m == pytest.approx(2000, rel=0.005)
    assert metrics.moving_duration_s == pytest.approx(600, abs=2)
    assert metrics.elapsed_duration_s == pytest.approx(t[-1] - t[0])
    assert metrics.segments == 2


def test_open_pause_drops_everything_after_it():
    t, xy = oval_run(2000, 300)
    totals = live_totals(to_points(t, xy), pauses=[(t[300] + 0.5, None)])
    assert totals.distance_m == pytest.approx(1000, rel=0.005)
    assert totals.moving_duration_s == pytest.approx(300, abs=1)


def test_live_totals_match_the_final_metrics():
    t, xy = oval_run(3000, 330, noise_m=2.0, seed=4)
    points = to_points(t, xy)
    totals = live_totals(points, started_at=t[0])
    metrics = compute_workout_metrics(points, started_at=t[0])
    assert totals.distance_m == pytest.approx(metrics.distance_m)
    assert totals.moving_duration_s == pytest.approx(metrics.moving_duration_s)
    assert totals.kept_points == metrics.kept_points


def test_empty_and_single_point_workouts():
    empty = compute_workout_metrics([])
    assert empty.distance_m == 0 and empty.avg_pace_s is None and empty.splits == ()
    t, xy = oval_run(10, 300)
    single = compute_workout_metrics(to_points(t[:1], xy[:1]))
    assert single.distance_m == 0 and single.kept_points == 1 and single.best_efforts == {}


@pytest.mark.parametrize(
    ("seconds", "text"), [(300, "5:00"), (299.6, "5:00"), (359.4, "5:59"), (59.5, "1:00"), (725, "12:05")]
)
def test_format_pace(seconds, text):
    assert format_pace(seconds) == text


def test_format_pace_none():
    assert format_pace(None) is None
