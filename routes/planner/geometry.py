"""The geometry both engines share: spherical distance, a local metric projection, polylines in the plane.

Used by the planner, the shape catalog and the fidelity measure here, and by the GPS metrics engine
(`workouts.metrics`), which sits above the routes app and already scores traces with this package's fidelity.
Everything here is plain numpy, no Django.

Planar coordinates are metres east (x) and north (y) of an origin, from an equirectangular projection around
(lat0, lon0): x = R·(lon - lon0)·cos(lat0), y = R·(lat - lat0). North-south distances are exact on the sphere;
east-west ones are scaled by cos(lat0)/cos(lat), a relative error of about tan(lat0)·Δlat. A run or route
shorter than 50 km stays within 25 km (Δlat ≤ 0.0039 rad) of its centre, so the error is ≤ 0.3 % at 37° N and
≤ 0.7 % at 60°: far below GPS error and irrelevant for the 30 m / 50 m route tolerances (≤ 0.35 m). The
metrics engine's distances along a track do not rely on the projection's scale: `workouts.metrics.track`
rescales each east-west step by cos(lat0)/cos(lat) of the step, exact to second order in the step length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Mean Earth radius (IUGG), metres: the sphere haversine uses. Against the WGS84 ellipsoid a spherical distance
# is off by at most ~0.5 % (≈ ±0.2 % at Korean latitudes); every tracker computing haversine distances shares it.
EARTH_RADIUS_M = 6_371_008.8
_DEG = np.pi / 180.0


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection around (origin_lat, origin_lon): x metres east, y metres north."""

    origin_lat: float
    origin_lon: float

    @classmethod
    def around(cls, lat, lon) -> LocalProjection:
        """Centred on the mean of the given coordinates (a track's centroid)."""
        return cls(float(np.mean(lat)), float(np.mean(lon)))

    @property
    def _metres_per_deg_lat(self) -> float:
        return EARTH_RADIUS_M * _DEG

    @property
    def _metres_per_deg_lon(self) -> float:
        return EARTH_RADIUS_M * _DEG * float(np.cos(self.origin_lat * _DEG))

    def to_xy(self, lat, lon) -> np.ndarray:
        """Degrees → (N, 2) metres. Accepts scalars or arrays."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        x_m = (lon - self.origin_lon) * self._metres_per_deg_lon
        y_m = (lat - self.origin_lat) * self._metres_per_deg_lat
        return np.stack([x_m, y_m], axis=-1)

    def to_latlng(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) metres → (N, 2) [lat, lon] degrees: the exact inverse of `to_xy`."""
        xy = np.asarray(xy, dtype=np.float64)
        lat = xy[..., 1] / self._metres_per_deg_lat + self.origin_lat
        lon = xy[..., 0] / self._metres_per_deg_lon + self.origin_lon
        return np.stack([lat, lon], axis=-1)


def latlng_to_local_xy(latlng: np.ndarray, projection: LocalProjection | None = None) -> np.ndarray:
    """Project (M, 2) [lat, lng] degrees to planar metres (x east, y north).

    Without a projection, the centre of the points' bounding box is the origin. Use this to hand a planned
    route (lat/lng) to `shape_fidelity` as the outline when scoring a recorded run against it.
    """
    latlng = np.asarray(latlng, dtype=np.float64)
    if projection is None:
        projection = projection_for(latlng)
    return projection.to_xy(latlng[:, 0], latlng[:, 1])


