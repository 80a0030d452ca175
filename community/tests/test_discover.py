"""Routes near me: GET /api/v1/routes/discover (community.discover.discover_candidates / discover_page)."""

import math
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import numpy as np
import polyline as polyline_codec
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from community import discover
from community import services as community
from community.models import Follow, Post, figure_cell_of
from community.privacy import visible_path
from community.shared_paths import privacy_zone_of
from conftest import client_for
from routes import services as route_services
from routes.models import Route
from routes.planner.geometry import haversine_m
from routes.tests.factories import RouteFactory, RouteOptionFactory, ShapeFactory
from workouts.events import workout_completed
from workouts.models import Workout
from workouts.tests.factories import WorkoutFactory

MAPO = (37.5563, 126.9236)  # Hongdae, Mapo-gu
KM_PER_DEG_LAT = 111.195
URL = "/api/v1/routes/discover"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def point_at(*, north_km: float = 0.0, east_km: float = 0.0, origin=MAPO) -> tuple[float, float]:
    lat = origin[0] + north_km / KM_PER_DEG_LAT
    return lat, origin[1] + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(origin[0])))


def square_around(center, *, side_km: float = 0.8, steps: int = 10) -> list[tuple[float, float]]:
    """A closed square of `side_km` centred on `center`, from its south-west corner, `steps` points a side."""
    half = side_km / 2
    corners = [(-half, -half), (half, -half), (half, half), (-half, half), (-half, -half)]
    points = []
    for (n0, e0), (n1, e1) in pairwise(corners):
        for step in range(steps):
            share = step / steps
            points.append(point_at(north_km=n0 + (n1 - n0) * share, east_km=e0 + (e1 - e0) * share, origin=center))
    points.append(points[0])
    return [(round(lat, 5), round(lon, 5)) for lat, lon in points]


def shared_route(author, center, *, visibility="public", shape=None, name="Near route", content="look"):
    """A route drawn as a square around `center`, shared by `author` in a post (through post_create, which
    stores the figure box)."""
    path = square_around(center)
    start = path[0]
    route = RouteFactory(in_seoul=True, user=author, name=name, shape=shape or ShapeFactory(),
                         start_latitude=Decimal(f"{start[0]:.7f}"), start_longitude=Decimal(f"{start[1]:.7f}"))
    lats, lons = [p[0] for p in path], [p[1] for p in path]
    RouteOptionFactory(in_seoul=True, route=route, rank=1, polyline=polyline_codec.encode(path, 5),
                       point_count=len(path), distance_km=3.2, start_latitude=route.start_latitude,
                       start_longitude=route.start_longitude,
                       min_lat=min(lats), min_lon=min(lons), max_lat=max(lats), max_lon=max(lons),
                       recognisability=71.26)
    post = community.post_create(author=author, content=content, visibility=visibility, route_id=route.pk)
    return route, post


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:400]
    body = response.json()
    assert body["success"] is True
    return body["data"]["results"]


