"""The workout state machine: active ⇄ paused → completed, every legal and illegal transition."""

from datetime import timedelta

import pytest

from workouts import services
from workouts.models import UserStats, Workout, WorkoutPause
from workouts.tests.factories import START, WorkoutFactory

ACTIONS = ("pause", "resume", "complete")
# (status before, action) → status after, or None for 409 invalid_state
TRANSITIONS = {
    ("active", "pause"): "paused",
    ("active", "resume"): None,
    ("active", "complete"): "completed",
    ("paused", "pause"): None,
    ("paused", "resume"): "active",
    ("paused", "complete"): "completed",
    ("completed", "pause"): None,
    ("completed", "resume"): None,
    ("completed", "complete"): None,
}


def workout_in(status: str, user) -> Workout:
    workout = WorkoutFactory(user=user)
    if status in ("paused", "completed"):
        services.workout_pause(workout=workout, at=START + timedelta(minutes=1))
    if status == "completed":
        services.workout_complete(workout=workout, completed_at=START + timedelta(minutes=2))
    workout.refresh_from_db()
    assert workout.status == status
    return workout


@pytest.mark.parametrize(("before", "action"), list(TRANSITIONS))
def test_every_transition(auth_client, user, before, action):
    workout = workout_in(before, user)
    pauses_before = list(WorkoutPause.objects.filter(workout=workout).values_list("started_at", "ended_at"))
    response = auth_client.post(f"/api/v1/workouts/{workout.pk}/{action}", {}, format="json")
    expected = TRANSITIONS[(before, action)]
    workout.refresh_from_db()
    if expected is None:
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "invalid_state"
        assert workout.status == before
        assert list(WorkoutPause.objects.filter(workout=workout).values_list("started_at", "ended_at")) == (
            pauses_before
        )
    else:
        assert response.status_code == 200, response.json()
        assert response.json()["success"] is True
        assert response.json()["data"]["status"] == expected
        assert workout.status == expected


def test_pause_and_resume_store_spans(auth_client, workout):
    url = f"/api/v1/workouts/{workout.pk}"
    auth_client.post(f"{url}/pause", {"at": "2026-05-01T06:40:00Z"}, format="json")
    auth_client.post(f"{url}/resume", {"at": "2026-05-01T06:42:00Z"}, format="json")
    auth_client.post(f"{url}/pause", {"at": "2026-05-01T06:50:00Z"}, format="json")
    response = auth_client.post(f"{url}/complete", {"completed_at": "2026-05-01T06:55:00Z"}, format="json")
    assert response.status_code == 200
    spans = [(p.started_at.minute, p.ended_at.minute) for p in WorkoutPause.objects.filter(workout=workout)]
    # the pause still open at completion is closed at the completion time
    assert spans == [(40, 42), (50, 55)]
    assert response.json()["data"]["elapsed_duration"] == 25 * 60


def test_transition_times_are_checked(auth_client, workout):
    url = f"/api/v1/workouts/{workout.pk}"
    before_start = auth_client.post(f"{url}/pause", {"at": "2026-05-01T06:00:00Z"}, format="json")
    assert before_start.status_code == 400
    assert "at" in before_start.json()["error"]["fields"]
    future = auth_client.post(f"{url}/pause", {"at": "2999-01-01T00:00:00Z"}, format="json")
    assert future.status_code == 400
    auth_client.post(f"{url}/pause", {"at": "2026-05-01T06:40:00Z"}, format="json")
    resume_before_pause = auth_client.post(f"{url}/resume", {"at": "2026-05-01T06:39:00Z"}, format="json")
    assert resume_before_pause.status_code == 400
    workout.refresh_from_db()
    assert workout.status == "paused"


def test_completing_twice_changes_nothing(auth_client, workout):
    url = f"/api/v1/workouts/{workout.pk}/complete"
    first = auth_client.post(url, {"completed_at": "2026-05-01T07:00:00Z"}, format="json")
    assert first.status_code == 200
    workout.refresh_from_db()
    snapshot = (workout.completed_at, workout.updated_at, workout.distance_m)
    second = auth_client.post(url, {"completed_at": "2026-05-01T07:30:00Z"}, format="json")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "invalid_state"
    workout.refresh_from_db()
    assert (workout.completed_at, workout.updated_at, workout.distance_m) == snapshot
    assert UserStats.objects.get(user=workout.user).total_workouts == 1
