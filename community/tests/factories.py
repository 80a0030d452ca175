"""Factories of the community tests (also used by the goals tests): workouts, routes, posts."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
import polyline as polyline_codec

from accounts.tests.factories import UserFactory
from community.models import Comment, Post
from routes.models import Route, RouteOption, RouteShape
from workouts.models import Workout, WorkoutPoint

START_LAT, START_LON = 37.5665, 126.9780  # Seoul City Hall
METRES_PER_DEG_LAT = 111_195.0


class ShapeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RouteShape

    shape_id = factory.Sequence(lambda n: f"shape-{n}")
    name = factory.Sequence(lambda n: f"Shape {n}")
    icon_name = "favorite"
    svg_template = "M 10 10 L 90 10 L 90 90 L 10 90 Z"
    estimated_distance = Decimal("3.00")


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Route {n}")
    shape = factory.SubFactory(ShapeFactory)
    start_latitude = Decimal(str(START_LAT))
    start_longitude = Decimal(str(START_LON))
    target_distance_km = Decimal("3.000")


def square_loop(*, side_m: float = 500.0) -> list[tuple[float, float]]:
    d_lat = side_m / METRES_PER_DEG_LAT
    d_lon = side_m / (METRES_PER_DEG_LAT * 0.7935)
    return [(START_LAT, START_LON), (START_LAT + d_lat, START_LON), (START_LAT + d_lat, START_LON + d_lon),
            (START_LAT, START_LON + d_lon), (START_LAT, START_LON)]


class RouteOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RouteOption

    route = factory.SubFactory(RouteFactory)
    rank = factory.Sequence(lambda n: n + 1)
    polyline = factory.LazyFunction(lambda: polyline_codec.encode(square_loop(), 5))
    point_count = 5
    distance_km = 2.0
    estimated_duration_s = 720
    shape_fidelity = 88.5
    start_latitude = Decimal(str(START_LAT))
    start_longitude = Decimal(str(START_LON))
    min_lat = START_LAT
    min_lon = START_LON
    max_lat = START_LAT + 0.0045
    max_lon = START_LON + 0.0057


def route_with_options(*, user, options: int = 2, **kwargs) -> Route:
    route = RouteFactory(user=user, **kwargs)
    for rank in range(1, options + 1):
        RouteOptionFactory(route=route, rank=rank, distance_km=2.0 + rank / 10)
    return route


class WorkoutFactory(factory.django.DjangoModelFactory):
    """A completed workout with stored totals (no points unless `with_track` is called)."""

    class Meta:
        model = Workout

    user = factory.SubFactory(UserFactory)
    status = Workout.Status.COMPLETED
    started_at = factory.LazyFunction(lambda: datetime(2026, 5, 5, 22, 0, tzinfo=UTC))
    completed_at = factory.LazyAttribute(lambda w: w.started_at + timedelta(seconds=w.duration_s))
    distance_m = 5000.0
    duration_s = 1800
    elapsed_duration_s = 1800
    avg_pace_s = 360.0
    calories_kcal = 350.0


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
