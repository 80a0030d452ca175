"""Synthetic tracks of known geometry for the engine tests (no randomness without an explicit seed)."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from routes.planner.geometry import LocalProjection
from workouts.metrics import PointArrays

# A 400 m running track near Suwon (37.28 N, 127.04 E): two 84.39 m straights and two semicircles whose
# radius makes the lap exactly 400 m.
TRACK_ORIGIN = LocalProjection(37.28, 127.04)
LAP_M = 400.0
STRAIGHT_M = 84.39
RADIUS_M = (LAP_M - 2 * STRAIGHT_M) / (2 * np.pi)
START_EPOCH_S = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def oval_xy(distance_m: np.ndarray) -> np.ndarray:
    """Position (m, local plane) after running `distance_m` along the oval, counter-clockwise."""
    s = np.mod(np.asarray(distance_m, dtype=np.float64), LAP_M)
    x = np.empty_like(s)
    y = np.empty_like(s)
    bend1 = STRAIGHT_M
    straight2 = bend1 + np.pi * RADIUS_M
    bend2 = straight2 + STRAIGHT_M
    m = s < bend1
    x[m], y[m] = s[m], 0.0
    m = (s >= bend1) & (s < straight2)
    angle = (s[m] - bend1) / RADIUS_M
    x[m], y[m] = STRAIGHT_M + RADIUS_M * np.sin(angle), RADIUS_M - RADIUS_M * np.cos(angle)
    m = (s >= straight2) & (s < bend2)
    x[m], y[m] = STRAIGHT_M - (s[m] - straight2), 2 * RADIUS_M
    m = s >= bend2
    angle = (s[m] - bend2) / RADIUS_M
    x[m], y[m] = -RADIUS_M * np.sin(angle), RADIUS_M + RADIUS_M * np.cos(angle)
    return np.column_stack((x, y))


def to_points(t: np.ndarray, xy: np.ndarray, **columns) -> PointArrays:
    lat, lon = TRACK_ORIGIN.to_latlng(xy).T
    return PointArrays.from_columns(recorded_at=t, latitude=lat, longitude=lon, **columns)


def oval_run(
    distance_m: float,
    pace_s_per_km: float,
    *,
    hz: float = 1.0,
    noise_m: float = 0.0,
    correlated_s: float | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(t, xy) of a constant-pace run of `distance_m` on the oval, sampled at `hz`, optional gaussian noise.

    `noise_m` is the per-axis standard deviation; `correlated_s` makes it a Gauss-Markov process with that
    correlation time (how phone fixes actually err) instead of independent per fix.
    """
    speed = 1000.0 / pace_s_per_km
    duration = distance_m / speed
    t = np.arange(0.0, duration + 1e-9, 1.0 / hz)
    xy = oval_xy(speed * t)
    if noise_m:
        rng = np.random.default_rng(seed)
        if correlated_s:
            a = np.exp(-1.0 / (hz * correlated_s))
            noise = lfilter([1.0], [1.0, -a], rng.normal(0.0, noise_m * np.sqrt(1 - a * a), xy.shape), axis=0)
        else:
            noise = rng.normal(0.0, noise_m, xy.shape)
        xy = xy + noise
    return START_EPOCH_S + t, xy
