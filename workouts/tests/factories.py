"""Factories and synthetic tracks for the workouts tests."""

import math
from datetime import UTC, datetime, timedelta

import factory

from accounts.tests.factories import UserFactory
from workouts.models import Workout

# Seoul Forest, Seoul: where the synthetic runs take place.
ORIGIN_LAT = 37.5444
ORIGIN_LON = 127.0374
EARTH_RADIUS_M = 6_371_008.8
START = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)


class WorkoutFactory(factory.django.DjangoModelFactory):
    """A live workout in progress (no points). `completed=True` makes it a finished run with stored totals
    (5 km in 30 min, 350 kcal), the workout the community, goals and export tests share and summarise."""

    class Meta:
        model = Workout

    class Params:
        completed = factory.Trait(
            status=Workout.Status.COMPLETED,
            completed_at=factory.LazyAttribute(lambda w: w.started_at + timedelta(seconds=w.duration_s)),
            distance_m=5000.0,
            duration_s=1800,
            elapsed_duration_s=1800,
            avg_pace_s=360.0,
            calories_kcal=350.0,
        )

    user = factory.SubFactory(UserFactory)
    type = Workout.Type.RUNNING
    status = Workout.Status.ACTIVE
    source = Workout.Source.LIVE
    started_at = START
    start_latitude = ORIGIN_LAT
    start_longitude = ORIGIN_LON


def loop_points(*, count: int, speed_mps: float = 1000 / 300, radius_m: float = 150.0,
                start: datetime = START, first_seq: int = 0, interval_s: float = 1.0,
                heart_rate: int | None = 150, altitude_amplitude_m: float = 0.0) -> list[dict]:
    """`count` fixes, one every `interval_s`, running laps of a circle at a steady speed (default 5:00/km).

    Returned as API point dicts (seq, recorded_at ISO string, latitude, longitude, altitude, accuracy, speed,
    heart_rate). Positions are placed on a local tangent plane around ORIGIN; the distance the engine measures
    is the chord sum of the circle, which is within 0.01 % of speed * time for these radii.
    """
    points = []
    for i in range(count):
        angle = speed_mps * interval_s * i / radius_m
        x = radius_m * math.sin(angle)
        y = radius_m * (1 - math.cos(angle))
        lat = ORIGIN_LAT + math.degrees(y / EARTH_RADIUS_M)
        lon = ORIGIN_LON + math.degrees(x / (EARTH_RADIUS_M * math.cos(math.radians(ORIGIN_LAT))))
        points.append({
            "seq": first_seq + i,
            "recorded_at": (start + timedelta(seconds=interval_s * i)).isoformat().replace("+00:00", "Z"),
            "latitude": round(lat, 7),
            "longitude": round(lon, 7),
            "altitude": round(30.0 + altitude_amplitude_m * math.sin(angle), 2),
            "accuracy": 5.0,
            "speed": speed_mps,
            "heart_rate": heart_rate,
        })
    return points


def points_between(points: list[dict], *, start_s: float, end_s: float) -> list[dict]:
    """The points recorded from `start_s` (inclusive) to `end_s` (exclusive) after START."""
    return [p for p in points if start_s <= _offset_s(p) < end_s]


def _offset_s(point: dict) -> float:
    return (datetime.fromisoformat(point["recorded_at"]) - START).total_seconds()


def make_route_option(user, coordinates: list[list[float]]):
    """A saved route of `user` with one option whose planned path is `coordinates` ([[lat, lng], ...])."""
    import polyline

    from routes.models import Route, RouteOption

    lats = [c[0] for c in coordinates]
    lngs = [c[1] for c in coordinates]
    route = Route.objects.create(user=user, name="Morning loop", start_latitude=round(lats[0], 7),
                                 start_longitude=round(lngs[0], 7), target_distance_km=1)
    option = RouteOption.objects.create(
        route=route, rank=1, polyline=polyline.encode(coordinates, 5), point_count=len(coordinates),
        distance_km=1.0, estimated_duration_s=360, shape_fidelity=90.0, start_latitude=round(lats[0], 7),
        start_longitude=round(lngs[0], 7), min_lat=min(lats), min_lon=min(lngs), max_lat=max(lats),
        max_lon=max(lngs),
    )
    return route, option
