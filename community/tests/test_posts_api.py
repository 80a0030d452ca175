"""Posts: sharing rules, fields, edits, the feed's orderings, filters, pagination and query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community import services
from community.models import Like, Post
from community.tests.conftest import follow
from community.tests.factories import PostFactory, route_with_options
from routes.tests.factories import ShapeFactory
from workouts.models import Workout
from workouts.tests.factories import WorkoutFactory

POSTS = "/api/v1/community/posts"


@pytest.mark.django_db
class TestCreate:
    def test_shares_own_completed_workout_and_route(self, user, auth_client):
        workout = WorkoutFactory(completed=True, user=user, distance_m=5234.0, duration_s=1800, avg_pace_s=344.0)
        route = route_with_options(user=user, options=3)
        response = auth_client.post(POSTS, {"content": "Heart run!", "workout_id": str(workout.pk),
                                            "route_id": str(route.pk), "visibility": "followers"})
        assert response.status_code == 201, response.content
        data = response.json()["data"]
        assert data["author"] == {"id": str(user.pk), "name": user.name, "avatar": None}
        assert data["visibility"] == "followers"
        assert data["workout"]["distance"] == 5.23
        assert data["workout"]["avg_pace"] == "5:44"
        assert "start_latitude" not in data["workout"]
        assert data["route"]["id"] == str(route.pk)
        first = route.options.get(rank=1)
        assert data["route"]["option_id"] == str(first.pk)
        assert data["route"]["path"]["coordinates"][0] == [37.5665, 126.978]
        assert data["route"]["shape_id"] == route.shape.shape_id
        assert data["like_count"] == 0 and data["comment_count"] == 0 and data["liked_by_me"] is False
        assert Post.objects.get(pk=data["id"]).route_option_id == first.pk

    def test_route_option_defaults_to_the_one_the_workout_ran(self, user, auth_client):
        route = route_with_options(user=user, options=3)
        ran = route.options.get(rank=2)
        workout = WorkoutFactory(completed=True, user=user, route=route, route_option=ran)
        response = auth_client.post(POSTS, {"workout_id": str(workout.pk), "route_id": str(route.pk)})
        assert response.status_code == 201
        assert response.json()["data"]["route"]["option_id"] == str(ran.pk)

    def test_shared_workout_figures_match_the_workout_detail(self, user, auth_client):
        # API.md: consistent across the API. The workout answers percentages with 1 decimal; so does the post.
        workout = WorkoutFactory(completed=True, user=user, route_completion=100 / 11, shape_accuracy=53.74)
        post = auth_client.post(POSTS, {"workout_id": str(workout.pk)}).json()["data"]
        detail = auth_client.get(f"/api/v1/workouts/{workout.pk}").json()["data"]
        assert (post["workout"]["route_completion"], post["workout"]["shape_accuracy"]) == (9.1, 53.7)
        for field in ("route_completion", "shape_accuracy", "distance", "duration", "avg_pace", "calories"):
            assert post["workout"][field] == detail[field], field

    @pytest.mark.parametrize("field", ["workout_id", "route_id"])
    def test_another_users_workout_or_route_is_refused(self, user, other_user, auth_client, field):
        target = (WorkoutFactory(completed=True, user=other_user) if field == "workout_id"
                  else route_with_options(user=other_user))
        response = auth_client.post(POSTS, {"content": "mine now", field: str(target.pk)})
        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]
        assert not Post.objects.exists()

    def test_unfinished_or_deleted_workout_is_refused(self, user, auth_client):
        active = WorkoutFactory(user=user, status=Workout.Status.ACTIVE)
        deleted = WorkoutFactory(completed=True, user=user, deleted_at=timezone.now())
        for workout in (active, deleted):
            response = auth_client.post(POSTS, {"workout_id": str(workout.pk)})
            assert response.status_code == 400
        assert not Post.objects.exists()

    def test_content_limits(self, auth_client):
        assert auth_client.post(POSTS, {"content": "x" * 2001}).status_code == 400
        assert auth_client.post(POSTS, {"content": "   "}).status_code == 400  # nothing to share
        assert auth_client.post(POSTS, {"content": "x" * 2000}).status_code == 201

    def test_counters_and_author_cannot_be_written(self, user, auth_client):
        response = auth_client.post(POSTS, {"content": "hi", "like_count": 99, "author": "someone"})
        assert response.status_code == 201
        assert response.json()["data"]["like_count"] == 0
        assert Post.objects.get().author_id == user.pk


@pytest.mark.django_db
class TestEdit:
    def test_author_edits_content_and_visibility_only(self, user, auth_client):
        post = PostFactory(author=user)
        url = f"{POSTS}/{post.pk}"
        response = auth_client.patch(url, {"content": "edited", "visibility": "private"})
        assert response.status_code == 200
        assert response.json()["data"]["content"] == "edited"
        refused = auth_client.patch(url, {"like_count": 50})
        assert refused.status_code == 400
        assert "like_count" in refused.json()["error"]["fields"]
        post.refresh_from_db()
        assert (post.content, post.visibility, post.like_count) == ("edited", "private", 0)

    def test_author_deletes(self, user, auth_client):
        post = PostFactory(author=user)
        assert auth_client.delete(f"{POSTS}/{post.pk}").status_code == 204
        assert not Post.objects.filter(pk=post.pk).exists()
        assert auth_client.get(f"{POSTS}/{post.pk}").status_code == 404


def _feed(client, **params):
    response = client.get(POSTS, params)
    assert response.status_code == 200, response.content
    return response.json()["data"]


@pytest.mark.django_db
class TestFeed:
    def test_latest_is_newest_first_and_cursor_paginated(self, user, auth_client):
        now = timezone.now()
        posts = [PostFactory(created_at=now - timedelta(minutes=i)) for i in range(5)]
        first = _feed(auth_client, page_size=2)
        assert [item["id"] for item in first["results"]] == [str(p.pk) for p in posts[:2]]
        assert first["previous"] is None
        second = auth_client.get(first["next"]).json()["data"]
        third = auth_client.get(second["next"]).json()["data"]
        assert [item["id"] for item in second["results"] + third["results"]] == [str(p.pk) for p in posts[2:]]
        assert third["next"] is None

    def test_popular_formula_and_ties(self, user, auth_client):
        """score = likes of the last 7 days + 2 x comments of the last 7 days; ties: newest first."""
        now = timezone.now()
        liked_3 = PostFactory(created_at=now - timedelta(hours=5))
        commented_2 = PostFactory(created_at=now - timedelta(hours=4))  # 2 comments = 4 points
        old_likes = PostFactory(created_at=now - timedelta(days=20))
        tie_old = PostFactory(created_at=now - timedelta(hours=3))
        tie_new = PostFactory(created_at=now - timedelta(hours=2))
        for _ in range(3):
            services.post_like(post=liked_3, user=UserFactory())
        for _ in range(2):
            services.comment_create(post=commented_2, author=UserFactory(), content="wow")
        for days in (8, 9, 10, 11, 12):  # five likes, all older than the window
            Like.objects.create(post=old_likes, user=UserFactory(), created_at=now - timedelta(days=days))
        services.post_like(post=tie_old, user=UserFactory())
        services.post_like(post=tie_new, user=UserFactory())
        services.posts_refresh_popularity(now=now)
        ids = [item["id"] for item in _feed(auth_client, ordering="popular")["results"]]
        assert ids == [str(p.pk) for p in (commented_2, liked_3, tie_new, tie_old, old_likes)]

    def test_popular_pages_are_disjoint_and_complete(self, auth_client):
        now = timezone.now()
        posts = [PostFactory(created_at=now - timedelta(minutes=i)) for i in range(7)]
        seen, data = [], _feed(auth_client, ordering="popular", page_size=3)
        seen += [item["id"] for item in data["results"]]
        while data["next"]:
            data = auth_client.get(data["next"]).json()["data"]
            seen += [item["id"] for item in data["results"]]
        assert seen == [str(p.pk) for p in posts]
        assert data["previous"] is not None
        back = auth_client.get(data["previous"]).json()["data"]
        assert [item["id"] for item in back["results"]] == [str(p.pk) for p in posts[3:6]]
        bad_cursor = auth_client.get(POSTS, {"ordering": "popular", "cursor": "not-a-cursor"})
        assert bad_cursor.status_code == 400
        assert list(bad_cursor.json()["error"]["fields"]) == ["cursor"]

    def test_filters_by_shape_and_user(self, user, other_user, auth_client):
        heart = ShapeFactory(shape_id="heart")
        star = ShapeFactory(shape_id="star")
        heart_route = route_with_options(user=other_user, shape=heart)
        by_route = PostFactory(author=other_user, route=heart_route)
        by_workout = PostFactory(author=other_user,
                                 workout=WorkoutFactory(completed=True, user=other_user, route=heart_route))
        PostFactory(author=other_user, route=route_with_options(user=other_user, shape=star))
        mine = PostFactory(author=user)
        heart_ids = {item["id"] for item in _feed(auth_client, shape_id="heart")["results"]}
        assert heart_ids == {str(by_route.pk), str(by_workout.pk)}
        mine_ids = [item["id"] for item in _feed(auth_client, user_id=str(user.pk))["results"]]
        assert mine_ids == [str(mine.pk)]
        assert auth_client.get(POSTS, {"ordering": "oldest"}).status_code == 400

    def test_liked_by_me(self, user, auth_client):
        liked, not_liked = PostFactory(), PostFactory()
        Like.objects.create(post=liked, user=user)
        Like.objects.create(post=not_liked, user=UserFactory())
        flags = {item["id"]: item["liked_by_me"] for item in _feed(auth_client)["results"]}
        assert flags == {str(liked.pk): True, str(not_liked.pk): False}

    @pytest.mark.parametrize("ordering", ["latest", "popular"])
    def test_constant_number_of_queries_whatever_the_page_size(self, user, auth_client,
                                                               django_assert_num_queries, ordering):
        now = timezone.now()
        for index in range(25):
            author = UserFactory()
            follow(user, author)
            route = route_with_options(user=author, options=2)
            post = PostFactory(author=author, visibility="followers" if index % 2 else "public",
                               workout=WorkoutFactory(completed=True, user=author, route=route), route=route,
                               route_option=route.options.get(rank=1), created_at=now - timedelta(minutes=index))
            Like.objects.create(post=post, user=user if index % 3 else UserFactory())
        _feed(auth_client, page_size=1, ordering=ordering)  # the token's user is cached from now on (as on a phone)
        with CaptureQueriesContext(connection) as small:
            data = _feed(auth_client, page_size=5, ordering=ordering)
        assert len(data["results"]) == 5
        assert all(item["route"]["path"] and item["workout"] and item["author"] for item in data["results"])
        with django_assert_num_queries(len(small.captured_queries)):
            data = _feed(auth_client, page_size=20, ordering=ordering)
        assert len(data["results"]) == 20
        assert len(small.captured_queries) == 1  # the page, its posts' authors, workouts and routes joined


@pytest.mark.django_db
class TestFeedCursors:
    def test_a_cursor_of_another_ordering_or_tampered_with_is_a_400_on_cursor(self, user, auth_client):
        import base64
        import json

        now = timezone.now()
        for minutes in range(3):
            PostFactory(created_at=now - timedelta(minutes=minutes))
        latest_next = _feed(auth_client, page_size=1)["next"]
        cursor = latest_next.split("cursor=")[1].split("&")[0]
        wrong_feed = auth_client.get(POSTS, {"ordering": "popular", "cursor": cursor})
        tampered = base64.urlsafe_b64encode(json.dumps({"o": "latest", "d": "n", "k": ["yesterday", "x"]})
                                            .encode()).decode()
        for response in (wrong_feed, auth_client.get(POSTS, {"cursor": tampered})):
            assert response.status_code == 400
            body = response.json()
            assert body["success"] is False and body["error"]["code"] == "validation_error"
            assert list(body["error"]["fields"]) == ["cursor"]

    def test_equal_timestamps_page_by_id_without_loss_or_repeat(self, user, auth_client):
        moment = timezone.now() - timedelta(hours=1)
        created = [PostFactory(created_at=moment).pk for _ in range(5)]
        # The database's own order of ids (MariaDB's UUID type does not sort as the hex text does).
        posts = list(Post.objects.filter(pk__in=created).order_by("-created_at", "-id"))
        seen, data = [], _feed(auth_client, page_size=2)
        seen += [item["id"] for item in data["results"]]
        while data["next"]:
            data = auth_client.get(data["next"]).json()["data"]
            seen += [item["id"] for item in data["results"]]
        assert seen == [str(p.pk) for p in posts]

    @pytest.mark.parametrize("params", [{"shape_id": "heart"}, {"ordering": "popular", "shape_id": "heart"}])
    def test_a_deep_page_and_a_shape_filter_are_one_query(self, user, auth_client, django_assert_num_queries,
                                                          params):
        heart = ShapeFactory(shape_id="heart")
        now = timezone.now()
        for index in range(8):
            author = UserFactory()
            follow(user, author)
            PostFactory(author=author, route=route_with_options(user=author, shape=heart),
                        visibility="followers" if index % 2 else "public", created_at=now - timedelta(minutes=index))
        first = _feed(auth_client, page_size=3, **params)
        with django_assert_num_queries(1):
            second = auth_client.get(first["next"]).json()["data"]
        assert len(second["results"]) == 3
        assert not {item["id"] for item in first["results"]} & {item["id"] for item in second["results"]}
