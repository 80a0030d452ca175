"""Completion: the "done when" run, final metrics against a direct engine computation, stats and records."""

import random
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

from workouts import events, services
from workouts.metrics import PointArrays, compute_workout_metrics, format_pace
from workouts.models import UserStats, WorkoutPoint
from workouts.tests.factories import START, WorkoutFactory, loop_points, make_route_option


def post(client, url, body=None):
    return client.post(url, body or {}, format="json")


def engine_metrics_of(points: list[dict], *, pauses, completed_at, weight_kg=None):
    arrays = PointArrays.from_columns(
        recorded_at=[datetime.fromisoformat(p["recorded_at"]) for p in points],
        latitude=[p["latitude"] for p in points], longitude=[p["longitude"] for p in points],
        altitude=[p["altitude"] for p in points], accuracy=[p["accuracy"] for p in points],
        speed=[p["speed"] for p in points], heart_rate=[p["heart_rate"] for p in points],
        seq=[p["seq"] for p in points],
    )
    return compute_workout_metrics(arrays, pauses=pauses, started_at=START, completed_at=completed_at,
                                   activity_type="running", weight_kg=weight_kg)


def test_done_when_a_run_with_retries_reordering_and_a_pause_matches_the_engine(auth_client, workout):
    """3 000 fixes in batches, retried and shuffled, a 2-minute pause half-way, then completion."""
    pause_at_s, resume_at_s = 1500, 1620
    points = loop_points(count=3000, radius_m=200.0, altitude_amplitude_m=4.0)
    # the runner stood still while paused: the phone sent nothing, the clock moved on 120 s
    for point in points[1500:]:
        shifted = START + timedelta(seconds=point["seq"] + (resume_at_s - pause_at_s))
        point["recorded_at"] = shifted.isoformat().replace("+00:00", "Z")
    batches = [points[i:i + 250] for i in range(0, 3000, 250)]
    url = f"/api/v1/workouts/{workout.pk}"

    rng = random.Random(42)
    first_half, second_half = batches[:6], batches[6:]
    rng.shuffle(first_half)
    for batch in [*first_half, first_half[0], first_half[3][100:]]:  # reordered, then two retries
        assert post(auth_client, f"{url}/points", {"points": batch}).status_code == 200
    assert post(auth_client, f"{url}/pause", {"at": "2026-05-01T06:55:00Z"}).json()["data"]["status"] == "paused"
    assert post(auth_client, f"{url}/resume", {"at": "2026-05-01T06:57:00Z"}).json()["data"]["status"] == "active"
    rng.shuffle(second_half)
    for batch in [*second_half, second_half[2], batches[5][200:] + second_half[0][:50]]:
        assert post(auth_client, f"{url}/points", {"points": batch}).status_code == 200
    completed_at = START + timedelta(seconds=3000 + 120)
    response = post(auth_client, f"{url}/complete", {"completed_at": completed_at.isoformat()})
    assert response.status_code == 200
    data = response.json()["data"]
    assert WorkoutPoint.objects.filter(workout=workout).count() == 3000

    expected = engine_metrics_of(
        points, pauses=[(START + timedelta(seconds=pause_at_s), START + timedelta(seconds=resume_at_s))],
        completed_at=completed_at,
    )
    assert data["status"] == "completed"
    assert data["distance"] == round(expected.distance_m / 1000, 2)
    assert data["duration"] == round(expected.moving_duration_s)
    assert data["elapsed_duration"] == 3120
    assert data["avg_pace"] == format_pace(expected.avg_pace_s)
    assert data["avg_pace_s"] == round(expected.avg_pace_s)
    assert [(s["km"], s["duration"], s["pace"]) for s in data["splits"]] == [
        (s.km, round(s.duration_s), format_pace(s.pace_s)) for s in expected.splits
    ]
    # and the engine figures are the known geometry: 3 000 s at 5:00/km ≈ 10 km, every split 5:00
    assert data["distance"] == pytest.approx(10.0, rel=0.005)
    assert data["avg_pace"] == "5:00"
    assert [s["pace"] for s in data["splits"] if not s["is_partial"]] == ["5:00"] * 9
    assert data["weight_assumed"] is True
    assert data["calories_estimated"] is True
    assert data["heart_rate_avg"] == 150


def test_calories_use_the_profile_weight(auth_client, user, workout):
    user.weight_kg = 60
    user.save()
    services.workout_add_points(workout=workout, points=_parsed(loop_points(count=600)))
    data = post(auth_client, f"/api/v1/workouts/{workout.pk}/complete",
                {"completed_at": "2026-05-01T06:40:00Z"}).json()["data"]
    assert data["weight_assumed"] is False
    expected = engine_metrics_of(loop_points(count=600), pauses=[], completed_at=None, weight_kg=60.0)
    assert data["calories"] == round(expected.calories_kcal)


