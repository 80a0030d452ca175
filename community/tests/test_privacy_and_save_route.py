"""The privacy zone on every path a post shows to others, and save-route.

The matrix: for each path-bearing field another runner can read — the post's `route.path` (detail and feed),
`/track`, the route's SVG and GPX previews, a save-route copy (its start, its option's start and path, its GPX,
its custom drawing, its address) — every coordinate lies at least `radius - offset` (>= the chosen size) from
the author's home, and the home cannot be recovered by intersecting circles through the visible ends.
"""

import gpxpy
import numpy as np
import polyline as polyline_codec
import pytest

from accounts.tests.factories import UserFactory
from community.models import Post
from community.privacy import OFFSET_SHARE_MIN, RADIUS_FACTOR_MIN, hidden_centres, privacy_zone_for
from community.shared_paths import privacy_zone_of
from community.tests.factories import PostFactory, route_with_options, straight_track
from community.tests.path_fixtures import (
    HOME,
    circle_fit,
    circle_intersections,
    local_m,
    loop_from,
    offset,
    route_along,
    store_track,
)
from conftest import client_for
from routes import exports
from routes.models import Route, RouteOption
from routes.planner.geometry import haversine_m
from workouts.tests.factories import WorkoutFactory

SECRET = "5eed" * 8  # a fixed draw, so the attack tests are deterministic
# The least a zone of `size` moves the hidden centre off the home: OFFSET_SHARE_MIN x (RADIUS_FACTOR_MIN - 1).
MIN_CENTRE_SHIFT_SHARE = OFFSET_SHARE_MIN * (RADIUS_FACTOR_MIN - 1)


def _distance_m(a, b) -> float:
    return float(haversine_m(a[0], a[1], b[0], b[1]))


def _author(size_m: int = 200, secret: str = SECRET):
    return UserFactory(privacy_zone_m=size_m, privacy_zone_secret=secret)


def _shared_post(author, *, bearing_deg: float = 0.0, custom_points=None, radius_m: float | None = None):
    """A public post sharing a loop run from HOME and the route it ran (also a loop from HOME)."""
    radius_m = radius_m or max(500.0, 2.5 * author.privacy_zone_m)  # something must be left outside the zone
    loop = loop_from(HOME, radius_m=radius_m, bearing_deg=bearing_deg)
    workout = WorkoutFactory(completed=True, user=author, distance_m=2 * np.pi * radius_m)
    store_track(workout, loop)
    route_path = loop_from(HOME, radius_m=radius_m - 20, bearing_deg=bearing_deg + 20, step_m=40.0)
    extra = {"mode": Route.Mode.CUSTOM, "shape": None, "custom_points": custom_points} if custom_points else {}
    route, option = route_along(user=author, coordinates=route_path, location_address="서울 중구 세종대로 110",
                                location_district="중구", **extra)
    workout.route, workout.route_option = route, option
    workout.save(update_fields=["route", "route_option"])
    return PostFactory(author=author, workout=workout, route=route, route_option=option), loop, route_path


