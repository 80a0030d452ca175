"""Paths for the privacy zone tests: loops from a runner's home, stored as tracks and as route options."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import polyline as polyline_codec

from routes.tests.factories import START_LAT, START_LON, RouteFactory, RouteOptionFactory
from workouts.models import Workout, WorkoutPoint

METRES_PER_DEG_LAT = 111_195.0
HOME = (START_LAT, START_LON)


def offset(point, *, north_m: float, east_m: float) -> tuple[float, float]:
    lat, lon = point
    return (lat + north_m / METRES_PER_DEG_LAT,
            lon + east_m / (METRES_PER_DEG_LAT * np.cos(np.radians(lat))))


def loop_from(start=HOME, *, radius_m: float = 500.0, bearing_deg: float = 0.0,
              step_m: float = 10.0) -> list[tuple[float, float]]:
    """A circular loop leaving `start` towards `bearing_deg` and coming back to it (first == last point)."""
    bearing = np.radians(bearing_deg)
    centre_north, centre_east = radius_m * np.cos(bearing), radius_m * np.sin(bearing)
    count = int(2 * np.pi * radius_m / step_m)
    # Angle around the centre, starting at the start point (opposite the bearing).
    angles = bearing + np.pi + np.linspace(0, 2 * np.pi, count + 1)
    return [offset(start, north_m=centre_north + radius_m * np.cos(a), east_m=centre_east + radius_m * np.sin(a))
            for a in angles]


def store_track(workout: Workout, coordinates) -> None:
    """Store `coordinates` as the workout's kept points (3 m/s) and its start and end."""
    points = [WorkoutPoint(workout=workout, seq=index, latitude=lat, longitude=lon, accuracy=5.0,
                           recorded_at=workout.started_at + timedelta(seconds=index * 3))
              for index, (lat, lon) in enumerate(coordinates)]
    WorkoutPoint.objects.bulk_create(points)
    (first_lat, first_lon), (last_lat, last_lon) = coordinates[0], coordinates[-1]
    Workout.objects.filter(pk=workout.pk).update(points_count=len(points), last_seq=len(points) - 1,
                                                 start_latitude=first_lat, start_longitude=first_lon,
                                                 end_latitude=last_lat, end_longitude=last_lon)
    workout.refresh_from_db()


def route_along(*, user, coordinates, **fields):
    """A route starting at the path's first point with one option (rank 1) along `coordinates`."""
    start_lat, start_lon = coordinates[0]
    route = RouteFactory(in_seoul=True, user=user, start_latitude=Decimal(f"{start_lat:.7f}"),
                         start_longitude=Decimal(f"{start_lon:.7f}"), **fields)
    lats = [lat for lat, _ in coordinates]
    lons = [lon for _, lon in coordinates]
    option = RouteOptionFactory(in_seoul=True, route=route, rank=1, polyline=polyline_codec.encode(coordinates, 5),
                                point_count=len(coordinates), distance_km=3.1,
                                start_latitude=Decimal(f"{start_lat:.7f}"),
                                start_longitude=Decimal(f"{start_lon:.7f}"),
                                min_lat=min(lats), min_lon=min(lons), max_lat=max(lats), max_lon=max(lons))
    return route, option


def circle_fit(points_m: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares (Kasa) circle through planar points: (centre, radius)."""
    x, y = points_m[:, 0], points_m[:, 1]
    a = np.column_stack((x, y, np.ones_like(x)))
    (cx2, cy2, c), *_ = np.linalg.lstsq(a, x**2 + y**2, rcond=None)
    centre = np.array([cx2 / 2, cy2 / 2])
    return centre, float(np.sqrt(c + centre @ centre))


def local_m(point, origin=HOME) -> np.ndarray:
    """(east, north) metres of `point` from `origin`."""
    return np.array([(point[1] - origin[1]) * METRES_PER_DEG_LAT * np.cos(np.radians(origin[0])),
                     (point[0] - origin[0]) * METRES_PER_DEG_LAT])


def circle_intersections(p1: np.ndarray, p2: np.ndarray, radius: float) -> list[np.ndarray]:
    """The points at `radius` from both p1 and p2 (planar), none when the circles do not meet."""
    chord = p2 - p1
    d = float(np.hypot(*chord))
    if d == 0 or d > 2 * radius:
        return []
    mid = (p1 + p2) / 2
    h = np.sqrt(max(radius**2 - (d / 2) ** 2, 0.0))
    normal = np.array([-chord[1], chord[0]]) / d
    return [mid + h * normal, mid - h * normal]
