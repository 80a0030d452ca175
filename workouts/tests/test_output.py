"""The workout representation: `workout_data` (what the API sends) has WorkoutSerializer's declared fields (what
the OpenAPI schema documents; schemathesis checks the values against it) in their order, the narrow read for
output gives the same as the full row, and a detail GET is two queries at most (none once the token's user and the
completed workout are cached)."""

from datetime import timedelta

import pytest

from routes.models import RouteShape
from workouts import selectors
from workouts.output import workout_data
from workouts.serializers import WorkoutSerializer
from workouts.tests.factories import START, WorkoutFactory, loop_points, make_route_option

pytestmark = pytest.mark.django_db


def _completed_on_a_shaped_route(user, auth_client):
    route, option = make_route_option(user, [[37.5444, 127.0374], [37.5464, 127.0394]])
    shape = RouteShape.objects.create(shape_id="test-heart", name="Heart", icon_name="heart", svg_template="M0 0",
                                      estimated_distance=3)
    route.shape = shape
    route.save()
    created = auth_client.post("/api/v1/workouts", {"type": "running", "start_latitude": 37.5444,
                                                    "start_longitude": 127.0374, "started_at": START.isoformat(),
                                                    "route_option_id": str(option.pk)}, format="json")
    workout_id = created.json()["data"]["id"]
    points = loop_points(count=700, altitude_amplitude_m=5.0)
    assert auth_client.post(f"/api/v1/workouts/{workout_id}/points", {"points": points},
                            format="json").status_code == 200
    completed = auth_client.post(f"/api/v1/workouts/{workout_id}/complete",
                                 {"completed_at": (START + timedelta(seconds=700)).isoformat()}, format="json")
    assert completed.status_code == 200
    return workout_id


def test_the_output_has_the_declared_fields_and_the_narrow_read_loses_nothing(user, auth_client):
    workout_id = _completed_on_a_shaped_route(user, auth_client)
    active = WorkoutFactory(user=user, started_at=START - timedelta(days=1))  # nulls everywhere, no route
    imported = WorkoutFactory(user=user, source="gpx", status="completed", calories_kcal=321.6,
                              calories_source="device", heart_rate_avg=151.4, weight_assumed=True,
                              completed_at=START + timedelta(hours=1), end_latitude=37.12345678,
                              splits=[{"km": 1, "distance_m": 664.2, "duration_s": 199.3, "pace_s": 299.6,
                                       "elevation_change_m": None, "is_partial": True}])
    for pk in (workout_id, active.pk, imported.pk):
        full = selectors.workout_get_for_user(user=user, workout_id=pk)
        narrow = selectors.workout_detail_for_user(user=user, workout_id=pk)
        assert workout_data(narrow) == workout_data(full)
        assert list(workout_data(narrow)) == list(WorkoutSerializer().fields)  # the schema's fields, in order
    shown = workout_data(selectors.workout_detail_for_user(user=user, workout_id=imported.pk))
    assert shown["splits"] == [{"km": 1, "distance": 0.66, "duration": 199, "pace": "5:00", "pace_s": 300,
                                "elevation_change": None, "is_partial": True}]
    assert (shown["calories"], shown["calories_source"], shown["calories_estimated"], shown["heart_rate_avg"],
            shown["weight_assumed"], shown["end_latitude"]) == (322, "device", False, 151, True, 37.1234568)
    assert shown["avg_pace"] is None
    shaped = workout_data(selectors.workout_detail_for_user(user=user, workout_id=workout_id))
    assert shaped["shape_id"] == "test-heart" and shaped["route_name"] == "Morning loop"
    assert len(shaped["splits"]) >= 2 and shaped["splits"][-1]["is_partial"] is True


def test_detail_get_is_two_queries_then_none_and_matches_the_list(user, auth_client, django_assert_num_queries):
    from django.core.cache import cache

    workout_id = _completed_on_a_shaped_route(user, auth_client)
    cache.clear()
    with django_assert_num_queries(2):  # the token's user, the workout with its route and shape
        detail = auth_client.get(f"/api/v1/workouts/{workout_id}")
    assert detail.status_code == 200
    with django_assert_num_queries(0):  # both from the cache
        again = auth_client.get(f"/api/v1/workouts/{workout_id}")
    assert again.json() == detail.json()
    listed = auth_client.get("/api/v1/workouts").json()["data"]["results"]
    assert listed == [detail.json()["data"]]


def test_detail_get_without_the_row_caches_is_two_queries(user, auth_client, settings, django_assert_num_queries):
    workout_id = _completed_on_a_shaped_route(user, auth_client)
    settings.TOKEN_USER_CACHE_TIMEOUT = settings.WORKOUT_DETAIL_CACHE_TIMEOUT = 0  # the embedded default
    for _ in range(2):
        with django_assert_num_queries(2):
            assert auth_client.get(f"/api/v1/workouts/{workout_id}").status_code == 200