def _every_shown_path(client, post) -> dict[str, list]:
    """Each path-bearing field of the post another runner reads, as [[lat, lng], ...]."""
    base = f"/api/v1/community/posts/{post.pk}"
    fields = {}
    detail = client.get(base).json()["data"]
    fields["detail route.path"] = detail["route"]["path"]["coordinates"]
    fields["detail route.path polyline"] = polyline_codec.decode(detail["route"]["path"]["polyline"], 5)
    feed = client.get("/api/v1/community/posts").json()["data"]["results"]
    fields["feed route.path"] = next(item for item in feed if item["id"] == str(post.pk))["route"]["path"][
        "coordinates"]
    track = client.get(f"{base}/track").json()["data"]
    fields["track"] = track["path"]["coordinates"]
    fields["track polyline"] = polyline_codec.decode(track["path"]["polyline"], 5)
    gpx = gpxpy.parse(client.get(f"{base}/route.gpx").content.decode())
    fields["route.gpx"] = [(p.latitude, p.longitude) for p in gpx.tracks[0].segments[0].points]
    copy = client.post(f"{base}/save-route").json()["data"]
    fields["save-route start"] = [(copy["start_latitude"], copy["start_longitude"])]
    fields["save-route option start"] = [tuple(option["start"]) for option in copy["options"]]
    fields["save-route option path"] = copy["options"][0]["path"]["coordinates"]
    option_id = copy["options"][0]["id"]
    copy_gpx = gpxpy.parse(client.get(f"/api/v1/routes/{copy['id']}/options/{option_id}/gpx").content.decode())
    fields["save-route gpx"] = [(p.latitude, p.longitude) for p in copy_gpx.tracks[0].segments[0].points]
    fields["save-route custom_points"] = copy["custom_points"] or []
    return fields


