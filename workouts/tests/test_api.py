"""Workouts API: start, list (filters, pagination, constant queries), detail, delete, track, ownership."""

from datetime import timedelta

import polyline
import pytest

from workouts import services
from workouts.models import Workout
from workouts.tests.factories import START, WorkoutFactory, loop_points, make_route_option

START_BODY = {"type": "running", "start_latitude": 37.5444, "start_longitude": 127.0374}


def test_start_a_workout(auth_client, user):
    response = auth_client.post("/api/v1/workouts", START_BODY, format="json")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["status"] == "active"
    assert data["source"] == "live"
    assert data["distance"] == 0.0
    workout = Workout.objects.get(pk=data["id"])
    assert workout.user == user
    assert (workout.start_latitude, workout.start_longitude) == (37.5444, 127.0374)


def test_start_following_a_route_option(auth_client, user):
    _, option = make_route_option(user, [[37.5444, 127.0374], [37.5454, 127.0384]])
    response = auth_client.post("/api/v1/workouts", {**START_BODY, "route_option_id": str(option.pk)},
                                format="json")
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["route_id"], data["route_option_id"]) == (str(option.route_id), str(option.pk))


def test_start_refuses_bad_input_and_foreign_routes(auth_client, other_user):
    missing = auth_client.post("/api/v1/workouts", {"type": "running"}, format="json")
    assert missing.status_code == 400
    assert {"start_latitude", "start_longitude"} <= set(missing.json()["error"]["fields"])
    bad_type = auth_client.post("/api/v1/workouts", {**START_BODY, "type": "swimming"}, format="json")
    assert "type" in bad_type.json()["error"]["fields"]
    foreign_route, foreign_option = make_route_option(other_user, [[37.5, 127.0], [37.501, 127.001]])
    for field, value in (("route_id", foreign_route.pk), ("route_option_id", foreign_option.pk)):
        response = auth_client.post("/api/v1/workouts", {**START_BODY, field: str(value)}, format="json")
        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]
    assert not Workout.objects.exists()


def test_client_cannot_set_computed_fields(auth_client):
    body = {**START_BODY, "distance": 42.0, "status": "completed", "user_id": "x", "calories": 9000}
    data = auth_client.post("/api/v1/workouts", body, format="json").json()["data"]
    assert (data["distance"], data["status"], data["calories"]) == (0.0, "active", None)


def test_list_is_mine_newest_first_with_filters(auth_client, user, other_user):
    old = WorkoutFactory(user=user, started_at=START - timedelta(days=10), status="completed")
    new = WorkoutFactory(user=user, started_at=START, status="active")
    WorkoutFactory(user=other_user, started_at=START + timedelta(days=1))
    WorkoutFactory(user=user, started_at=START + timedelta(days=2), deleted_at=START)
    data = auth_client.get("/api/v1/workouts").json()["data"]
    assert [w["id"] for w in data["results"]] == [str(new.pk), str(old.pk)]
    assert data["next"] is None
    completed = auth_client.get("/api/v1/workouts?status=completed").json()["data"]["results"]
    assert [w["id"] for w in completed] == [str(old.pk)]
    # dates are the user's calendar days (Asia/Seoul): START is 2026-05-01 15:30 there
    may_first = auth_client.get("/api/v1/workouts?from=2026-05-01&to=2026-05-01").json()["data"]["results"]
    assert [w["id"] for w in may_first] == [str(new.pk)]
    april = auth_client.get("/api/v1/workouts?to=2026-04-30").json()["data"]["results"]
    assert [w["id"] for w in april] == [str(old.pk)]
    bad = auth_client.get("/api/v1/workouts?from=2026-05-02&to=2026-05-01")
    assert bad.status_code == 400
    assert auth_client.get("/api/v1/workouts?status=flying").status_code == 400


def test_list_pages_with_a_cursor(auth_client, user):
    for day in range(5):
        WorkoutFactory(user=user, started_at=START + timedelta(days=day))
    first = auth_client.get("/api/v1/workouts?page_size=2").json()["data"]
    assert len(first["results"]) == 2
    second = auth_client.get(first["next"]).json()["data"]
    third = auth_client.get(second["next"]).json()["data"]
    ids = [w["id"] for page in (first, second, third) for w in page["results"]]
    assert len(set(ids)) == 5
    starts = [w["started_at"] for page in (first, second, third) for w in page["results"]]
    assert starts == sorted(starts, reverse=True)


@pytest.mark.parametrize("count", [3, 15])
def test_list_query_count_does_not_grow(auth_client, user, count, django_assert_max_num_queries):
    _, option = make_route_option(user, [[37.5, 127.0], [37.501, 127.001]])
    for day in range(count):
        WorkoutFactory(user=user, started_at=START + timedelta(days=day), route=option.route,
                       route_option=option)
    # auth (user) + page
    with django_assert_max_num_queries(2):
        response = auth_client.get("/api/v1/workouts")
    assert len(response.json()["data"]["results"]) == count


