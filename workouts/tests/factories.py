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
    class Meta:
        model = Workout

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