@pytest.mark.django_db
class TestEveryPathOthersSee:
    @pytest.mark.parametrize("size_m", [200, 400, 800])
    def test_no_shown_point_lies_inside_the_zone(self, size_m):
        author, viewer = _author(size_m), UserFactory()
        drawing = [list(offset(HOME, north_m=n, east_m=e)) for n, e in ((0, 0), (300, 300), (0, 600), (0, 0))]
        post, _loop, _route_path = _shared_post(author, custom_points=drawing)
        zone = privacy_zone_of(author)
        assert zone.size_m == size_m
        clearance_m = zone.radius_m - zone.offset_m
        assert clearance_m >= size_m
        shown = _every_shown_path(client_for(viewer), post)
        assert shown.pop("save-route custom_points") == []  # the copy keeps the drawing's form only
        for field, coordinates in shown.items():
            assert coordinates, field  # something is left to show on the loop
            nearest = min(_distance_m(point, HOME) for point in coordinates)
            assert nearest >= clearance_m, f"{field}: a point {nearest:.1f} m from home"

    def test_the_author_sees_everything(self):
        author = _author()
        post, loop, route_path = _shared_post(author)
        client = client_for(author)
        detail = client.get(f"/api/v1/community/posts/{post.pk}").json()["data"]
        assert detail["route"]["path"]["coordinates"][0] == pytest.approx(list(route_path[0]), abs=1e-5)
        track = client.get(f"/api/v1/community/posts/{post.pk}/track").json()["data"]
        assert track["trimmed"] is False and track["privacy_zone_m"] == 0
        assert len(track["path"]["coordinates"]) == len(loop)

    def test_the_svg_preview_draws_only_the_shown_path(self):
        author, viewer = _author(), UserFactory()
        post, _, route_path = _shared_post(author)
        client = client_for(viewer)
        shown = client.get(f"/api/v1/community/posts/{post.pk}").json()["data"]["route"]["path"]["coordinates"]
        response = client.get(f"/api/v1/community/posts/{post.pk}/route.svg?size=300")
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
        assert response.content.decode() == exports.svg_for_path(shown, width_px=300, title=post.route.name)
        assert len(shown) < len(route_path)
        mine = client_for(author).get(f"/api/v1/community/posts/{post.pk}/route.svg").content.decode()
        assert mine == exports.svg_for_path([list(p) for p in polyline_codec.decode(
            post.route_option.polyline, 5)], width_px=256, title=post.route.name)

    def test_the_circles_through_the_visible_ends_do_not_meet_at_home(self):
        """The issue's attack: on a loop, circles of the zone's radius around the first and last visible points
        meet at the true start when the zone is a fixed circle around it. (Over a range of guessed radii they meet
        along a line through the hidden centre: one run names a line, not a point; many runs name the centre.)"""
        for secret in (SECRET, "a" * 32, "b" * 32, "0123456789abcdef" * 2):
            author, viewer = _author(200, secret), UserFactory()
            post, _, _ = _shared_post(author)
            track = client_for(viewer).get(f"/api/v1/community/posts/{post.pk}/track").json()["data"]
            first, last = (local_m(track["path"]["coordinates"][i]) for i in (0, -1))
            zone = privacy_zone_of(author)
            # The published size (what a fixed zone's attacker uses) and the exact drawn radius (the best guess).
            for radius in (zone.size_m, zone.radius_m):
                for meeting in circle_intersections(first, last, radius):
                    assert np.hypot(*meeting) >= MIN_CENTRE_SHIFT_SHARE * zone.size_m * 0.9, (secret, radius)

    def test_many_runs_reveal_the_hidden_centre_not_the_home(self):
        """The strongest attack: fit one circle through the visible ends of runs from home in every direction.
        It finds the hidden centre, which is at least the documented shift from home."""
        author, viewer = _author(200), UserFactory()
        client = client_for(viewer)
        ends = []
        for bearing in range(0, 360, 30):
            post, _, _ = _shared_post(author, bearing_deg=bearing)
            coordinates = client.get(f"/api/v1/community/posts/{post.pk}/track").json()["data"]["path"][
                "coordinates"]
            ends += [local_m(coordinates[0]), local_m(coordinates[-1])]
        centre, radius = circle_fit(np.array(ends))
        zone = privacy_zone_of(author)
        hidden = local_m(hidden_centres(zone, [HOME])[0])
        assert np.hypot(*(centre - hidden)) < 15  # the attacker does find the hidden centre...
        assert radius == pytest.approx(zone.radius_m, abs=15)
        assert np.hypot(*centre) >= MIN_CENTRE_SHIFT_SHARE * zone.size_m - 15  # ...which is not the home

    def test_a_zone_turned_off_shows_the_whole_path(self):
        author, viewer = _author(0), UserFactory()
        post, loop, _ = _shared_post(author)
        track = client_for(viewer).get(f"/api/v1/community/posts/{post.pk}/track").json()["data"]
        assert track["trimmed"] is False and track["privacy_zone_m"] == 0
        assert len(track["path"]["coordinates"]) == len(loop)

    def test_the_route_path_also_hides_the_workouts_ends(self):
        """A route planned from elsewhere, run from home: the route's path near home is hidden too."""
        author, viewer = _author(200), UserFactory()
        post, _loop, _ = _shared_post(author)
        elsewhere = offset(HOME, north_m=-900, east_m=0)
        # A route from 900 m south running north through the home and on.
        line = [offset(elsewhere, north_m=step, east_m=0) for step in range(0, 2001, 20)]
        route, option = route_along(user=author, coordinates=line)
        Post.objects.filter(pk=post.pk).update(route=route, route_option=option)
        shown = client_for(viewer).get(f"/api/v1/community/posts/{post.pk}").json()["data"]["route"]["path"]
        zone = privacy_zone_of(author)
        assert min(_distance_m(point, HOME) for point in shown["coordinates"]) >= zone.radius_m - zone.offset_m

    def test_no_other_endpoint_reveals_the_start(self):
        author, viewer = _author(), UserFactory()
        post, _, _ = _shared_post(author)
        other = client_for(viewer)
        for url in (f"/api/v1/community/posts/{post.pk}", "/api/v1/community/posts"):
            body = other.get(url).content.decode()
            assert "37.5665," not in body and "126.978," not in body and "37.5665]" not in body
            assert "latitude" not in body and "세종대로" not in body
        # The workout's and the route's own endpoints are the owner's alone.
        assert other.get(f"/api/v1/workouts/{post.workout_id}/track").status_code == 404
        assert other.get(f"/api/v1/routes/{post.route_id}").status_code == 404
        assert other.get(f"/api/v1/routes/{post.route_id}/options/{post.route_option_id}/gpx").status_code == 404
        assert other.get(
            f"/api/v1/routes/{post.route_id}/options/{post.route_option_id}/preview.svg").status_code == 404

    def test_changing_the_zone_in_the_profile_applies_at_once(self):
        author, viewer = _author(200), UserFactory()
        post, _, _ = _shared_post(author, radius_m=2000.0)
        response = client_for(author).patch("/api/v1/users/me", {"privacy_zone": 800}, format="json")
        assert response.status_code == 200 and response.json()["data"]["privacy_zone"] == 800
        track = client_for(viewer).get(f"/api/v1/community/posts/{post.pk}/track").json()["data"]
        assert track["privacy_zone_m"] == 800
        assert min(_distance_m(point, HOME) for point in track["path"]["coordinates"]) >= 800


