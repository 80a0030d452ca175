"""Elevation, calories, heart rate and best efforts."""

import numpy as np
import pytest

from workouts.metrics import acsm_calories_kcal, compute_workout_metrics
from workouts.metrics.elevation import gain_and_loss

from .synthetic import START_EPOCH_S, oval_run, oval_xy, to_points


def test_sawtooth_climbs_are_counted_and_small_wiggles_are_not():
    # five 20 m climbs and descents, each over 200 fixes, plus ±1 m noise
    rng = np.random.default_rng(1)
    tooth = np.concatenate((np.linspace(0, 20, 100), np.linspace(20, 0, 100)))
    altitude = np.tile(tooth, 5) + rng.uniform(-1, 1, 1000)
    t, xy = oval_run(3400, 300)  # 1021 fixes
    metrics = compute_workout_metrics(to_points(t[:1000], xy[:1000], altitude=altitude))
    assert metrics.elevation_gain_m == pytest.approx(100, abs=8)
    assert metrics.elevation_loss_m == pytest.approx(100, abs=8)

    small = np.tile(np.concatenate((np.linspace(0, 2, 10), np.linspace(2, 0, 10))), 50)
    assert gain_and_loss(small) == (0.0, 0.0)


def test_hysteresis_counts_a_climb_in_full_once_past_3_m():
    assert gain_and_loss(np.array([0.0, 2.0, 2.9, 4.0, 10.0])) == (10.0, 0.0)
    assert gain_and_loss(np.array([10.0, 8.0, 10.0, 8.0])) == (0.0, 0.0)
    assert gain_and_loss(np.array([np.nan])) is None


def test_elevation_change_per_split():
    t, xy = oval_run(2000, 300)
    altitude = np.linspace(0.0, 40.0, t.size)  # steady 2 % climb
    metrics = compute_workout_metrics(to_points(t, xy, altitude=altitude))
    assert [round(split.elevation_change_m) for split in metrics.splits] == [20, 20]


def test_acsm_running_calories_by_hand():
    # 70 kg (assumed), 5 km, 20 m of climb, 25 min moving:
    # VO2 integrated = 0.2*5000 + 0.9*20 + 3.5*25 = 1105.5 ml/kg; * 70 kg = 77.385 L O2; * 5 kcal/L = 386.925
    kcal, assumed = acsm_calories_kcal(distance_m=5000, climb_m=20, moving_duration_s=1500, weight_kg=None)
    assert kcal == pytest.approx(386.925)
    assert assumed is True


def test_acsm_walking_calories_by_hand():
    # 60 kg walker, 3 km, 10 m climb, 40 min: (0.1*3000 + 1.8*10 + 3.5*40) * 60 / 1000 * 5 = 137.4
    kcal, assumed = acsm_calories_kcal(
        distance_m=3000, climb_m=10, moving_duration_s=2400, weight_kg=60, activity_type="walking"
    )
    assert kcal == pytest.approx(137.4)
    assert assumed is False


def test_workout_calories_estimated_or_from_the_device():
    t, xy = oval_run(3000, 300)
    points = to_points(t, xy)
    estimated = compute_workout_metrics(points, weight_kg=80)
    # flat 3 km in 15 min at 80 kg: (0.2*3000 + 3.5*15) * 80 / 1000 * 5 = 261; distance is ~0.03 % short
    assert estimated.calories_kcal == pytest.approx(261, rel=0.002)
    assert estimated.calories_source == "estimated" and estimated.weight_assumed is False
    assumed = compute_workout_metrics(points)
    assert assumed.weight_assumed is True and assumed.calories_kcal == pytest.approx(261 * 70 / 80, rel=0.002)
    device = compute_workout_metrics(points, device_calories_kcal=250)
    assert device.calories_kcal == 250 and device.calories_source == "device"


def test_heart_rate_is_time_weighted_and_ignores_zero_and_missing():
    t = START_EPOCH_S + np.concatenate(
        (np.arange(0.0, 10.0), [100.0])
    )  # 10 readings at 1 Hz then one 90 s later
    xy = np.column_stack((3.0 * (t - t[0]), np.zeros_like(t)))
    hr = [120.0] * 9 + [0.0, 180.0]
    hr[3] = None
    metrics = compute_workout_metrics(to_points(t, xy, heart_rate=hr))
    assert metrics.heart_rate_max == 180
    # valid readings at t = 0,1,2,4,5,6,7,8 (120 bpm) and 100 (180 bpm); each stands for half the interval to
    # each neighbour, the 92 s interval capped at 30 s: 120 bpm weighs 0.5+1+1.5+1.5+1+1+1+(0.5+15) = 23 s,
    # 180 bpm weighs 15 s
    assert metrics.heart_rate_avg == pytest.approx((120 * 23 + 180 * 15) / 38)
    assert metrics.heart_rate_avg != pytest.approx(np.mean([120] * 8 + [180]))  # not the plain mean


def test_best_efforts_find_the_fast_middle_kilometre():
    # 2.5 km at 6:00/km, 1 km at 4:00/km, 2.5 km at 6:00/km
    speeds = np.concatenate((np.full(900, 1000 / 360), np.full(240, 1000 / 240), np.full(900, 1000 / 360)))
    distance = np.concatenate(([0.0], np.cumsum(speeds)))
    t = START_EPOCH_S + np.arange(distance.size, dtype=float)
    metrics = compute_workout_metrics(to_points(t, oval_xy(distance)))
    assert metrics.best_efforts[1000] == pytest.approx(240, abs=1.5)
    assert metrics.best_efforts[5000] == pytest.approx(4 * 360 + 240, abs=3)
    assert 10000 not in metrics.best_efforts
    assert metrics.max_pace_s == pytest.approx(240, abs=2)
    assert metrics.min_pace_s == pytest.approx(360, abs=2)
    assert metrics.longest_distance_m == pytest.approx(6000, rel=0.005)
