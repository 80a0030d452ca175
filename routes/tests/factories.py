"""Factories of the routes app's models: shapes, routes and their options.

By default a route is a small square on the synthetic road grid the routes tests plan on. The `in_seoul` trait
is the community tests' route instead: 3 km from Seoul City Hall with a shape of its own, its options a 500 m
square loop (`square_loop`) around the start.
"""

from decimal import Decimal

import factory
import polyline

from accounts.tests.factories import UserFactory
from routes.models import Route, RouteOption, RouteShape

# A small closed square near the synthetic grid (lat, lng).
SQUARE_PATH = [(37.2810, 127.0410), (37.2810, 127.0420), (37.2818, 127.0420), (37.2818, 127.0410),
               (37.2810, 127.0410)]
START_LAT, START_LON = 37.5665, 126.9780  # Seoul City Hall
METRES_PER_DEG_LAT = 111_195.0


def square_loop(*, side_m: float = 500.0) -> list[tuple[float, float]]:
    d_lat = side_m / METRES_PER_DEG_LAT
    d_lon = side_m / (METRES_PER_DEG_LAT * 0.7935)
    return [(START_LAT, START_LON), (START_LAT + d_lat, START_LON), (START_LAT + d_lat, START_LON + d_lon),
            (START_LAT, START_LON + d_lon), (START_LAT, START_LON)]


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

    class Params:
        in_seoul = factory.Trait(
            shape=factory.SubFactory(ShapeFactory),
            start_latitude=Decimal(str(START_LAT)),
            start_longitude=Decimal(str(START_LON)),
            target_distance_km=Decimal("3.000"),
        )

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Route {n}")
    start_latitude = "37.2810000"
    start_longitude = "127.0410000"
    target_distance_km = "0.360"


class RouteOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RouteOption

    class Params:
        in_seoul = factory.Trait(
            route=factory.SubFactory(RouteFactory, in_seoul=True),
            polyline=factory.LazyFunction(lambda: polyline.encode(square_loop(), 5)),
            point_count=5,
            distance_km=2.0,
            estimated_duration_s=720,
            shape_fidelity=88.5,
            start_latitude=Decimal(str(START_LAT)),
            start_longitude=Decimal(str(START_LON)),
            min_lat=START_LAT,
            min_lon=START_LON,
            max_lat=START_LAT + 0.0045,
            max_lon=START_LON + 0.0057,
        )

    route = factory.SubFactory(RouteFactory)
    rank = factory.Sequence(lambda n: n + 1)
    polyline = polyline.encode(SQUARE_PATH, 5)
    point_count = len(SQUARE_PATH)
    distance_km = 0.36
    estimated_duration_s = 130
    shape_fidelity = 90.0
    start_latitude = "37.2810000"
    start_longitude = "127.0410000"
    min_lat = 37.2810
    min_lon = 127.0410
    max_lat = 37.2818
    max_lon = 127.0420