@pytest.mark.django_db
class TestRoutesNearMe:
    def test_lists_shared_routes_within_the_radius_nearest_first(self, user):
        author = UserFactory(name="Jiwoo")
        shared_route(author, point_at(north_km=8), name="far")
        near, near_post = shared_route(author, point_at(east_km=1), name="near")
        middle, _ = shared_route(author, point_at(north_km=-3), name="middle")

        entries = results(client_for(user).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1]}))

        assert [entry["route"]["id"] for entry in entries] == [str(near.pk), str(middle.pk)]
        first = entries[0]
        assert first["post_id"] == str(near_post.pk)
        assert first["author"] == {"id": str(author.pk), "name": "Jiwoo", "avatar": None}
        assert first["route"]["name"] == "near" and first["route"]["shape_id"] == near.shape.shape_id
        assert first["route"]["shape_name"] == near.shape.name and first["route"]["distance"] == 3.2
        # The centre of the figure's visible part is ~1 km away (the zone trims a corner, moving it a little).
        assert 0.85 < first["distance_from_point_km"] < 1.15
        assert 2.8 < entries[1]["distance_from_point_km"] < 3.2
        assert (first["saved_count"], first["run_count"], first["is_saved"]) == (0, 0, False)
        assert first["recognisability"] == 71.3
        # A wider circle reaches the far one.
        wide = results(client_for(user).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1], "radius_km": 9}))
        assert [entry["route"]["name"] for entry in wide] == ["near", "middle", "far"]

    def test_the_preview_and_the_distance_come_from_the_privacy_trimmed_path_only(self, user):
        # A fixed secret: its zone (radius 792 m) hides 17 of the square's 41 points. A random zone of this size hides
        # all of this 800 m square or all but a point in about 1 draw of 80.
        author = UserFactory(privacy_zone_m=400, privacy_zone_secret="0" * 32)
        route, post = shared_route(author, point_at(east_km=1))
        entry = results(client_for(user).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1]}))[0]

        shown = entry["route"]["path"]["coordinates"]
        raw = polyline_codec.decode(route.options.get().polyline, 5)
        assert 0 < len(shown) < len(raw)
        start = (float(route.start_latitude), float(route.start_longitude))
        shown_arr = np.asarray(shown)
        assert haversine_m(shown_arr[:, 0], shown_arr[:, 1], *start).min() >= 400  # nothing near home
        assert shown == visible_path(raw, zone=privacy_zone_of(author), anchors=[start, start])
        # The stored box is the visible part's.
        post.refresh_from_db()
        assert [post.figure_min_lat, post.figure_min_lon, post.figure_max_lat, post.figure_max_lon] == \
            pytest.approx([*shown_arr.min(axis=0), *shown_arr.max(axis=0)])

    def test_a_changed_privacy_zone_moves_the_stored_box(self, user, committed):
        author = UserFactory(privacy_zone_m=0)
        _, post = shared_route(author, point_at(east_km=1))
        post.refresh_from_db()
        untrimmed = (post.figure_min_lat, post.figure_min_lon)
        with committed():
            assert client_for(author).patch("/api/v1/users/me", {"privacy_zone": 800},
                                            format="json").status_code == 200
        post.refresh_from_db()
        assert (post.figure_min_lat, post.figure_min_lon) != untrimmed

    @pytest.mark.parametrize("origin", [(37.55, 126.90), (10.0, 179.99)], ids=["on-a-cell-corner", "antimeridian"])
    def test_the_grid_cells_of_the_box_miss_nothing_in_the_circle(self, user, origin):
        # Around a corner of four cells (community.models.figure_cell_of), and where the box crosses the
        # antimeridian (the cells of whole latitude rows): every direction, inside and outside the radius.
        author = UserFactory()
        inside, outside = set(), set()
        for north, east in [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)]:
            if origin[1] > 179.9 and east > 0:
                continue  # the squares' paths do not wrap at ±180°
            scale = math.hypot(north, east)
            near, _ = shared_route(author, point_at(north_km=4.5 * north / scale, east_km=4.5 * east / scale,
                                                    origin=origin))
            far, _ = shared_route(author, point_at(north_km=5.6 * north / scale, east_km=5.6 * east / scale,
                                                   origin=origin))
            inside.add(str(near.pk))
            outside.add(str(far.pk))

        listed = {entry["route"]["id"] for entry in results(client_for(user).get(
            URL, {"latitude": origin[0], "longitude": origin[1], "page_size": 50}))}

        assert listed == inside
        assert len({Post.objects.get(route_id=pk).figure_cell for pk in inside}) >= 3

    def test_only_what_the_viewer_may_see(self, user):
        alice, followed, stranger = UserFactory(), UserFactory(), UserFactory()
        Follow.objects.create(follower=user, followee=followed)
        spots = iter(range(1, 20))

        def spot():
            return point_at(east_km=next(spots) * 0.2)

        shared_route(alice, spot(), name="public")
        shared_route(user, spot(), visibility="private", name="mine")
        shared_route(followed, spot(), visibility="followers", name="followed")
        shared_route(stranger, spot(), visibility="followers", name="stranger-followers")
        shared_route(alice, spot(), visibility="private", name="alice-private")
        _, hidden = shared_route(alice, spot(), name="hidden")
        # Through the services, which keep the posts' copy of the route's and author's state current.
        community.posts_set_hidden(post_ids=[hidden.pk], hidden=True)
        gone, _ = shared_route(alice, spot(), name="deleted route")
        route_services.route_soft_delete(route=gone)
        shared_route(UserFactory(deleted_at=timezone.now(), is_active=False), spot(), name="deleted author")
        shared_route(UserFactory(is_active=False), spot(), name="disabled author")

        names = {entry["route"]["name"] for entry in results(
            client_for(user).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1]}))}
        assert names == {"public", "mine", "followed"}
        names = {entry["route"]["name"] for entry in results(
            client_for(stranger).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1]}))}
        assert names == {"public", "stranger-followers"}
        assert self._anonymous_status() == 401

    def _anonymous_status(self) -> int:
        from rest_framework.test import APIClient

        return APIClient().get(URL, {"latitude": MAPO[0], "longitude": MAPO[1]}).status_code

    def test_one_entry_per_route_and_the_shape_filter(self, user):
        author = UserFactory()
        heart, star = ShapeFactory(shape_id="heart-x"), ShapeFactory(shape_id="star-x")
        route, first_post = shared_route(author, point_at(east_km=1), shape=heart)
        second_post = community.post_create(author=author, content="again", route_id=route.pk)
        Post.objects.filter(pk=first_post.pk).update(created_at=timezone.now() - timedelta(days=1))
        shared_route(author, point_at(east_km=2), shape=star)

        entries = results(client_for(user).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1]}))
        assert [entry["route"]["shape_id"] for entry in entries] == ["heart-x", "star-x"]
        assert entries[0]["post_id"] == str(second_post.pk)  # the newest post sharing it
        only_star = results(client_for(user).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1],
                                                       "shape_id": "star-x"}))
        assert [entry["route"]["shape_id"] for entry in only_star] == ["star-x"]

    def test_save_from_a_result_then_run_it_moves_the_counters_and_popular_order(self, user, committed):
        author, runner = UserFactory(), UserFactory()
        shared_route(author, point_at(east_km=0.5), name="quiet")
        loved, _ = shared_route(author, point_at(east_km=3), name="loved")
        viewer = client_for(user)
        query = {"latitude": MAPO[0], "longitude": MAPO[1]}
        loved_entry = next(e for e in results(viewer.get(URL, query)) if e["route"]["name"] == "loved")

        # Save-route straight from the discover entry, by two runners; one of them runs the copy.
        for client in (viewer, client_for(runner)):
            saved = client.post(f"/api/v1/community/posts/{loved_entry['post_id']}/save-route")
            assert saved.status_code == 201, saved.content[:300]
        copy = Route.objects.get(user=runner, copied_from=loved)
        workout = WorkoutFactory(completed=True, user=runner, route=copy, status=Workout.Status.COMPLETED)
        with committed():
            workout_completed.send(sender=Workout, user=runner, workout=workout)
        loved.refresh_from_db()
        assert (loved.saved_count, loved.run_count) == (2, 1)

        nearest = results(viewer.get(URL, query))
        assert [e["route"]["name"] for e in nearest] == ["quiet", "loved"]
        popular = results(viewer.get(URL, {**query, "ordering": "popular"}))
        assert [e["route"]["name"] for e in popular] == ["loved", "quiet"]
        assert (popular[0]["saved_count"], popular[0]["run_count"], popular[0]["is_saved"]) == (2, 1, True)
        assert results(client_for(author).get(URL, {**query, "ordering": "popular"}))[0]["is_saved"] is False

        # A deleted copy and a deleted run count out.
        assert viewer.delete(f"/api/v1/routes/{Route.objects.get(user=user, copied_from=loved).pk}").status_code \
            == 204
        with committed():
            assert client_for(runner).delete(f"/api/v1/workouts/{workout.pk}").status_code == 204
        loved.refresh_from_db()
        assert (loved.saved_count, loved.run_count) == (1, 0)
        assert results(viewer.get(URL, {**query, "ordering": "popular"}))[0]["is_saved"] is False

    def test_pages_walk_forwards_and_backwards_without_gaps(self, user):
        author = UserFactory()
        routes = [shared_route(author, point_at(east_km=0.4 * (i + 1)), name=f"r{i}")[0] for i in range(7)]
        client = client_for(user)
        query = {"latitude": MAPO[0], "longitude": MAPO[1], "page_size": 3}
        seen, url, pages = [], URL, []
        response = client.get(url, query)
        while True:
            data = response.json()["data"]
            pages.append(data)
            seen += [entry["route"]["id"] for entry in data["results"]]
            if not data["next"]:
                break
            response = client.get(data["next"])
        assert seen == [str(route.pk) for route in routes]
        assert [len(page["results"]) for page in pages] == [3, 3, 1]
        assert pages[0]["previous"] is None
        back = client.get(pages[2]["previous"]).json()["data"]
        assert [entry["route"]["id"] for entry in back["results"]] == seen[3:6]
        other = client.get(URL, {**query, "ordering": "popular", "cursor": pages[0]["next"].split("cursor=")[1]})
        assert other.status_code == 400 and "cursor" in other.json()["error"]["fields"]
        assert client.get(URL, {**query, "cursor": "not-a-cursor"}).status_code == 400

    @pytest.mark.parametrize(("params", "field"), [
        ({"latitude": 91, "longitude": 126.9}, "latitude"),
        ({"latitude": -90.5, "longitude": 126.9}, "latitude"),
        ({"longitude": 126.9}, "latitude"),
        ({"latitude": 37.5, "longitude": 180.5}, "longitude"),
        ({"latitude": 37.5, "longitude": "east"}, "longitude"),
        ({"latitude": 37.5, "longitude": 126.9, "radius_km": 0}, "radius_km"),
        ({"latitude": 37.5, "longitude": 126.9, "radius_km": -2}, "radius_km"),
        ({"latitude": 37.5, "longitude": 126.9, "radius_km": 20.01}, "radius_km"),
        ({"latitude": 37.5, "longitude": 126.9, "shape_id": "no-such-shape"}, "shape_id"),
        ({"latitude": 37.5, "longitude": 126.9, "ordering": "random"}, "ordering"),
    ])
    def test_bad_input_is_400_in_the_envelope(self, user, params, field):
        response = client_for(user).get(URL, params)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "validation_error" and field in error["fields"]

    def test_the_largest_radius_is_accepted(self, user):
        shared_route(UserFactory(), point_at(north_km=19.5))
        entries = results(client_for(user).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1], "radius_km": 20}))
        assert len(entries) == 1 and entries[0]["distance_from_point_km"] <= 20

    def test_a_constant_number_of_queries_whatever_the_page_size(self, user, django_assert_num_queries):
        followed = UserFactory()
        Follow.objects.create(follower=user, followee=followed)
        for i in range(12):
            workout = WorkoutFactory(completed=True, user=followed) if i % 3 == 0 else None
            _, post = shared_route(followed, point_at(east_km=0.3 * (i + 1)),
                                       visibility="followers" if i % 2 else "public")
            if workout is not None:
                Post.objects.filter(pk=post.pk).update(workout=workout)
        viewer = User.objects.get(pk=user.pk)

        def one_page(size: int) -> int:
            with CaptureQueriesContext(connection) as queries:
                candidates = discover.discover_candidates(viewer=viewer, latitude=MAPO[0], longitude=MAPO[1],
                                                           radius_km=5)
                entries = discover.discover_page(viewer=viewer, candidates=candidates[:size])
                from rest_framework.test import APIRequestFactory

                from community.serializers import DiscoverEntrySerializer

                request = APIRequestFactory().get(URL)
                request.user = viewer
                data = DiscoverEntrySerializer(entries, many=True, context={"request": request}).data
            assert len(data) == size
            return len(queries)

        assert one_page(2) == one_page(12) == 2
        with django_assert_num_queries(2):  # the candidates, then the page with everything it shows
            discover.discover_page(viewer=viewer, candidates=discover.discover_candidates(
                viewer=viewer, latitude=MAPO[0], longitude=MAPO[1], radius_km=5)[:20])

    def test_the_migrations_backfill_the_boxes_and_the_runners(self, user):
        from django.apps import apps

        author = UserFactory()
        route, post = shared_route(author, point_at(east_km=1))
        post.refresh_from_db()
        stored = [getattr(post, f"figure_{name}") for name in ("min_lat", "min_lon", "max_lat", "max_lon",
                                                                "center_lat", "center_lon")]
        Post.objects.update(figure_min_lat=None, figure_min_lon=None, figure_max_lat=None, figure_max_lon=None,
                            figure_center_lat=None, figure_center_lon=None, figure_cell=None)
        WorkoutFactory(completed=True, user=author, route=route)
        WorkoutFactory(completed=True, user=author, route=route)
        __import__("community.migrations.0003_post_figure_bounds", fromlist=["x"]).backfill_figure_bounds(apps, None)
        __import__("routes.migrations.0006_route_discover_counters", fromlist=["x"]).backfill_run_count(apps, None)
        __import__("community.migrations.0005_post_figure_cell", fromlist=["x"]).backfill_figure_cell(apps, None)
        post.refresh_from_db()
        route.refresh_from_db()
        assert [getattr(post, f"figure_{name}") for name in ("min_lat", "min_lon", "max_lat", "max_lon",
                                                              "center_lat", "center_lon")] == pytest.approx(stored)
        assert post.figure_cell == figure_cell_of(post.figure_center_lat, post.figure_center_lon)
        assert route.run_count == 1  # one runner, two runs
        assert len(results(client_for(user).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1]}))) == 1


