"""Ingestion of GPS point batches: validation as a whole, idempotent retries, order independence, rejects."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import client_for
from workouts import services
from workouts.metrics import filtering
from workouts.models import Workout, WorkoutPoint
from workouts.tests.factories import START, WorkoutFactory, loop_points, make_route_option


def post_points(client, workout, points):
    return client.post(f"/api/v1/workouts/{workout.pk}/points", {"points": points}, format="json")


def stored(workout) -> list[tuple[int, str]]:
    return list(WorkoutPoint.objects.filter(workout=workout).order_by("seq").values_list("seq", "rejected_reason"))


def test_batch_is_stored_with_live_totals(auth_client, workout):
    response = post_points(auth_client, workout, loop_points(count=601))
    assert response.status_code == 200
    body = response.json()["data"]
    assert body["accepted"] == 601
    assert body["duplicates"] == 0
    assert body["rejected"] == 0
    assert body["last_seq"] == 600
    # 600 s at 5:00/km = 2.00 km and 600 moving seconds
    assert body["distance"] == pytest.approx(2.0, abs=0.01)
    assert body["duration"] == 600
    assert "off_route" not in body
    workout.refresh_from_db()
    assert workout.points_count == 601
    assert workout.duration_s == 600
    assert workout.last_point_at == START + timedelta(seconds=600)


def test_retried_and_overlapping_batches_store_nothing_twice(auth_client, workout):
    points = loop_points(count=300)
    first = post_points(auth_client, workout, points[:200]).json()["data"]
    retry = post_points(auth_client, workout, points[:200]).json()["data"]
    assert retry["duplicates"] == 200
    assert retry["accepted"] == 0
    assert (retry["distance"], retry["duration"]) == (first["distance"], first["duration"])
    overlap = post_points(auth_client, workout, points[150:300]).json()["data"]
    assert (overlap["accepted"], overlap["duplicates"]) == (100, 50)
    assert WorkoutPoint.objects.filter(workout=workout).count() == 300
    # a seq repeated inside one batch is stored once too
    again = post_points(auth_client, workout, [points[0], points[0]]).json()["data"]
    assert again["duplicates"] == 2
    assert WorkoutPoint.objects.filter(workout=workout).count() == 300


def test_out_of_order_batches_give_the_same_totals(user, make_client):
    points = loop_points(count=400)
    batches = [points[0:100], points[100:200], points[200:300], points[300:400]]
    results = []
    for order in ([0, 1, 2, 3], [3, 1, 0, 2]):
        workout = WorkoutFactory(user=user)
        client = make_client(user)
        for index in order:
            last = post_points(client, workout, batches[index]).json()["data"]
        results.append((last["distance"], last["duration"], last["last_seq"], stored(workout)))
    assert results[0] == results[1]
    assert results[0][0] == pytest.approx(400 / 300, abs=0.01)


@pytest.mark.parametrize(("index", "field", "value"), [
    (3, "latitude", 91.0),
    (0, "longitude", "east"),
    (7, "recorded_at", "yesterday"),
    (2, "heart_rate", -5),
    (5, "seq", -1),
    (4, "accuracy", -3),
])
def test_a_malformed_point_rejects_the_whole_batch(auth_client, workout, index, field, value):
    points = loop_points(count=10)
    points[index][field] = value
    response = post_points(auth_client, workout, points)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert f"points.{index}.{field}" in error["fields"]
    assert not WorkoutPoint.objects.filter(workout=workout).exists()


def test_a_missing_field_is_named(auth_client, workout):
    points = loop_points(count=5)
    del points[2]["recorded_at"]
    response = post_points(auth_client, workout, points)
    assert response.status_code == 400
    assert "points.2.recorded_at" in response.json()["error"]["fields"]
    assert not WorkoutPoint.objects.exists()


@pytest.mark.parametrize("count", [0, services.POINTS_PER_BATCH_MAX + 1])
def test_batch_size_limits(auth_client, workout, count):
    response = post_points(auth_client, workout, loop_points(count=count))
    assert response.status_code == 400
    # API.md: `fields` names the field (dotted for nested ones): the batch itself is `points`.
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["points"] and fields["points"]
    assert not WorkoutPoint.objects.exists()


def test_a_full_batch_of_1000_is_accepted(auth_client, workout):
    response = post_points(auth_client, workout, loop_points(count=services.POINTS_PER_BATCH_MAX))
    assert response.status_code == 200
    assert response.json()["data"]["accepted"] == 1000


def test_implausible_points_are_stored_flagged_and_counted(auth_client, workout):
    points = loop_points(count=120)
    points[10]["accuracy"] = 80.0
    points[20]["latitude"], points[20]["longitude"] = 0.0, 0.0
    points[30]["recorded_at"] = (timezone.now() + timedelta(days=3)).isoformat()
    points[40]["recorded_at"] = "2026-05-01T06:00:00Z"  # before the start
    points[50]["latitude"] += 0.01  # ~1.1 km away one second later: a spike
    body = post_points(auth_client, workout, points).json()["data"]
    assert body["rejected"] == 5
    assert body["accepted"] == 115
    assert body["duplicates"] == 0
    reasons = dict(stored(workout))
    assert (reasons[10], reasons[20], reasons[30], reasons[40]) == (
        "low_accuracy", "null_island", "future", "before_start",
    )
    # the spike depends on its neighbours: flagged once the whole track is known, at completion
    assert reasons[50] == ""
    # the outliers add nothing: 119 one-second steps minus the ones around the dropped fixes
    assert body["distance"] == pytest.approx(119 / 300, abs=0.01)
    services.workout_complete(workout=workout, completed_at=START + timedelta(minutes=5))
    assert dict(stored(workout))[50] == "speed_spike"
    workout.refresh_from_db()
    assert workout.rejected_count == 5


def test_points_for_a_completed_workout_are_refused(auth_client, workout):
    services.workout_complete(workout=workout, completed_at=START + timedelta(minutes=1))
    response = post_points(auth_client, workout, loop_points(count=5))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"
    assert not WorkoutPoint.objects.exists()


def test_one_filter_run_per_batch_and_per_completion(auth_client, workout, monkeypatch):
    """The engine filters the track once per batch and once at completion, and its decisions are stored as
    they are: the service does not filter again or re-derive what was left out."""
    runs = []
    real_spike_mask = filtering._spike_mask

    def counted(*args, **kwargs):  # the last step of every filter run, whoever imported `filter_points`
        runs.append(1)
        return real_spike_mask(*args, **kwargs)

    monkeypatch.setattr(filtering, "_spike_mask", counted)
    points = loop_points(count=120)
    points[50]["latitude"] += 0.01  # a spike: left out by the engine, counted in the batch's answer
    assert post_points(auth_client, workout, points[:60]).json()["data"]["rejected"] == 1
    assert len(runs) == 1
    assert post_points(auth_client, workout, points[60:]).json()["data"]["rejected"] == 0
    assert len(runs) == 2
    post_points(auth_client, workout, points[60:])  # a pure retry answers the stored totals
    assert len(runs) == 2
    services.workout_complete(workout=workout, completed_at=START + timedelta(minutes=5))
    assert len(runs) == 3
    assert dict(stored(workout))[50] == "speed_spike"


def test_a_paused_workout_still_takes_late_points(auth_client, workout):
    services.workout_pause(workout=workout, at=START + timedelta(seconds=100))
    response = post_points(auth_client, workout, loop_points(count=100))
    assert response.status_code == 200
    assert response.json()["data"]["accepted"] == 100


def test_off_route_when_following_a_route_option(auth_client, user):
    points = loop_points(count=200)
    _, option = make_route_option(user, [[p["latitude"], p["longitude"]] for p in points])
    workout = WorkoutFactory(user=user, route=option.route, route_option=option)
    on_route = post_points(auth_client, workout, points[:100]).json()["data"]
    assert on_route["off_route"] is False
    # ~110 m north of the loop, reached at a plausible running pace (an off-route street, not a spike)
    detour = []
    last = points[99]
    for step in range(1, 41):
        detour.append({**last, "seq": 1000 + step, "latitude": last["latitude"] + 0.000025 * step,
                       "recorded_at": (START + timedelta(seconds=99 + step)).isoformat()})
    off_route = post_points(auth_client, workout, detour).json()["data"]
    assert off_route["off_route"] is True
    # a retry answers the stored totals, off_route included
    retry = post_points(auth_client, workout, detour).json()["data"]
    assert (retry["off_route"], retry["accepted"], retry["duplicates"]) == (True, 0, 40)
    assert (retry["distance"], retry["duration"]) == (off_route["distance"], off_route["duration"])


# --- property: any arrival order and any retries give the same stored set and totals -----------------------

TRACK = loop_points(count=240)
BATCHES = [TRACK[i:i + 40] for i in range(0, 240, 40)] + [TRACK[20:70], TRACK[100:110]]


def ingest(user, batch_order: list[int]) -> tuple:
    workout = Workout.objects.create(user=user, started_at=START, type="running")
    client = client_for(user)
    for index in batch_order:
        assert post_points(client, workout, BATCHES[index]).status_code == 200
    workout.refresh_from_db()
    return stored(workout), workout.distance_m, workout.duration_s, workout.last_seq


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(BATCHES))), retries=st.lists(st.integers(0, len(BATCHES) - 1),
                                                                    max_size=4))
def test_any_permutation_and_duplication_of_batches_gives_the_same_result(user, order, retries):
    reference = ingest(user, list(range(len(BATCHES))))
    shuffled = ingest(user, list(order) + retries)
    assert shuffled[0] == reference[0]
    assert len(shuffled[0]) == 240
    assert shuffled[1:] == pytest.approx(reference[1:])