def projection_for(latlng: np.ndarray) -> LocalProjection:
    """A projection centred on the bounding box of (M, 2) [lat, lng] points."""
    latlng = np.asarray(latlng, dtype=np.float64)
    lat0 = float((latlng[:, 0].min() + latlng[:, 0].max()) / 2)
    lon0 = float((latlng[:, 1].min() + latlng[:, 1].max()) / 2)
    return LocalProjection(lat0, lon0)


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres between points in degrees (vectorised, broadcasting)."""
    # np.multiply, not a generator over np.asarray: the spike filter calls this once per fix after a spike
    lat1, lon1 = np.multiply(lat1, _DEG, dtype=np.float64), np.multiply(lon1, _DEG, dtype=np.float64)
    lat2, lon2 = np.multiply(lat2, _DEG, dtype=np.float64), np.multiply(lon2, _DEG, dtype=np.float64)
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    # a ≥ 0 for latitudes within ±90° (cos ≥ 0); rounding can only push it past 1
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def close_ring(xy: np.ndarray) -> np.ndarray:
    """Return the ring with its first point repeated at the end (unchanged if already closed)."""
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) and not np.allclose(xy[0], xy[-1]):
        xy = np.vstack([xy, xy[:1]])
    return xy


def cumulative_length(xy: np.ndarray) -> np.ndarray:
    """Arc length at each vertex of a polyline (first is 0), same unit as the coordinates."""
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) < 2:
        return np.zeros(len(xy))
    seg = np.hypot(*np.diff(xy, axis=0).T)
    return np.concatenate([[0.0], np.cumsum(seg)])


def polyline_length(xy: np.ndarray, *, closed: bool = False) -> float:
    """Total length of a polyline (plus the closing segment when `closed`)."""
    xy = close_ring(xy) if closed else np.asarray(xy, dtype=np.float64)
    return float(cumulative_length(xy)[-1]) if len(xy) else 0.0


def resample_by_count(xy: np.ndarray, count: int, *, closed: bool = False) -> np.ndarray:
    """`count` points evenly spaced by arc length.

    Open: first and last input points are kept. Closed: the ring is walked once and the result does NOT
    repeat the start (count distinct points, uniform spacing including the closing gap).
    """
    xy = np.asarray(xy, dtype=np.float64)
    if closed:
        xy = close_ring(xy)
    cum = cumulative_length(xy)
    total = cum[-1]
    if total <= 0 or len(xy) < 2:
        return np.repeat(xy[:1], count, axis=0)
    targets = np.arange(count) * (total / count) if closed else np.linspace(0.0, total, count)
    return _interpolate_at(xy, cum, targets)


def resample_by_spacing(xy: np.ndarray, spacing: float, *, closed: bool = False,
                        max_points: int | None = None) -> np.ndarray:
    """Points every `spacing` units of arc length (the last step may be shorter).

    Closed input returns a closed ring (first point repeated at the end). With `max_points`, the spacing is
    widened so the result has at most that many points.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if closed:
        xy = close_ring(xy)
    cum = cumulative_length(xy)
    total = cum[-1] if len(cum) else 0.0
    if total <= 0 or len(xy) < 2:
        return xy[:1].copy()
    count = int(np.ceil(total / spacing)) + 1
    if max_points is not None and count > max_points:
        count = max_points
    targets = np.linspace(0.0, total, count)
    return _interpolate_at(xy, cum, targets)


def _interpolate_at(xy: np.ndarray, cum: np.ndarray, targets: np.ndarray) -> np.ndarray:
    # Drop zero-length segments so np.interp sees strictly increasing abscissae.
    keep = np.concatenate([[True], np.diff(cum) > 0])
    cum_k, xy_k = cum[keep], xy[keep]
    x = np.interp(targets, cum_k, xy_k[:, 0])
    y = np.interp(targets, cum_k, xy_k[:, 1])
    return np.stack([x, y], axis=1)


def polygon_area(xy: np.ndarray) -> float:
    """Absolute shoelace area of a ring."""
    xy = np.asarray(xy, dtype=np.float64)
    x, y = xy[:, 0], xy[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def bbox_diagonal(xy: np.ndarray) -> float:
    xy = np.asarray(xy, dtype=np.float64)
    span = xy.max(axis=0) - xy.min(axis=0)
    return float(np.hypot(span[0], span[1]))


def densify_steps(xy: np.ndarray, step_connects: np.ndarray, step_m: float) -> np.ndarray:
    """Vertices of a multi-part polyline plus points every ≤ `step_m` inside the steps that connect.

    `step_connects[i]` says whether xy[i] → xy[i+1] is drawn (False across segment gaps). Vectorised.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) < 2:
        return xy.copy()
    delta = np.diff(xy, axis=0)
    length = np.hypot(delta[:, 0], delta[:, 1])
    extra = np.where(step_connects, np.ceil(length / step_m).astype(np.int64) - 1, 0)
    extra = np.maximum(extra, 0)
    if not extra.any():
        return xy.copy()
    step_index = np.repeat(np.arange(len(delta)), extra)
    # k-th inserted point of a step sits at fraction k/(extra+1)
    offsets = np.arange(step_index.size) - np.repeat(np.cumsum(extra) - extra, extra) + 1
    fraction = offsets / (extra[step_index] + 1)
    inserted = xy[step_index] + delta[step_index] * fraction[:, None]
    return np.concatenate((xy, inserted))


def point_to_polyline_m(point_xy: np.ndarray, path_xy: np.ndarray) -> float:
    """Shortest distance from a point to a polyline (perpendicular to segments, not just to vertices)."""
    path_xy = np.asarray(path_xy, dtype=np.float64)
    p = np.asarray(point_xy, dtype=np.float64)
    if len(path_xy) == 1:
        return float(np.hypot(*(p - path_xy[0])))
    a = path_xy[:-1]
    ab = path_xy[1:] - a
    ab_sq = np.einsum("ij,ij->i", ab, ab)
    ap = p - a
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(ab_sq > 0, np.einsum("ij,ij->i", ap, ab) / ab_sq, 0.0)
    u = np.clip(u, 0.0, 1.0)
    closest = a + ab * u[:, None]
    return float(np.min(np.hypot(closest[:, 0] - p[0], closest[:, 1] - p[1])))