@pytest.mark.django_db
class TestSharedTrack:
    def test_others_see_the_track_without_its_ends(self, user, other_user):
        workout = WorkoutFactory(completed=True, user=user, distance_m=3000.0)
        real = straight_track(workout, length_m=3000.0)
        post = PostFactory(author=user, workout=workout)
        theirs = client_for(other_user).get(f"/api/v1/community/posts/{post.pk}/track").json()["data"]
        coordinates = theirs["path"]["coordinates"]
        zone = privacy_zone_of(user)
        assert theirs["trimmed"] is True and theirs["privacy_zone_m"] == zone.size_m == 200
        for end in (real[0], real[-1]):
            assert min(_distance_m(point, end) for point in coordinates) >= zone.radius_m - zone.offset_m
        assert polyline_codec.decode(theirs["path"]["polyline"], 5)[0] == pytest.approx(coordinates[0], abs=1e-5)

    def test_a_short_track_shows_nothing_to_others(self, user, other_user):
        workout = WorkoutFactory(completed=True, user=user, distance_m=350.0)
        straight_track(workout, length_m=350.0)
        post = PostFactory(author=user, workout=workout)
        data = client_for(other_user).get(f"/api/v1/community/posts/{post.pk}/track").json()["data"]
        assert data["path"] is None

    def test_post_without_workout_has_no_track(self, user):
        post = PostFactory(author=user)
        assert client_for(user).get(f"/api/v1/community/posts/{post.pk}/track").status_code == 404

    def test_post_without_route_has_no_route_previews(self, user, other_user):
        post = PostFactory(author=user)
        for suffix in ("route.svg", "route.gpx"):
            response = client_for(other_user).get(f"/api/v1/community/posts/{post.pk}/{suffix}")
            assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
