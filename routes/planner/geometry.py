"""Small planar-geometry helpers shared by the planner, the shape catalog and the fidelity measure.

Everything here is plain numpy. Planar coordinates are metres east (x) and north (y) of an origin, from an
equirectangular projection: at the scale of a running route (≤ 20 km) its distortion is far below GPS error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
_DEG = np.pi / 180.0


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection around (origin_lat, origin_lon): x metres east, y metres north."""

    origin_lat: float
    origin_lon: float

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
        """(N, 2) metres → (N, 2) [lat, lon] degrees."""
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
    """Great-circle distance in metres (vectorised)."""
    lat1, lon1, lat2, lon2 = (np.asarray(v, dtype=np.float64) * _DEG for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
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
