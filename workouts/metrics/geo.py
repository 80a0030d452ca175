"""Spherical distances and a local metric projection, vectorised with numpy.

Local equirectangular projection around a reference point (lat0, lon0):
    x = R·(lon - lon0)·cos(lat0),  y = R·(lat - lat0)
North-south distances are exact on the sphere; east-west ones are scaled by cos(lat0)/cos(lat), a relative
error of about tan(lat0)·Δlat. A run shorter than 50 km stays within 25 km (Δlat ≤ 0.0039 rad) of its
centroid, so the error is ≤ 0.3 % at 37° N and ≤ 0.7 % at 60°: irrelevant for the 30 m / 50 m route tolerances
(≤ 0.35 m). Distances along the track do not rely on the projection's scale: `track.py` rescales each
east-west step by cos(lat0)/cos(lat) of the step, which is exact to second order in the step length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import EARTH_RADIUS_M


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance (m) between arrays of points in degrees (broadcasting)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Equirectangular projection around (lat0, lon0) in degrees; x east, y north, metres."""

    lat0: float
    lon0: float

    @classmethod
    def around(cls, lat: np.ndarray, lon: np.ndarray) -> LocalProjection:
        """Centred on the mean of the given coordinates (the track's centroid)."""
        return cls(float(np.mean(lat)), float(np.mean(lon)))

    @property
    def _kx(self) -> float:
        return EARTH_RADIUS_M * np.pi / 180.0 * np.cos(np.radians(self.lat0))

    @property
    def _ky(self) -> float:
        return EARTH_RADIUS_M * np.pi / 180.0

    def to_xy(self, lat, lon) -> np.ndarray:
        """(n, 2) metres from degrees."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        return np.column_stack(((lon - self.lon0) * self._kx, (lat - self.lat0) * self._ky))

    def to_latlon(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Degrees (lat, lon) from (n, 2) metres — the exact inverse of `to_xy`."""
        xy = np.asarray(xy, dtype=np.float64)
        return xy[:, 1] / self._ky + self.lat0, xy[:, 0] / self._kx + self.lon0


def resample_polyline(xy: np.ndarray, step_m: float) -> np.ndarray:
    """Points every `step_m` along a polyline (n, 2), both ends included. O(n + length/step)."""
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) < 2:
        return xy.copy()
    seg = np.hypot(*np.diff(xy, axis=0).T)
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    total = cum[-1]
    if total <= 0:
        return xy[:1].copy()
    count = max(int(np.ceil(total / step_m)), 1)
    s = np.linspace(0.0, total, count + 1)
    return np.column_stack((np.interp(s, cum, xy[:, 0]), np.interp(s, cum, xy[:, 1])))


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
    """Shortest distance (m) from a point to a polyline (perpendicular to segments, not just to vertices)."""
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