class TestSaveRoute:
    def test_copies_the_shown_option_into_my_routes(self, user, other_user):
        route = route_with_options(user=other_user, options=3, name="Heart of Seoul")
        shown = route.options.get(rank=2)
        Route.objects.filter(pk=route.pk).update(location_address="서울 중구 세종대로 110")
        other_user.privacy_zone_m = 0  # off: the copy is the whole option
        other_user.save(update_fields=["privacy_zone_m"])
        post = PostFactory(author=other_user, route=route, route_option=shown)
        response = client_for(user).post(f"/api/v1/community/posts/{post.pk}/save-route")
        assert response.status_code == 201, response.content
        data = response.json()["data"]
        copy = Route.objects.get(pk=data["id"])
        assert copy.user_id == user.pk and copy.pk != route.pk
        assert (copy.name, copy.shape_id, copy.target_distance_km) == (route.name, route.shape_id,
                                                                       route.target_distance_km)
        assert copy.location_address == ""  # never shown in the post, never copied
        options = list(RouteOption.objects.filter(route=copy))
        assert len(options) == 1
        assert (options[0].rank, options[0].polyline, options[0].distance_km) == (1, shown.polyline,
                                                                                  shown.distance_km)
        assert [option["id"] for option in data["options"]] == [str(options[0].pk)]
        # The original is untouched, and the copy is mine to see.
        assert RouteOption.objects.filter(route=route).count() == 3
        assert client_for(user).get(f"/api/v1/routes/{copy.pk}").status_code == 200

    def test_another_runners_copy_starts_outside_the_zone(self):
        author, copier = _author(200), UserFactory()
        drawing = [list(offset(HOME, north_m=n, east_m=e)) for n, e in ((0, 0), (300, 300), (0, 600), (0, 0))]
        post, _, _route_path = _shared_post(author, custom_points=drawing)
        source_km = post.route_option.distance_km
        response = client_for(copier).post(f"/api/v1/community/posts/{post.pk}/save-route")
        assert response.status_code == 201, response.content
        copy = Route.objects.get(pk=response.json()["data"]["id"])
        option = copy.options.get()
        shown = client_for(copier).get(f"/api/v1/community/posts/{post.pk}").json()["data"]["route"]["path"]
        assert np.allclose(option.coordinates(), shown["coordinates"], atol=1e-5)
        assert [float(copy.start_latitude), float(copy.start_longitude)] == pytest.approx(shown["coordinates"][0],
                                                                                           abs=1e-6)
        assert (option.start_latitude, option.start_longitude) == (copy.start_latitude, copy.start_longitude)
        assert copy.location_address == "" and copy.location_district == "중구"
        # The drawing is kept as its form only.
        assert copy.custom_points is None and copy.custom_svg_path.startswith("M ")
        assert "37." not in copy.custom_svg_path
        # Figures of the shown part: its length, the duration scaled with it, its own bounding box.
        length_km = float(np.sum(haversine_m(*np.array(shown["coordinates"][:-1]).T,
                                             *np.array(shown["coordinates"][1:]).T))) / 1000
        assert option.distance_km == pytest.approx(length_km, rel=1e-6) and option.distance_km < source_km
        source = post.route_option
        assert option.estimated_duration_s == round(source.estimated_duration_s * length_km / source.distance_km)
        assert option.bbox == pytest.approx(shown["bbox"], abs=1e-5)

    def test_the_author_copies_the_whole_route(self):
        author = _author(200)
        post, _, _route_path = _shared_post(author)
        response = client_for(author).post(f"/api/v1/community/posts/{post.pk}/save-route")
        copy = Route.objects.get(pk=response.json()["data"]["id"])
        assert copy.options.get().polyline == post.route_option.polyline
        assert copy.location_address == post.route.location_address

    def test_a_route_entirely_inside_the_zone_cannot_be_copied(self):
        author, copier = _author(800), UserFactory()
        tiny = loop_from(HOME, radius_m=100.0)
        route, option = route_along(user=author, coordinates=tiny)
        post = PostFactory(author=author, route=route, route_option=option)
        response = client_for(copier).post(f"/api/v1/community/posts/{post.pk}/save-route")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "route_hidden"
        assert not Route.objects.filter(user=copier).exists()
        detail = client_for(copier).get(f"/api/v1/community/posts/{post.pk}").json()["data"]
        assert detail["route"]["path"] is None

    def test_post_without_a_route_or_with_a_deleted_route(self, user, other_user):
        no_route = PostFactory(author=other_user)
        client = client_for(user)
        assert client.post(f"/api/v1/community/posts/{no_route.pk}/save-route").status_code == 404
        route = route_with_options(user=other_user)
        post = PostFactory(author=other_user, route=route, visibility=Post.Visibility.PUBLIC)
        Route.objects.filter(pk=route.pk).update(deleted_at="2026-01-01T00:00:00Z")
        assert client.post(f"/api/v1/community/posts/{post.pk}/save-route").status_code == 404
        assert not Route.objects.filter(user=user).exists()


def test_the_fixed_seed_draws_a_real_offset():
    """The attack tests above would prove nothing with a draw that barely moves the centre."""
    zone = privacy_zone_for(size_m=200, secret=SECRET)
    assert zone.offset_m >= MIN_CENTRE_SHIFT_SHARE * 200
