"""Rejection of implausible fixes, ordering and de-duplication."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from workouts.metrics import PointArrays, TrackPoint, compute_workout_metrics, filter_points, live_totals

from .synthetic import START_EPOCH_S, oval_run, to_points


def test_a_500_m_jump_is_rejected_and_counted():
    t, xy = oval_run(2000, 300)
    clean = compute_workout_metrics(to_points(t, xy))
    spiked = xy.copy()
    spiked[250] += [500.0, 0.0]
    spiked[400] += [0.0, -500.0]
    metrics = compute_workout_metrics(to_points(t, spiked))
    assert metrics.rejected["speed_spike"] == 2
    assert metrics.rejected_total == 2
    assert metrics.distance_m == pytest.approx(clean.distance_m, rel=0.001)
    assert metrics.segments == 1


def test_each_static_rule_rejects_and_counts():
    t0 = START_EPOCH_S
    now = t0 + 3600
    points = [
        TrackPoint(t0 + 0, 37.28, 127.04, accuracy=5, seq=0),
        TrackPoint(t0 + 1, 37.28001, 127.04, accuracy=80, seq=1),  # low accuracy
        TrackPoint(t0 + 2, 0.0, 0.0, seq=2),  # null island
        TrackPoint(t0 + 3, 91.0, 127.04, seq=3),  # out of range
        TrackPoint(t0 + 4, 37.28, 181.0, seq=4),  # out of range
        TrackPoint(t0 - 60, 37.28, 127.04, seq=5),  # before the start
        TrackPoint(now + 2 * 86_400, 37.28, 127.04, seq=6),  # two days in the future
        TrackPoint(t0 + 5, 37.28002, 127.04, accuracy=50, seq=7),  # exactly 50 m: kept
        TrackPoint(t0 + 5, 37.28003, 127.04, seq=8),  # same instant as seq 7
    ]
    result = filter_points(points, started_at=t0, now=now)
    assert result.rejected["low_accuracy"] == 1
    assert result.rejected["null_island"] == 1
    assert result.rejected["out_of_range"] == 2
    assert result.rejected["before_start"] == 1
    assert result.rejected["future"] == 1
    assert result.rejected["duplicate_time"] == 1
    assert list(result.points.seq) == [0, 7]


def test_the_decisions_come_back_with_the_totals():
    """The seq of every fix left out, by reason, and the kept points: from the filter, with the live totals and
    with the final metrics alike (a caller stores them without deriving them again)."""
    t0 = START_EPOCH_S
    now = t0 + 3600
    points = [TrackPoint(t0 + i, 37.28 + i * 0.00003, 127.04, accuracy=5, seq=i) for i in range(40)]
    points[3] = TrackPoint(t0 + 3, 37.28009, 127.04, accuracy=80, seq=3)  # low accuracy
    points[5] = TrackPoint(t0 + 5, 0.0, 0.0, seq=5)  # null island
    points[8] = TrackPoint(t0 - 60, 37.28, 127.04, seq=8)  # before the start
    points[11] = TrackPoint(now + 2 * 86_400, 37.28, 127.04, seq=11)  # two days in the future
    points[14] = TrackPoint(t0 + 13, 37.28042, 127.04, seq=14)  # same instant as seq 13
    points[20] = TrackPoint(t0 + 20, 37.29, 127.04, seq=20)  # ~1.1 km away one second later: a spike
    points.append(TrackPoint(t0 + 30.5, 37.2809, 127.04, seq=40))  # inside the pause
    pauses = [(t0 + 30.2, t0 + 30.8)]
    expected = {"low_accuracy": [3], "null_island": [5], "before_start": [8], "future": [11],
                "duplicate_time": [14], "speed_spike": [20], "out_of_range": []}
    kept_seqs = sorted(set(range(40)) - {3, 5, 8, 11, 14, 20})

    results = [
        filter_points(points, started_at=t0, now=now, pauses=pauses),
        live_totals(points, started_at=t0, now=now, pauses=pauses).filtered,
        compute_workout_metrics(points, started_at=t0, now=now, pauses=pauses).filtered,
    ]
    for result in results:
        assert {reason: sorted(seqs.tolist()) for reason, seqs in result.rejected_seqs.items()} == expected
        assert result.paused_seqs.tolist() == [40]
        assert result.points.seq.tolist() == kept_seqs
        assert result.rejected == {reason: len(seqs) for reason, seqs in expected.items()}
        assert result.rejected_total == 6
    totals = live_totals(points, started_at=t0, now=now, pauses=pauses)
    assert totals.kept_points == len(kept_seqs) == len(totals.filtered.points)
    assert totals.last_latitude == totals.filtered.points.lat[-1]


def test_future_check_needs_the_callers_clock():
    point = TrackPoint(START_EPOCH_S + 10 * 86_400, 37.28, 127.04, seq=1)
    assert len(filter_points([point]).points) == 1  # the engine never reads the clock itself
    assert len(filter_points([point], now=START_EPOCH_S).points) == 0


def test_points_are_ordered_by_time_then_seq_and_retried_seqs_kept_once():
    t, xy = oval_run(300, 300)
    points = to_points(t, xy)
    shuffled = np.random.default_rng(0).permutation(len(points))
    retried = np.concatenate((shuffled, shuffled[:50]))
    result = filter_points(points.take(retried))
    assert result.duplicates == 50
    assert np.all(np.diff(result.points.t) > 0)
    assert np.array_equal(result.points.seq, np.arange(len(points)))


def test_aware_datetimes_are_accepted_and_naive_refused():
    start = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)
    points = [TrackPoint(start + timedelta(seconds=i), 37.28 + i * 3e-5, 127.04, seq=i) for i in range(60)]
    metrics = compute_workout_metrics(points, started_at=start)
    assert metrics.kept_points == 60
    assert metrics.distance_m == pytest.approx(59 * 3e-5 * np.pi / 180 * 6_371_008.8, rel=0.01)
    with pytest.raises(ValueError, match="naive"):
        compute_workout_metrics([TrackPoint(datetime(2026, 5, 1), 37.28, 127.04)])


def test_a_bad_first_fix_is_dropped_not_the_fixes_after_it():
    t, xy = oval_run(1000, 300)
    xy = xy.copy()
    xy[0] += [3000.0, 0.0]  # the chip's first fix is 3 km off
    result = filter_points(to_points(t, xy))
    assert result.rejected_seqs["speed_spike"].tolist() == [0]
    metrics = compute_workout_metrics(to_points(t, xy))
    assert metrics.distance_m == pytest.approx(1000 - 1000 / 300, rel=0.01)


def test_a_good_first_fix_stays_when_the_next_one_jumps():
    t, xy = oval_run(1000, 300)
    xy = xy.copy()
    xy[1] += [500.0, 0.0]  # one wild fix right after the start: the next fixes disagree with it
    result = filter_points(to_points(t, xy))
    assert result.rejected_seqs["speed_spike"].tolist() == [1]
    assert result.points.seq[0] == 0


def test_a_bad_fix_after_a_pause_gap_is_dropped_as_the_segment_anchor():
    t, xy = oval_run(1000, 300)
    t, xy = t.copy(), xy.copy()
    t[150:] += 120.0  # the phone lost the signal for two minutes: fix 150 opens a new segment
    xy[150] += [0.0, 2000.0]  # and is 2 km off
    result = filter_points(to_points(t, xy))
    assert result.rejected_seqs["speed_spike"].tolist() == [150]


def test_walking_uses_a_lower_spike_speed():
    t = START_EPOCH_S + np.arange(0.0, 60.0)
    x = np.concatenate((1.4 * np.arange(30.0), 1.4 * 29 + 8.0 * np.arange(1.0, 31.0)))  # walk, then 8 m/s
    xy = np.column_stack((x, np.zeros_like(x)))
    walking = filter_points(to_points(t, xy), activity_type="walking")
    running = filter_points(to_points(t, xy), activity_type="running")
    assert walking.rejected["speed_spike"] > 0
    assert running.rejected["speed_spike"] == 0


def test_unknown_activity_is_refused():
    with pytest.raises(ValueError):
        filter_points(PointArrays.empty(), activity_type="swimming")
