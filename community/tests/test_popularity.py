"""The stored popularity (the popular feed's key): moved by likes and comments as they happen, taken back
with them, and decayed by the daily refresh; the stored shapes of a post; the refresh's schedule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community import services, tasks
from community.models import Comment, Like, Post
from community.tests.factories import PostFactory
from operations import jobs
from routes.tests.factories import RouteFactory, ShapeFactory
from workouts.tests.factories import WorkoutFactory


def _popularity(post) -> int:
    return Post.objects.values_list("popularity", flat=True).get(pk=post.pk)


@pytest.mark.django_db
class TestMovesAsItHappens:
    def test_likes_and_comments_count_and_are_taken_back(self):
        post = PostFactory()
        liker, commenter = UserFactory(), UserFactory()
        services.post_like(post=post, user=liker)
        services.post_like(post=post, user=liker)  # idempotent: counted once
        comment = services.comment_create(post=post, author=commenter, content="wow")
        assert _popularity(post) == 1 + 2
        services.comments_set_hidden(comment_ids=[comment.pk], hidden=True)
        assert _popularity(post) == 1
        services.comments_set_hidden(comment_ids=[comment.pk], hidden=False)
        assert _popularity(post) == 3
        services.comment_delete(comment=Comment.objects.select_related("post").get(pk=comment.pk), user=commenter)
        services.post_unlike(post=post, user=liker)
        services.post_unlike(post=post, user=liker)
        assert _popularity(post) == 0

    def test_taking_back_a_like_older_than_the_window_changes_nothing(self):
        post = PostFactory()
        liker = UserFactory()
        Like.objects.create(post=post, user=liker, created_at=timezone.now() - timedelta(days=8))
        services.post_like(post=post, user=UserFactory())
        assert _popularity(post) == 1
        services.post_unlike(post=post, user=liker)  # it no longer counted
        assert _popularity(post) == 1


@pytest.mark.django_db
class TestDailyRefresh:
    def test_likes_and_comments_leave_the_score_after_the_window(self):
        now = timezone.now()
        post, quiet = PostFactory(), PostFactory()
        services.post_like(post=post, user=UserFactory())
        services.comment_create(post=post, author=UserFactory(), content="wow")
        assert services.posts_refresh_popularity(now=now) == 0  # already exact
        assert _popularity(post) == 3
        assert services.posts_refresh_popularity(now=now + timedelta(days=7, minutes=1)) == 1
        assert (_popularity(post), _popularity(quiet)) == (0, 0)
        assert services.posts_refresh_popularity(now=now + timedelta(days=8)) == 0  # idempotent

    def test_repairs_a_score_written_around_the_services(self):
        now = timezone.now()
        post, old_post = PostFactory(), PostFactory(created_at=now - timedelta(days=90))
        Like.objects.create(post=post, user=UserFactory(), created_at=now - timedelta(days=1))
        # A score left behind by likes deleted without the services (an old post, no recent activity).
        Post.objects.filter(pk__in=[post.pk, old_post.pk]).update(popularity=40)
        assert services.posts_refresh_popularity(now=now) == 2
        assert (_popularity(post), _popularity(old_post)) == (1, 0)

    def test_task_and_schedule(self):
        post = PostFactory()
        Like.objects.create(post=post, user=UserFactory())
        assert tasks.refresh_popularity() == 1
        assert _popularity(post) == 1
        spec = next(spec for spec in jobs.SCHEDULES if spec.func == "community.tasks.refresh_popularity")
        assert (spec.schedule_type, spec.first_run_local.hour) == ("D", 4)
        assert spec.func in jobs.TASKS


@pytest.mark.django_db
class TestStoredShapes:
    def test_post_create_stores_the_shapes_and_the_backfill_recomputes_them(self):
        heart, star = ShapeFactory(shape_id="heart"), ShapeFactory(shape_id="star")
        author = UserFactory()
        heart_route = RouteFactory(in_seoul=True, user=author, shape=heart)
        star_route = RouteFactory(in_seoul=True, user=author, shape=star)
        both = services.post_create(author=author, route_id=heart_route.pk,
                                    workout_id=WorkoutFactory(completed=True, user=author, route=star_route).pk)
        by_workout = services.post_create(
            author=author, workout_id=WorkoutFactory(completed=True, user=author, route=star_route).pk)
        same = services.post_create(author=author, route_id=heart_route.pk,
                                    workout_id=WorkoutFactory(completed=True, user=author, route=heart_route).pk)
        plain = services.post_create(author=author, content="no shape")
        expected = {both.pk: ("heart", "star"), by_workout.pk: ("star", ""), same.pk: ("heart", ""),
                    plain.pk: ("", "")}

        def stored():
            return {pk: (a, b) for pk, a, b in Post.objects.values_list("pk", "shape_slug", "other_shape_slug")}

        assert stored() == expected
        Post.objects.update(shape_slug="", other_shape_slug="x", popularity=9)
        services.posts_backfill_derived()
        assert stored() == expected
        assert set(Post.objects.values_list("popularity", flat=True)) == {0}
