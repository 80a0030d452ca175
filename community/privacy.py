"""The privacy zone: what of a runner's paths others may see (pure numpy: no Django).

Other people never see where a run or a route starts or ends (often the runner's home). Every path shown to
anyone but its owner — a shared workout's track, the route a post shares, its previews, a save-route copy —
loses every point within `radius_m` of a *hidden centre* placed near each of its sensitive ends ("anchors":
the track's first and last points, the route's start, the path's first and last points).

A fixed circle around the true start can be inverted: on a loop, circles of the known radius around the first
and last visible points meet at the start. So, as Strava does, the circle is unpredictable, per runner:

- the runner picks a size `size_m` from `accounts.models.ZONE_SIZES_M` (0 turns the zone off);
- the circle's radius is drawn per runner in [RADIUS_FACTOR_MIN, RADIUS_FACTOR_MAX] x size_m;
- its centre is the anchor moved by a per-runner offset (bearing uniform, length drawn uniformly by area in
  [OFFSET_SHARE_MIN, 1] x (radius_m - size_m)), the same for every anchor and every path of that runner (a
  centre that moved per run would average out to the start over many runs).

So every visible point is at least `radius_m - offset_m >= size_m` from each anchor, and the point where
circles through the visible ends meet is the hidden centre, at least OFFSET_SHARE_MIN x (RADIUS_FACTOR_MIN - 1)
x size_m (50 m at 200 m) from the true start, in an unknown direction. The draws come from a per-runner secret
and the size, so they are stable (the same runner always hides the same circle, whatever the request) and
independent between sizes (switching sizes does not reveal the start as the point the centres move along).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from routes.planner.geometry import haversine_m

RADIUS_FACTOR_MIN = 1.5
RADIUS_FACTOR_MAX = 2.0
OFFSET_SHARE_MIN = 0.5
# Coordinates leave the server rounded (7 decimals, ≤ 1.1 cm; polylines 5 decimals, ≤ 1.1 m per axis): a point
# kept at exactly the circle's edge must not end up inside it.
ROUNDING_MARGIN_M = 2.0
_METRES_PER_DEGREE_LAT = 111_195.0  # mean Earth radius, as workouts.metrics.haversine_m


@dataclass(frozen=True)
class PrivacyZone:
    size_m: float  # what the runner chose: every shown point is at least this far from each anchor
    radius_m: float = 0.0  # the hidden circle's radius
    offset_north_m: float = 0.0  # hidden centre = anchor + this offset
    offset_east_m: float = 0.0

    @property
    def is_off(self) -> bool:
        return self.size_m <= 0

    @property
    def offset_m(self) -> float:
        return math.hypot(self.offset_north_m, self.offset_east_m)


NO_ZONE = PrivacyZone(size_m=0.0)


def _uniforms(secret: str, size_m: int, count: int) -> list[float]:
    """`count` numbers in [0, 1) derived from the runner's secret and the size (BLAKE2b, 8 bytes each)."""
    digest = hashlib.blake2b(f"privacy-zone:{size_m}:{secret}".encode(), digest_size=8 * count).digest()
    return [int.from_bytes(digest[8 * i:8 * i + 8], "big") / 2.0**64 for i in range(count)]


def privacy_zone_for(*, size_m: int, secret: str) -> PrivacyZone:
    """The zone of a runner who chose `size_m` (one of accounts.models.ZONE_SIZES_M) and holds `secret` (random,
    per runner)."""
    if size_m <= 0:
        return NO_ZONE
    u_radius, u_offset, u_bearing = _uniforms(secret, size_m, 3)
    radius_m = size_m * (RADIUS_FACTOR_MIN + (RADIUS_FACTOR_MAX - RADIUS_FACTOR_MIN) * u_radius)
    slack_m = radius_m - size_m
    # Uniform by area over the annulus [OFFSET_SHARE_MIN, 1] x slack: no offset length is likelier than its ring.
    offset_m = slack_m * math.sqrt(OFFSET_SHARE_MIN**2 + (1 - OFFSET_SHARE_MIN**2) * u_offset)
    bearing = 2 * math.pi * u_bearing
    return PrivacyZone(size_m=float(size_m), radius_m=radius_m, offset_north_m=offset_m * math.cos(bearing),
                       offset_east_m=offset_m * math.sin(bearing))


