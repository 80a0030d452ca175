"""From kept fixes to segments, smoothed positions, step lengths and the moving timeline.

Everything downstream (distance, pace, splits, best efforts, calories) reads the "moving timeline": cumulative
distance and cumulative moving time at each kept fix, both advancing only on moving steps inside a segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import median_filter
from scipy.signal import savgol_coeffs, savgol_filter

from .constants import (
    CORNER_SPEED_WINDOW_S,
    MOVING_WINDOW_HALF_STEPS,
    NOISE_CLEAN_M,
    NOISE_LIGHT_M,
    SEGMENT_MAX_GAP_M,
    SEGMENT_MAX_GAP_S,
    SMOOTH_HEAVY_ORDER,
    SMOOTH_HEAVY_WINDOW_S,
    SMOOTH_LIGHT_ORDER,
    SMOOTH_LIGHT_WINDOW_S,
    moving_speed_mps,
)
from .geo import LocalProjection
from .types import PointArrays

# Below this many fixes a segment is not smoothed (a cubic needs at least 5 to smooth anything).
_MIN_SMOOTH_POINTS = 5


@dataclass(frozen=True, eq=False)
class ProcessedTrack:
    """Kept fixes with their derived per-step quantities (n fixes, n-1 steps)."""

    points: PointArrays
    projection: LocalProjection | None
    xy: np.ndarray  # (n, 2) smoothed local metres
    segment_starts: np.ndarray  # index of the first fix of each segment
    step_connects: np.ndarray  # (n-1,) both fixes in the same segment
    step_length_m: np.ndarray  # (n-1,) de-noised length, 0 across segment breaks
    step_dt_s: np.ndarray  # (n-1,)
    step_moving: np.ndarray  # (n-1,) counts as moving (distance and moving time)
    cum_distance_m: np.ndarray  # (n,) moving distance up to each fix
    cum_moving_s: np.ndarray  # (n,) moving time up to each fix

    @property
    def distance_m(self) -> float:
        return float(self.cum_distance_m[-1]) if self.cum_distance_m.size else 0.0

    @property
    def moving_duration_s(self) -> float:
        return float(self.cum_moving_s[-1]) if self.cum_moving_s.size else 0.0

    @property
    def segment_count(self) -> int:
        return int(self.segment_starts.size)


# Fixes over which the local noise level is estimated (a rolling median): long enough to be stable, short
# enough that a stop with a jittering fix in the middle of a clean run is recognised as noisy.
_NOISE_WINDOW_FIXES = 31


def estimate_noise_m(xy: np.ndarray) -> np.ndarray:
    """Per-fix estimate of the per-axis standard deviation (m) of independent fix noise.

    For a smooth path sampled at a steady rate, x[i+1] - 2x[i] + x[i-1] is almost pure noise with variance
    6 sigma^2 (the path's own acceleration contributes centimetres at running speeds). A rolling median of its
    absolute value (median |N(0, s)| = 0.6745 s) keeps irregular time steps and turns from inflating the
    estimate.
    """
    count = len(xy)
    if count < 3:
        return np.zeros(count)
    second = np.abs(xy[2:] - 2 * xy[1:-1] + xy[:-2]).mean(axis=1)
    second = np.concatenate((second[:1], second, second[-1:]))
    local_median = median_filter(second, size=min(_NOISE_WINDOW_FIXES, count), mode="nearest")
    return local_median / 0.6745 / np.sqrt(6.0)


@lru_cache(maxsize=32)
def _step_noise_gain(window: int, order: int) -> float:
    """Σ(c[k] - c[k-1])² of the smoothing kernel: variance of a smoothed step per unit fix-noise variance."""
    coeffs = savgol_coeffs(window, order)
    return float(np.sum(np.diff(np.concatenate(([0.0], coeffs, [0.0]))) ** 2))


def _window_fixes(window_s: float, interval_s: float) -> int:
    """Odd number of fixes spanning about `window_s` at the given sampling interval (at least 5)."""
    fixes = round(window_s / max(interval_s, 1e-3))
    return max(fixes | 1, _MIN_SMOOTH_POINTS)


def _one_leg_speed_mps(xy: np.ndarray, t: np.ndarray, window: int) -> np.ndarray:
    """Per-fix speed (m/s) from the straight line that best fits the fix's surroundings.

    Every window of `window` consecutive fixes that contains the fix gets a least-squares line x(t); the fix
    takes the slope of the window with the smallest residual. Next to a corner that is a window lying wholly on
    one leg (one-sided), so the speed is the runner's speed, not the vector average of the two legs' velocities
    that a centred fit (or any linear smoother) gives there.
    """
    count = len(xy)
    window = min(window, count)
    tw = sliding_window_view(t, window)  # (count - window + 1, window)
    xw = sliding_window_view(xy, window, axis=0)  # (.., 2, window)
    dt = tw - tw.mean(axis=1, keepdims=True)
    dx = xw - xw.mean(axis=2, keepdims=True)
    dt_sq = np.maximum(np.sum(dt * dt, axis=1), 1e-12)
    cross = np.einsum("jw,jdw->jd", dt, dx)
    slope = cross / dt_sq[:, None]
    residual = np.sum(dx * dx, axis=(1, 2)) - np.sum(cross * cross, axis=1) / dt_sq
    # candidate windows of fix i start at i-window+1 .. i; pad so the ones outside the segment never win
    padded = np.concatenate((np.full(window - 1, np.inf), residual, np.full(window - 1, np.inf)))
    best = np.argmin(sliding_window_view(padded, window)[:count], axis=1)
    start = np.arange(count) - window + 1 + best
    return np.hypot(slope[start, 0], slope[start, 1])


def _smooth_segment(xy: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed positions, the expected squared noise left in each step (m^2) and a lower bound on each step's
    length (m), for one segment.

    Fixes whose local noise is at most NOISE_CLEAN_M keep their raw position (smoothing a clean fix only cuts
    corners); the rest take the light window, or the heavy one where the noise exceeds NOISE_LIGHT_M. Between
    two clean fixes the step is at least the runner's speed (`_one_leg_speed_mps`) times its duration: a step
    across a street corner is otherwise the chord, short of the two legs actually run.
    """
    count = len(xy)
    if count < _MIN_SMOOTH_POINTS:
        return xy, np.zeros(max(count - 1, 0)), np.zeros(max(count - 1, 0))
    noise_m = estimate_noise_m(xy)
    interval_s = float(np.median(np.diff(t)))
    longest = count if count % 2 else count - 1
    results = []
    for window_s, order in (
        (SMOOTH_LIGHT_WINDOW_S, SMOOTH_LIGHT_ORDER),
        (SMOOTH_HEAVY_WINDOW_S, SMOOTH_HEAVY_ORDER),
    ):
        window = min(_window_fixes(window_s, interval_s), longest)
        order = max(min(order, window - 2), 1)
        results.append((savgol_filter(xy, window, order, axis=0, mode="interp"), _step_noise_gain(window, order)))
    (light, light_gain), (heavy, heavy_gain) = results
    noisy = noise_m > NOISE_LIGHT_M
    clean = noise_m <= NOISE_CLEAN_M
    smoothed = np.where(clean[:, None], xy, np.where(noisy[:, None], heavy, light))
    gain = np.where(noisy[:-1] | noisy[1:], heavy_gain, light_gain)
    step_noise = np.maximum(noise_m[:-1], noise_m[1:])
    clean_step = clean[:-1] & clean[1:]
    noise_sq = np.where(clean_step, 0.0, step_noise**2 * gain)
    floor_m = np.zeros(count - 1)
    if clean_step.any():
        speed = _one_leg_speed_mps(xy, t, _window_fixes(CORNER_SPEED_WINDOW_S, interval_s))
        floor_m = np.where(clean_step, np.minimum(speed[:-1], speed[1:]) * np.diff(t), 0.0)
    return smoothed, noise_sq, floor_m


def build_track(
    points: PointArrays,
    *,
    pause_starts: np.ndarray,
    pause_ends: np.ndarray,
    activity_type: str = "running",
) -> ProcessedTrack:
    """Segment, smooth and classify the kept fixes (ordered by time, as `filter_points` returns them).

    Segments: a new one starts after a gap > SEGMENT_MAX_GAP_S or > SEGMENT_MAX_GAP_M, or across a pause span;
    the step across the break has length 0 and is not moving time. Steps: smoothed (see constants: raw for
    clean fixes, adaptive Savitzky-Golay otherwise), east-west scaled back to the sphere at the step's
    latitude, then de-noised (√max(d² - expected noise², 0)); between clean fixes at least speed times duration
    (corners). A step is moving when the path speed over a centred window of
    ±MOVING_WINDOW_HALF_STEPS steps (same segment) reaches the activity's moving speed.
    Cost: O(n), vectorised; one small loop over segments.
    """
    n = len(points)
    if n == 0:
        empty = np.zeros(0)
        return ProcessedTrack(
            points,
            None,
            np.zeros((0, 2)),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=bool),
            empty,
            empty,
            np.zeros(0, dtype=bool),
            empty,
            empty,
        )
    t, lat = points.t, points.lat
    projection = LocalProjection.around(lat, points.lon)
    raw_xy = projection.to_xy(lat, points.lon)

    dt = np.diff(t)
    raw_step = np.hypot(*np.diff(raw_xy, axis=0).T)
    pause_between = (
        np.searchsorted(pause_starts, t[1:], side="right") - np.searchsorted(pause_starts, t[:-1], side="right")
    ) > 0
    breaks = (dt > SEGMENT_MAX_GAP_S) | (raw_step > SEGMENT_MAX_GAP_M) | pause_between
    segment_starts = np.flatnonzero(np.concatenate(([True], breaks)))
    segment_ends = np.concatenate((segment_starts[1:], [n]))

    xy = raw_xy.copy()
    step_noise_sq = np.zeros(max(n - 1, 0))
    step_floor_m = np.zeros(max(n - 1, 0))
    for start, end in zip(segment_starts.tolist(), segment_ends.tolist(), strict=True):
        smoothed, noise_sq, floor_m = _smooth_segment(raw_xy[start:end], t[start:end])
        xy[start:end] = smoothed
        if end - start > 1:
            step_noise_sq[start : end - 1] = noise_sq
            step_floor_m[start : end - 1] = floor_m

    delta = np.diff(xy, axis=0)
    # equirectangular x used cos(lat0); the true east-west scale at this step is cos(lat)
    mid_lat = np.radians((lat[1:] + lat[:-1]) / 2)
    delta[:, 0] *= np.cos(mid_lat) / np.cos(np.radians(projection.lat0))
    length_sq = delta[:, 0] ** 2 + delta[:, 1] ** 2
    step_connects = ~breaks
    denoised = np.maximum(np.sqrt(np.maximum(length_sq - step_noise_sq, 0.0)), step_floor_m)
    step_length = np.where(step_connects, denoised, 0.0)
    step_dt = np.where(step_connects, dt, 0.0)

    step_moving = _moving_steps(step_length, step_dt, segment_starts, segment_ends, moving_speed_mps(activity_type))
    step_moving &= step_connects
    cum_distance = np.concatenate(([0.0], np.cumsum(np.where(step_moving, step_length, 0.0))))
    cum_moving = np.concatenate(([0.0], np.cumsum(np.where(step_moving, step_dt, 0.0))))
    return ProcessedTrack(
        points,
        projection,
        xy,
        segment_starts,
        step_connects,
        step_length,
        step_dt,
        step_moving,
        cum_distance,
        cum_moving,
    )


def _moving_steps(
    step_length: np.ndarray,
    step_dt: np.ndarray,
    segment_starts: np.ndarray,
    segment_ends: np.ndarray,
    threshold_mps: float,
) -> np.ndarray:
    """Steps whose centred-window path speed reaches `threshold_mps`; windows stop at segment ends."""
    steps = step_length.size
    if steps == 0:
        return np.zeros(0, dtype=bool)
    cum_len = np.concatenate(([0.0], np.cumsum(step_length)))
    cum_dt = np.concatenate(([0.0], np.cumsum(step_dt)))
    # fix index bounds of the window around step i (fixes i, i+1), clipped to the step's segment
    first_fix = np.repeat(segment_starts, segment_ends - segment_starts)[:steps]
    last_fix = np.repeat(segment_ends - 1, segment_ends - segment_starts)[:steps]
    index = np.arange(steps)
    lo = np.maximum(index - MOVING_WINDOW_HALF_STEPS, first_fix)
    hi = np.minimum(index + 1 + MOVING_WINDOW_HALF_STEPS, last_fix)
    window_len = cum_len[hi] - cum_len[lo]
    window_dt = cum_dt[hi] - cum_dt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (window_dt > 0) & (window_len >= threshold_mps * window_dt)