def _parsed(points: list[dict]) -> list[dict]:
    return [{**p, "recorded_at": datetime.fromisoformat(p["recorded_at"])} for p in points]


def complete_run(user, *, seconds: int, speed_mps: float, start=START):
    workout = WorkoutFactory(user=user, started_at=start)
    services.workout_add_points(workout=workout,
                                points=_parsed(loop_points(count=seconds + 1, speed_mps=speed_mps, start=start)))
    return services.workout_complete(workout=workout, completed_at=start + timedelta(seconds=seconds + 1))


@contextmanager
def only_receiver(signal, receiver):
    """`receiver` connected for the block (the conftest already keeps other apps' receivers away)."""
    signal.connect(receiver, weak=False)
    try:
        yield
    finally:
        signal.disconnect(receiver)


def test_stats_and_personal_records_are_kept_exact(user, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["record"], kwargs["workout"].pk))

    with only_receiver(events.personal_record_set, receiver):
        with django_capture_on_commit_callbacks(execute=True):
            slow = complete_run(user, seconds=1830, speed_mps=1000 / 360)  # 5.08 km at 6:00/km
        with django_capture_on_commit_callbacks(execute=True):
            fast = complete_run(user, seconds=900, speed_mps=1000 / 270, start=START + timedelta(days=1))

    stats = UserStats.objects.get(user=user)
    assert stats.total_workouts == 2
    assert stats.total_distance_m == pytest.approx(slow.distance_m + fast.distance_m)
    assert stats.total_duration_s == slow.duration_s + fast.duration_s
    assert stats.longest_distance_m == pytest.approx(slow.distance_m)
    assert stats.longest_distance_workout_id == slow.pk
    assert stats.fastest_1k_s == pytest.approx(270, abs=1)
    assert stats.fastest_1k_workout_id == fast.pk
    assert stats.fastest_5k_s == pytest.approx(1800, abs=2)  # only the slow run reached 5 km
    # first run: longest, 1k, 5k; second run: a faster 1k only
    assert sorted(received) == sorted([
        ("longest_distance_m", slow.pk), ("fastest_1k_s", slow.pk), ("fastest_5k_s", slow.pk),
        ("fastest_1k_s", fast.pk),
    ])

    # deleting the fast run gives its record back to the slow one
    services.workout_delete(workout=fast)
    stats.refresh_from_db()
    assert stats.total_workouts == 1
    assert stats.fastest_1k_s == pytest.approx(360, abs=1)
    assert stats.fastest_1k_workout_id == slow.pk
    assert stats.total_distance_m == pytest.approx(slow.distance_m)


def test_workout_completed_event_is_sent_once(user, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs["workout"].pk)

    with only_receiver(events.workout_completed, receiver), django_capture_on_commit_callbacks(execute=True):
        workout = complete_run(user, seconds=60, speed_mps=3.0)
    assert received == [workout.pk]


def test_route_completion_and_shape_accuracy_with_a_route_option(auth_client, user):
    lap = loop_points(count=283, radius_m=150.0)  # one lap of a 150 m circle ≈ 942 m at 5:00/km
    _, option = make_route_option(user, [[p["latitude"], p["longitude"]] for p in lap])
    workout = WorkoutFactory(user=user, route=option.route, route_option=option)
    services.workout_add_points(workout=workout, points=_parsed(lap))
    data = post(auth_client, f"/api/v1/workouts/{workout.pk}/complete",
                {"completed_at": "2026-05-01T06:35:00Z"}).json()["data"]
    assert data["route_id"] == str(option.route_id)
    assert data["route_name"] == "Morning loop"
    assert data["route_completion"] == pytest.approx(100.0, abs=1.0)
    assert data["shape_accuracy"] is not None
    assert data["shape_accuracy"] > 80
    assert UserStats.objects.get(user=user).completed_routes == 1

    # half the lap covers about half the route and is not a completed route
    other = WorkoutFactory(user=user, route=option.route, route_option=option, started_at=START + timedelta(1))
    half = loop_points(count=142, radius_m=150.0, start=START + timedelta(1))
    services.workout_add_points(workout=other, points=_parsed(half))
    other = services.workout_complete(workout=other, completed_at=START + timedelta(days=1, minutes=3))
    # half the path, plus the 30 m completion radius past each end of the half lap (60 m of 942 m ≈ 6 %)
    assert other.route_completion == pytest.approx(50.0 + 6.4, abs=2.0)
    assert UserStats.objects.get(user=user).completed_routes == 1
