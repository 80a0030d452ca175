"""The privacy zone of shared tracks, and save-route."""

import numpy as np
import pytest

from community.models import Post
from community.privacy import PRIVACY_ZONE_M, trim_privacy_zone
from community.tests.factories import (
    START_LAT,
    START_LON,
    PostFactory,
    WorkoutFactory,
    route_with_options,
    straight_track,
)
from conftest import client_for
from routes.models import Route, RouteOption
from workouts.metrics import haversine_m


def _distance_m(a, b) -> float:
    return float(haversine_m(a[0], a[1], b[0], b[1]))


@pytest.mark.django_db
class TestSharedTrack:
    def test_others_see_the_track_without_its_first_and_last_200_m(self, user, other_user):
        workout = WorkoutFactory(user=user, distance_m=3000.0)
        real = straight_track(workout, length_m=3000.0)
        post = PostFactory(author=user, workout=workout)
        url = f"/api/v1/community/posts/{post.pk}/track"

        theirs = client_for(other_user).get(url).json()["data"]
        coordinates = theirs["path"]["coordinates"]
        assert theirs["trimmed"] is True and theirs["privacy_zone_m"] == PRIVACY_ZONE_M
        assert _distance_m(coordinates[0], real[0]) >= PRIVACY_ZONE_M
        assert _distance_m(coordinates[-1], real[-1]) >= PRIVACY_ZONE_M
        assert min(_distance_m(point, real[0]) for point in coordinates) >= PRIVACY_ZONE_M
        assert len(coordinates) == pytest.approx(len(real) - 2 * PRIVACY_ZONE_M / 10, abs=2)  # 10 m steps

        mine = client_for(user).get(url).json()["data"]
        assert mine["trimmed"] is False
        assert mine["path"]["coordinates"][0] == [round(real[0][0], 7), round(real[0][1], 7)]
        assert len(mine["path"]["coordinates"]) == len(real)

    def test_no_other_endpoint_reveals_the_start(self, user, other_user):
        workout = WorkoutFactory(user=user, start_latitude=START_LAT, start_longitude=START_LON,
                                 end_latitude=START_LAT + 0.027, end_longitude=START_LON)
        straight_track(workout, length_m=3000.0)
        post = PostFactory(author=user, workout=workout)
        other = client_for(other_user)
        for url in (f"/api/v1/community/posts/{post.pk}", "/api/v1/community/posts"):
            body = other.get(url).content.decode()
            assert "37.5665" not in body and "126.978" not in body
            assert "latitude" not in body
        # The workout's own endpoints are the owner's alone.
        assert other.get(f"/api/v1/workouts/{workout.pk}/track").status_code == 404

    def test_a_short_track_shows_nothing_to_others(self, user, other_user):
        workout = WorkoutFactory(user=user, distance_m=350.0)
        straight_track(workout, length_m=350.0)
        post = PostFactory(author=user, workout=workout)
        data = client_for(other_user).get(f"/api/v1/community/posts/{post.pk}/track").json()["data"]
        assert data["path"] is None

    def test_post_without_workout_has_no_track(self, user):
        post = PostFactory(author=user)
        assert client_for(user).get(f"/api/v1/community/posts/{post.pk}/track").status_code == 404


def test_trim_drops_points_near_the_ends_even_mid_run():
    """An out-and-back run passes its start again in the middle: those points go too."""
    step_deg = 10 / 111_195.0
    out = [START_LAT + i * step_deg for i in range(101)]  # 1 km north
    lat = np.array(out + out[-2::-1] + out[1:])  # back to the start, then north again
    lon = np.full(lat.size, START_LON)
    kept = trim_privacy_zone(lat, lon)
    start, end = (lat[0], lon[0]), (lat[-1], lon[-1])
    assert kept.size > 0
    assert all(_distance_m((lat[i], lon[i]), start) >= PRIVACY_ZONE_M for i in kept)
    assert all(_distance_m((lat[i], lon[i]), end) >= PRIVACY_ZONE_M for i in kept)
    middle = 200  # the index where the runner is back at the start
    assert middle not in set(kept.tolist())


@pytest.mark.django_db
class TestSaveRoute:
    def test_copies_the_shown_option_into_my_routes(self, user, other_user):
        route = route_with_options(user=other_user, options=3, name="Heart of Seoul")
        shown = route.options.get(rank=2)
        post = PostFactory(author=other_user, route=route, route_option=shown)
        response = client_for(user).post(f"/api/v1/community/posts/{post.pk}/save-route")
        assert response.status_code == 201, response.content
        data = response.json()["data"]
        copy = Route.objects.get(pk=data["id"])
        assert copy.user_id == user.pk and copy.pk != route.pk
        assert (copy.name, copy.shape_id, copy.target_distance_km) == (route.name, route.shape_id,
                                                                       route.target_distance_km)
        options = list(RouteOption.objects.filter(route=copy))
        assert len(options) == 1
        assert (options[0].rank, options[0].polyline, options[0].distance_km) == (1, shown.polyline,
                                                                                  shown.distance_km)
        assert [option["id"] for option in data["options"]] == [str(options[0].pk)]
        # The original is untouched, and the copy is mine to see.
        assert RouteOption.objects.filter(route=route).count() == 3
        assert client_for(user).get(f"/api/v1/routes/{copy.pk}").status_code == 200

    def test_post_without_a_route_or_with_a_deleted_route(self, user, other_user):
        no_route = PostFactory(author=other_user)
        client = client_for(user)
        assert client.post(f"/api/v1/community/posts/{no_route.pk}/save-route").status_code == 404
        route = route_with_options(user=other_user)
        post = PostFactory(author=other_user, route=route, visibility=Post.Visibility.PUBLIC)
        Route.objects.filter(pk=route.pk).update(deleted_at="2026-01-01T00:00:00Z")
        assert client.post(f"/api/v1/community/posts/{post.pk}/save-route").status_code == 404
        assert not Route.objects.filter(user=user).exists()