class TestTheDiscoverFlagsFollowEveryChange:
    """What the candidate scan reads off the post (`discoverable`, the route's counters) follows each change
    of the route, its counters, the author and the post (community.services.post_discover_flags_refresh)."""

    def listed(self, viewer) -> set[str]:
        return {entry["route"]["name"] for entry in results(
            client_for(viewer).get(URL, {"latitude": MAPO[0], "longitude": MAPO[1]}))}

    def test_a_new_post_copies_the_route_and_author_state(self, user):
        route, post = shared_route(UserFactory(), point_at(east_km=1), name="fresh")
        post.refresh_from_db()
        route.refresh_from_db()
        assert (post.discoverable, post.route_saved_count, post.route_run_count) == (
            True, route.saved_count, route.run_count)

    def test_route_delete(self, user):
        route, post = shared_route(UserFactory(), point_at(east_km=1), name="gone")
        route_services.route_soft_delete(route=route)
        post.refresh_from_db()
        assert post.discoverable is False
        assert self.listed(user) == set()

    def test_hide_then_unhide(self, user):
        _, post = shared_route(UserFactory(), point_at(east_km=1), name="moderated")
        assert community.posts_set_hidden(post_ids=[post.pk], hidden=True) == 1
        assert self.listed(user) == set()
        assert community.posts_set_hidden(post_ids=[post.pk], hidden=False) == 1
        assert self.listed(user) == {"moderated"}

    def test_author_soft_delete(self, user):
        from accounts import services as account_services

        author = UserFactory()
        shared_route(author, point_at(east_km=1), name="left")
        account_services.user_soft_delete(user=author)
        assert self.listed(user) == set()
        assert Post.objects.get(author=author).discoverable is False

    def test_author_deactivated_by_staff(self, user):
        from django.test import Client
        from django.urls import reverse

        author = UserFactory()
        shared_route(author, point_at(east_km=1), name="disabled")
        staff = UserFactory(is_staff=True, is_superuser=True)
        admin = Client()
        admin.force_login(staff)
        response = admin.post(reverse("admin:accounts_user_changelist"),
                              {"action": "deactivate_users", "_selected_action": [str(author.pk)]})
        assert response.status_code == 302, response.content[:300]
        assert self.listed(user) == set()

    def test_the_counters_follow_the_recount(self, user):
        route, post = shared_route(UserFactory(), point_at(east_km=1), name="counted")
        saver = UserFactory()
        community.route_copy_from_post(post=post, user=saver)
        post.refresh_from_db()
        assert (post.route_saved_count, post.route_run_count) == (1, 0)
        route_services.route_soft_delete(route=Route.objects.get(user=saver, copied_from=route))
        post.refresh_from_db()
        assert (post.route_saved_count, post.route_run_count) == (0, 0)

    def test_author_deactivated_and_reactivated_in_the_user_form(self, user):
        from django.contrib import admin as django_admin
        from django.test import RequestFactory

        author = UserFactory()
        shared_route(author, point_at(east_km=1), name="edited")
        user_admin = django_admin.site._registry[User]
        request = RequestFactory().post("/")
        request.user = UserFactory(is_staff=True, is_superuser=True)
        for active, listed in ((False, set()), (True, {"edited"})):
            author.is_active = active
            form = type("ChangedForm", (), {"changed_data": ["is_active"]})()
            user_admin.save_model(request, author, form, change=True)
            assert self.listed(user) == listed