def test_detail_and_soft_delete(auth_client, workout):
    url = f"/api/v1/workouts/{workout.pk}"
    data = auth_client.get(url).json()["data"]
    assert data["id"] == str(workout.pk)
    assert data["splits"] == []
    response = auth_client.delete(url)
    assert response.status_code == 204
    workout.refresh_from_db()
    assert workout.deleted_at is not None
    assert auth_client.get(url).status_code == 404
    assert auth_client.delete(url).status_code == 404


def test_track_returns_the_used_points(auth_client, workout):
    points = loop_points(count=30)
    points[5]["accuracy"] = 90.0  # kept out of the metrics, so out of the track
    auth_client.post(f"/api/v1/workouts/{workout.pk}/points", {"points": points}, format="json")
    data = auth_client.get(f"/api/v1/workouts/{workout.pk}/track").json()["data"]
    coordinates = data["path"]["coordinates"]
    assert len(coordinates) == len(data["times"]) == len(data["altitudes"]) == len(data["heart_rates"]) == 29
    assert coordinates[0] == [points[0]["latitude"], points[0]["longitude"]]
    assert data["times"][0] == "2026-05-01T06:30:00Z"
    decoded = polyline.decode(data["path"]["polyline"], 5)
    assert decoded[-1] == pytest.approx(tuple(coordinates[-1]), abs=1e-5)
    lats = [c[0] for c in coordinates]
    assert data["path"]["bbox"][0] == min(lats)
    assert data["path"]["bbox"][2] == max(lats)
    assert data["heart_rates"][0] == 150


def test_track_of_an_empty_workout(auth_client, workout):
    data = auth_client.get(f"/api/v1/workouts/{workout.pk}/track").json()["data"]
    assert data["path"] is None  # no path: null, as everywhere (runnerway.api.units.path_object)
    assert data["times"] == data["altitudes"] == data["heart_rates"] == []


ENDPOINTS = [
    ("get", ""), ("delete", ""), ("post", "/points"), ("post", "/pause"), ("post", "/resume"),
    ("post", "/complete"), ("get", "/track"), ("get", "/gpx"),
]


@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_other_users_workouts_answer_404_everywhere(other_client, workout, method, suffix):
    body = {"points": loop_points(count=3)} if suffix == "/points" else {}
    response = getattr(other_client, method)(f"/api/v1/workouts/{workout.pk}{suffix}", body, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    workout.refresh_from_db()
    assert (workout.status, workout.deleted_at, workout.points_count) == ("active", None, 0)


@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_unknown_workouts_answer_404(auth_client, method, suffix):
    response = getattr(auth_client, method)(
        f"/api/v1/workouts/00000000-0000-4000-8000-000000000000{suffix}", {}, format="json")
    assert response.status_code == 404


def test_anonymous_is_refused(api_client, workout):
    assert api_client.get("/api/v1/workouts").status_code == 401
    assert api_client.get(f"/api/v1/workouts/{workout.pk}").status_code == 401
    assert api_client.get("/api/v1/users/me/stats").status_code == 401


def test_completed_workout_detail_has_metrics(auth_client, workout):
    from datetime import datetime

    points = [{**p, "recorded_at": datetime.fromisoformat(p["recorded_at"])} for p in loop_points(count=1300)]
    services.workout_add_points(workout=workout, points=points)
    services.workout_complete(workout=workout, completed_at=START + timedelta(seconds=1300))
    data = auth_client.get(f"/api/v1/workouts/{workout.pk}").json()["data"]
    assert data["status"] == "completed"
    assert [s["km"] for s in data["splits"]] == [1, 2, 3, 4, 5]
    assert data["splits"][0]["pace"] == "5:00"
    assert data["max_pace"] == data["min_pace"] == "5:00"
    assert data["end_latitude"] is not None


def test_splits_are_stored_in_si_units_and_answered_in_the_apis(auth_client, user):
    # API.md units: distance in km, 2 decimals; whole seconds; "m:ss" paces. Stored: metres, seconds, s/km.
    splits = [{"km": 1, "distance_m": 1000.0, "duration_s": 300.2, "pace_s": 300.2, "elevation_change_m": 0.0,
               "is_partial": False},
              {"km": 2, "distance_m": 664.4, "duration_s": 199.4, "pace_s": 300.1, "elevation_change_m": None,
               "is_partial": True}]
    workout = WorkoutFactory(user=user, status="completed", distance_m=1664.0, splits=splits)
    detail = auth_client.get(f"/api/v1/workouts/{workout.pk}").json()["data"]
    listed = auth_client.get("/api/v1/workouts").json()["data"]["results"][0]
    for data in (detail, listed):
        assert data["splits"] == [
            {"km": 1, "distance": 1.0, "duration": 300, "pace": "5:00", "pace_s": 300, "elevation_change": 0.0,
             "is_partial": False},
            {"km": 2, "distance": 0.66, "duration": 199, "pace": "5:00", "pace_s": 300, "elevation_change": None,
             "is_partial": True}]
        assert data["distance"] == 1.66
