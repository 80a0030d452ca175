"""A completed workout's detail output served from the shared cache (workouts.selectors.workout_detail_cache).

The cached answer must always be the answer the database would give: every write to the workout, to its route's
name or to its shape shows on the next GET, a deleted workout is gone, another user never gets it, and a live
workout (changing with every batch) is never cached.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache

from routes.models import Route, RouteShape
from workouts.models import Workout
from workouts.output import WORKOUT_OUTPUT_VERSION
from workouts.selectors import workout_detail_cache
from workouts.tests.factories import START, WorkoutFactory, loop_points, make_route_option

pytestmark = pytest.mark.django_db


@pytest.fixture
def shaped_completed(user, auth_client):
    """A completed workout of `user` on a route with a shape, its detail GET answered once (so cached)."""
    route, option = make_route_option(user, [[37.5444, 127.0374], [37.5464, 127.0394]])
    route.shape = RouteShape.objects.create(shape_id="test-star", name="Star", icon_name="star", svg_template="M0 0",
                                            estimated_distance=3)
    route.save()
    workout = WorkoutFactory(user=user, route=route, route_option=option, status="completed",
                             completed_at=START + timedelta(minutes=30), distance_m=5000, duration_s=1800,
                             shape_accuracy=81.26)
    detail = auth_client.get(f"/api/v1/workouts/{workout.pk}")
    assert detail.status_code == 200
    assert workout_detail_cache.get(workout.pk) is not None
    return workout


def _detail(client, workout) -> dict:
    response = client.get(f"/api/v1/workouts/{workout.pk}")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_cached_answer_equals_the_database_answer(auth_client, shaped_completed, settings):
    cached = _detail(auth_client, shaped_completed)
    settings.WORKOUT_DETAIL_CACHE_TIMEOUT = 0
    assert _detail(auth_client, shaped_completed) == cached
    assert cached["shape_id"] == "test-star" and cached["shape_accuracy"] == 81.3 and cached["distance"] == 5.0


def test_another_user_gets_404_though_the_entry_is_cached(other_client, shaped_completed):
    response = other_client.get(f"/api/v1/workouts/{shaped_completed.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_deleting_the_workout_answers_404_at_once(auth_client, shaped_completed):
    assert auth_client.delete(f"/api/v1/workouts/{shaped_completed.pk}").status_code == 204
    assert auth_client.get(f"/api/v1/workouts/{shaped_completed.pk}").status_code == 404


def test_renaming_the_route_shows_at_once(auth_client, shaped_completed):
    renamed = auth_client.patch(f"/api/v1/routes/{shaped_completed.route_id}", {"name": "Star of Suwon"},
                                format="json")
    assert renamed.status_code == 200
    assert _detail(auth_client, shaped_completed)["route_name"] == "Star of Suwon"


def test_editing_the_shape_shows_at_once(auth_client, shaped_completed):
    shape = shaped_completed.route.shape  # (a shape in use cannot be deleted: Route.shape is PROTECT)
    shape.name, shape.icon_name = "Big star", "star-2"
    shape.save()
    detail = _detail(auth_client, shaped_completed)
    assert (detail["shape_name"], detail["shape_icon"]) == ("Big star", "star-2")


def test_deleting_the_route_shows_at_once(auth_client, shaped_completed):
    Route.objects.get(pk=shaped_completed.route_id).delete()  # SET_NULL on the workout, no signal on it
    detail = _detail(auth_client, shaped_completed)
    assert detail["route_id"] is None and detail["route_name"] is None


def test_saves_and_invalidated_bulk_updates_of_the_workout_show_at_once(auth_client, shaped_completed):
    Workout.objects.filter(pk=shaped_completed.pk).update(shape_accuracy=55.44)  # sends no signal:
    assert _detail(auth_client, shaped_completed)["shape_accuracy"] == 81.3  # the entry stands until forgotten
    workout_detail_cache.invalidate([shaped_completed.pk])
    assert _detail(auth_client, shaped_completed)["shape_accuracy"] == 55.4
    shaped_completed.refresh_from_db()
    shaped_completed.calories_kcal = 432
    shaped_completed.save()
    assert _detail(auth_client, shaped_completed)["calories"] == 432


def test_a_live_workout_is_never_cached(auth_client):
    created = auth_client.post("/api/v1/workouts", {"type": "running", "start_latitude": 37.5444,
                                                    "start_longitude": 127.0374, "started_at": START.isoformat()},
                               format="json")
    workout_id = created.json()["data"]["id"]
    points = loop_points(count=120)
    seen = []
    for batch in (points[:60], points[60:]):
        assert auth_client.post(f"/api/v1/workouts/{workout_id}/points", {"points": batch},
                                format="json").status_code == 200
        seen.append(auth_client.get(f"/api/v1/workouts/{workout_id}").json()["data"]["distance"])
        assert cache.get(workout_detail_cache.key(workout_id)) is None
    assert 0 < seen[0] < seen[1]  # live totals move with every batch
    completed = auth_client.post(f"/api/v1/workouts/{workout_id}/complete",
                                 {"completed_at": (START + timedelta(seconds=120)).isoformat()}, format="json")
    assert completed.status_code == 200
    assert _detail(auth_client, Workout.objects.get(pk=workout_id)) == completed.json()["data"]


def test_an_entry_of_another_output_version_is_a_miss(auth_client, shaped_completed):
    # entries carry WORKOUT_OUTPUT_VERSION: one written by code with another output is never served
    assert workout_detail_cache.version == WORKOUT_OUTPUT_VERSION
    key = workout_detail_cache.key(shaped_completed.pk)
    stale = {language: {"stale": True} for language in ("en", "ko")}
    cache.set(key, (WORKOUT_OUTPUT_VERSION - 1, (str(shaped_completed.user_id), stale)), 300)
    assert _detail(auth_client, shaped_completed)["id"] == str(shaped_completed.pk)


def test_deleting_another_routes_option_the_workout_used_shows_at_once(user, auth_client, shaped_completed):
    other_route, other_option = make_route_option(user, [[37.55, 127.04], [37.551, 127.041]])
    shaped_completed.refresh_from_db()
    shaped_completed.route_option = other_option  # as staff can in the admin
    shaped_completed.save()
    assert _detail(auth_client, shaped_completed)["route_option_id"] == str(other_option.pk)
    other_route.delete()  # cascades to the option: the workout's route_option_id becomes NULL without a signal
    assert _detail(auth_client, shaped_completed)["route_option_id"] is None
