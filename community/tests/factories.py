"""Factories of the community app's models (posts, comments) and the shared test data the community, goals,
export and erasure tests build on: a Seoul route with options, a straight recorded track."""

from datetime import timedelta

import factory

from accounts.tests.factories import UserFactory
from community.models import Comment, Post
from routes.models import Route
from routes.tests.factories import METRES_PER_DEG_LAT, START_LAT, START_LON, RouteFactory, RouteOptionFactory
from workouts.models import Workout, WorkoutPoint


def route_with_options(*, user, options: int = 2, **kwargs) -> Route:
    route = RouteFactory(user=user, in_seoul=True, **kwargs)
    for rank in range(1, options + 1):
        RouteOptionFactory(route=route, in_seoul=True, rank=rank, distance_km=2.0 + rank / 10)
    return route


def straight_track(workout: Workout, *, length_m: float = 3000.0, step_m: float = 10.0) -> list[tuple]:
    """Store kept points due north from START every `step_m` metres at 3 m/s; returns [(lat, lon), ...]."""
    count = int(length_m / step_m) + 1
    points, coordinates = [], []
    for index in range(count):
        lat = START_LAT + index * step_m / METRES_PER_DEG_LAT
        coordinates.append((lat, START_LON))
        points.append(WorkoutPoint(workout=workout, seq=index, latitude=lat, longitude=START_LON, accuracy=5.0,
                                   recorded_at=workout.started_at + timedelta(seconds=index * step_m / 3.0)))
    WorkoutPoint.objects.bulk_create(points)
    Workout.objects.filter(pk=workout.pk).update(points_count=count, last_seq=count - 1)
    workout.points_count, workout.last_seq = count, count - 1
    return coordinates


def _shape_slugs(post) -> tuple[str, str]:
    from community.services import post_shape_slugs

    return post_shape_slugs(route=post.route, workout=post.workout)


class PostFactory(factory.django.DjangoModelFactory):
    """A post as `post_create` stores it (its shapes derived from its route and workout)."""

    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Morning run #{n}")
    visibility = Post.Visibility.PUBLIC
    route = None
    workout = None
    shape_slug = factory.LazyAttribute(lambda post: _shape_slugs(post)[0])
    other_shape_slug = factory.LazyAttribute(lambda post: _shape_slugs(post)[1])


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    content = "Nice run!"
