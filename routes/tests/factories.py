import factory
import polyline

from accounts.tests.factories import UserFactory
from routes.models import Route, RouteOption

# A small closed square near the synthetic grid (lat, lng).
SQUARE_PATH = [(37.2810, 127.0410), (37.2810, 127.0420), (37.2818, 127.0420), (37.2818, 127.0410),
               (37.2810, 127.0410)]


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Route {n}")
    start_latitude = "37.2810000"
    start_longitude = "127.0410000"
    target_distance_km = "0.360"


class RouteOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RouteOption

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