def hidden_centres(zone: PrivacyZone, anchors: np.ndarray) -> np.ndarray:
    """The hidden centres [[lat, lon], ...] of `anchors` [[lat, lon], ...] (degrees)."""
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    d_lat = zone.offset_north_m / _METRES_PER_DEGREE_LAT
    d_lon = zone.offset_east_m / (_METRES_PER_DEGREE_LAT * np.cos(np.radians(anchors[:, 0])))
    return np.column_stack((anchors[:, 0] + d_lat, anchors[:, 1] + d_lon))


def visible_indices(lat: np.ndarray, lon: np.ndarray, *, zone: PrivacyZone, anchors) -> np.ndarray:
    """Indices of the points of a path (lat/lon in degrees, in path order) that others may see: those outside
    every hidden circle of `anchors`. Every point when the zone is off; an increasing integer array, empty when
    nothing is left. O(n x anchors)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if zone.is_off:
        return np.arange(lat.size)
    keep = np.ones(lat.size, dtype=bool)
    edge_m = zone.radius_m + ROUNDING_MARGIN_M
    for centre_lat, centre_lon in hidden_centres(zone, anchors):
        keep &= haversine_m(lat, lon, centre_lat, centre_lon) >= edge_m
    return np.flatnonzero(keep)


def path_anchors(coordinates) -> list[tuple[float, float]]:
    """A path's own sensitive points: its first and last."""
    if len(coordinates) == 0:
        return []
    first, last = coordinates[0], coordinates[-1]
    return [(float(first[0]), float(first[1])), (float(last[0]), float(last[1]))]


def visible_path(coordinates, *, zone: PrivacyZone, anchors=()) -> list[list[float]]:
    """The part of a path [[lat, lng], ...] others may see: without the circles of its own ends and of the
    extra `anchors` (e.g. the route's start, the shared workout's ends)."""
    if len(coordinates) == 0:
        return []
    points = np.asarray(coordinates, dtype=float).reshape(-1, 2)
    all_anchors = path_anchors(points) + [(float(a), float(b)) for a, b in anchors]
    return points[visible_indices(points[:, 0], points[:, 1], zone=zone, anchors=all_anchors)].tolist()


def path_length_m(coordinates) -> float:
    """Length of a path [[lat, lng], ...] in metres (great circle between consecutive points)."""
    if len(coordinates) < 2:
        return 0.0
    points = np.asarray(coordinates, dtype=float)
    return float(np.sum(haversine_m(points[:-1, 0], points[:-1, 1], points[1:, 0], points[1:, 1])))


def drawing_as_svg_path(points) -> str:
    """A drawing given on the map ([[lat, lng], ...]) as SVG path data in a 0..100 box (y down, north up):
    the same form (the planner and shape accuracy use only the form), no place on Earth."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    cos_lat = math.cos(math.radians(float(points[:, 0].mean())))
    xs = points[:, 1] * cos_lat * _METRES_PER_DEGREE_LAT
    ys = points[:, 0] * _METRES_PER_DEGREE_LAT
    span = max(float(np.ptp(xs)), float(np.ptp(ys)), 1e-9)
    xs = (xs - xs.min()) / span * 100.0
    ys = 100.0 - (ys - ys.min()) / span * 100.0
    commands = [f"{'M' if i == 0 else 'L'} {x:.2f} {y:.2f}" for i, (x, y) in enumerate(zip(xs, ys, strict=True))]
    return " ".join(commands)
