"""From kept fixes to segments, smoothed positions, step lengths and the moving timeline.

Everything downstream (distance, pace, splits, best efforts, calories) reads the "moving timeline": cumulative
distance and cumulative moving time at each kept fix, both advancing only on moving steps inside a segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import median_filter
from scipy.signal import savgol_filter

from routes.planner.geometry import LocalProjection

from .constants import (
    CORNER_MIN_TOLERANCE_M,
    CORNER_MIN_TURN_DEG,
    CORNER_SPEED_WINDOW_S,
    CORNER_TOLERANCE_SIGMAS,
    LEG_MAX_ORDER,
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


@lru_cache(maxsize=256)
def _fit_rows(fixes: int, order: int) -> np.ndarray:
    """Hat matrix (fixes x fixes) of a least-squares polynomial of `order` over equally spaced fixes: row k gives
    the fitted value at fix k as weights of the window's fixes (a Savitzky-Golay window, any position)."""
    order = min(order, fixes - 1)
    u = np.linspace(-1.0, 1.0, fixes) if fixes > 1 else np.zeros(1)
    vander = np.vander(u, order + 1)
    return vander @ np.linalg.pinv(vander)


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


def _piecewise_savgol(xy: np.ndarray, piece_start: np.ndarray, piece_end: np.ndarray, window: int, order: int):
    """Savitzky-Golay smoothing that never reaches across a piece boundary, and the exact noise gain of each step.

    Each fix is fitted over `window` fixes centred on it, shifted to stay inside its piece (scipy's
    mode="interp" at the piece ends); a piece shorter than the window is fitted by one polynomial whose order
    shrinks with its length (order x fixes / window, at least a line, at most LEG_MAX_ORDER): a 14-fix street
    block under a degree-7 fit would keep most of its noise, and the per-step de-noising then clamps steps to
    0. `piece_start`/`piece_end` (n,) are each fix's piece bounds [start, end).
    Returns (smoothed (n, 2), gain (n-1,)): gain[j] = variance of smoothed step j per unit fix-noise variance
    (both fixes in one piece; undefined across a boundary).
    """
    count = len(xy)
    index = np.arange(count)
    fixes = np.minimum(window, piece_end - piece_start)
    first = np.clip(index - window // 2, piece_start, piece_end - fixes)
    position = index - first
    centred = (fixes == window) & (position == window // 2)
    smoothed = savgol_filter(xy, window, order, axis=0, mode="interp") if count >= window else xy.copy()
    # rows of the fit for every fix whose window is not the centred one, or that starts/ends such a fix's step
    odd = ~centred
    involved = odd.copy()
    involved[1:] |= odd[:-1]
    involved[:-1] |= odd[1:]
    rows = np.zeros((count, window))
    rows[centred & involved] = _fit_rows(window, order)[window // 2]
    for length in np.unique(fixes[involved]).tolist():
        mask = involved & (fixes == length)
        piece_order = order if length == window else max(1, min(order, order * length // window, LEG_MAX_ORDER))
        rows[mask, :length] = _fit_rows(length, piece_order)[position[mask]]
    gathered = xy[np.minimum(first[odd, None] + np.arange(window), count - 1)]  # (odd, window, 2)
    smoothed[odd] = np.einsum("kw,kwd->kd", rows[odd], gathered)
    # step j = fit(j+1) - fit(j), on fixes first[j] .. first[j] + window; the next window starts 0 or 1 later
    centre_kernel = np.diff(np.concatenate(([0.0], _fit_rows(window, order)[window // 2], [0.0])))
    gain = np.full(max(count - 1, 0), float(np.sum(centre_kernel**2)))
    steps = np.flatnonzero(involved[:-1] | involved[1:])
    steps = steps[steps < count - 1]
    diff = np.zeros((steps.size, window + 1))
    diff[:, :window] -= rows[steps]
    shift = (first[steps + 1] - first[steps]).clip(0, 1)
    diff[shift == 0, :window] += rows[steps + 1][shift == 0]
    diff[shift == 1, 1:] += rows[steps + 1][shift == 1]
    gain[steps] = np.sum(diff**2, axis=1)
    return smoothed, gain


def _corner_apexes(smooth_xy: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Fixes at the sharp corners of the path, from a Douglas-Peucker simplification.

    Douglas-Peucker (GEOS, via shapely) keeps the fixes that stand more than `tolerance_m` off the straight
    chords of the rest: on a lightly smoothed street-grid run, the corners. It judges a corner against whole
    legs, where a local test over a few seconds on each side has too few fixes to tell a 90 degree corner
    under 5 m noise from a track bend. A kept fix counts as a corner when the simplified path turns there by at
    least CORNER_MIN_TURN_DEG and both simplified edges are longer than twice the tolerance (jitter while
    standing makes short, random edges). `_place_cuts` then picks the step to cut next to each apex.
    """
    count = len(smooth_xy)
    coords = np.column_stack((smooth_xy, np.arange(count, dtype=np.float64)))
    simplified = shapely.get_coordinates(
        shapely.simplify(shapely.linestrings(coords), tolerance_m, preserve_topology=False), include_z=True
    )
    kept = simplified[:, 2].astype(np.int64)
    if kept.size < 3:
        return np.zeros(0, dtype=np.int64)
    edges = np.diff(simplified[:, :2], axis=0)
    edge_m = np.hypot(edges[:, 0], edges[:, 1])
    before, after = edges[:-1], edges[1:]
    cos_turn = np.einsum("kd,kd->k", before, after) / np.maximum(edge_m[:-1] * edge_m[1:], 1e-12)
    sharp = (cos_turn <= np.cos(np.radians(CORNER_MIN_TURN_DEG))) & (
        np.minimum(edge_m[:-1], edge_m[1:]) > 2 * tolerance_m
    )
    return kept[1:-1][sharp]


def _line_rss(sums: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Residual sum of squares (m^2) of the constant-velocity line x(t), y(t) fitted to fixes first..last
    (inclusive), from cumulative sums of (1, t, t^2, x, y, t x, t y, x^2 + y^2) (`_line_sums`)."""
    count, st, stt, sx, sy, stx, sty, sxx = np.moveaxis(sums[last + 1] - sums[first], -1, 0)
    var_t = stt - st * st / count
    cov_x, cov_y = stx - st * sx / count, sty - st * sy / count
    with np.errstate(invalid="ignore", divide="ignore"):
        explained = np.where(var_t > 1e-9, (cov_x**2 + cov_y**2) / var_t, 0.0)
    return sxx - (sx * sx + sy * sy) / count - explained


def _line_sums(xy: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cumulative sums for `_line_rss`, centred (time from the first fix, positions from the mean) so that
    differences of large sums keep their precision."""
    tc = t - t[0]
    x, y = (xy - xy.mean(axis=0)).T
    terms = np.column_stack((np.ones_like(tc), tc, tc * tc, x, y, tc * x, tc * y, x * x + y * y))
    return np.vstack((np.zeros((1, 8)), np.cumsum(terms, axis=0)))


def _place_cuts(xy: np.ndarray, t: np.ndarray, apex: np.ndarray, reach: int) -> np.ndarray:
    """The step to cut at each corner apex fix: among the steps from two fixes before the apex to one after,
    the one where a line fitted in time to the fixes before it plus one fitted to the fixes after it leave the
    smallest residual (each over at most `reach` fixes, never past halfway to the next corner). The apex of a
    smoothed track sits a fix or two off the raw corner at 0.5 Hz; a leg that keeps a fix of the next leg
    is bent by its fit and loses length."""
    count = len(xy)
    sums = _line_sums(xy, t)
    neighbours = np.concatenate(([-2 * reach], apex, [count + 2 * reach]))
    low = np.maximum(np.maximum(apex - reach, (neighbours[:-2] + apex) // 2 + 1), 0)
    high = np.minimum(np.minimum(apex + reach, (apex + neighbours[2:]) // 2), count - 1)
    candidates = apex[:, None] + np.arange(-2, 2)  # cut after fix j: fixes low..j and j+1..high
    candidates = np.clip(candidates, low[:, None], high[:, None] - 1)
    rss = _line_rss(sums, np.broadcast_to(low[:, None], candidates.shape), candidates) + _line_rss(
        sums, candidates + 1, np.broadcast_to(high[:, None], candidates.shape)
    )
    return np.unique(candidates[np.arange(apex.size), np.argmin(rss, axis=1)])


def _smooth_segment(xy: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed positions, the expected squared noise left in each step (m^2) and a lower bound on each step's
    length (m), for one segment.

    Fixes whose local noise is at most NOISE_CLEAN_M keep their raw position (smoothing a clean fix only cuts
    corners); the rest take the light window, or the heavy one where the noise exceeds NOISE_LIGHT_M. Between
    two clean fixes the step is at least the runner's speed (`_one_leg_speed_mps`) times its duration: a step
    across a street corner is otherwise the chord, short of the two legs actually run. Noisy fixes are
    smoothed leg by leg: sharp corners (`_corner_apexes`, `_place_cuts`) cut the segment into pieces that are smoothed
    separately, so no window rounds a corner, and the step across a corner is at least the speed on the legs
    next to it times its duration.
    """
    count = len(xy)
    if count < _MIN_SMOOTH_POINTS:
        return xy, np.zeros(max(count - 1, 0)), np.zeros(max(count - 1, 0))
    noise_m = estimate_noise_m(xy)
    interval_s = float(np.median(np.diff(t)))
    longest = count if count % 2 else count - 1
    clean = noise_m <= NOISE_CLEAN_M
    noisy = noise_m > NOISE_LIGHT_M
    windows = []
    for window_s, order in (
        (SMOOTH_LIGHT_WINDOW_S, SMOOTH_LIGHT_ORDER),
        (SMOOTH_HEAVY_WINDOW_S, SMOOTH_HEAVY_ORDER),
    ):
        window = min(_window_fixes(window_s, interval_s), longest)
        windows.append((window, max(min(order, window - 2), 1)))
    whole = np.zeros(count, dtype=np.int64), np.full(count, count, dtype=np.int64)
    light, _ = _piecewise_savgol(xy, *whole, *windows[0])
    corners = np.zeros(0, dtype=np.int64)
    if not clean.all():
        tolerance_m = CORNER_TOLERANCE_SIGMAS * float(np.median(noise_m[~clean]))
        apex = _corner_apexes(light, max(tolerance_m, CORNER_MIN_TOLERANCE_M))
        corners = _place_cuts(xy, t, apex, _window_fixes(CORNER_SPEED_WINDOW_S, interval_s))
        corners = corners[~(clean[corners] & clean[corners + 1])]
    cut = np.zeros(count, dtype=bool)
    cut[corners + 1] = True
    cut[0] = True
    starts = np.flatnonzero(cut)
    piece = np.cumsum(cut) - 1
    ends = np.concatenate((starts[1:], [count]))
    piece_bounds = starts[piece], ends[piece]
    (light, light_gain), (heavy, heavy_gain) = (_piecewise_savgol(xy, *piece_bounds, *w) for w in windows)
    smoothed = np.where(clean[:, None], xy, np.where(noisy[:, None], heavy, light))
    gain = np.where(noisy[:-1] | noisy[1:], heavy_gain, light_gain)
    step_noise = np.maximum(noise_m[:-1], noise_m[1:])
    clean_step = clean[:-1] & clean[1:]
    noise_sq = np.where(clean_step, 0.0, step_noise**2 * gain)
    floor_m = np.zeros(count - 1)
    if clean_step.any():
        speed = _one_leg_speed_mps(xy, t, _window_fixes(CORNER_SPEED_WINDOW_S, interval_s))
        floor_m = np.where(clean_step, np.minimum(speed[:-1], speed[1:]) * np.diff(t), 0.0)
    if corners.size:
        floor_m[corners] = np.maximum(floor_m[corners], _corner_floor_m(smoothed, noise_sq, t, piece_bounds, corners))
        # the chord between two separately fitted leg ends says nothing reliable about the corner's length
        noise_sq[corners] = np.inf
    return smoothed, noise_sq, floor_m


def _corner_floor_m(smoothed, noise_sq, t, piece_bounds, corners) -> np.ndarray:
    """Length (m) of each corner step as the runner's speed times its duration; the speed is the de-noised
    smoothed distance over the last / first CORNER_SPEED_WINDOW_S of the two legs, averaged."""
    step_m = np.sqrt(np.maximum(np.sum(np.diff(smoothed, axis=0) ** 2, axis=1) - noise_sq, 0.0))
    step_m[corners] = 0.0
    cum_m = np.concatenate(([0.0], np.cumsum(step_m)))
    piece_start, piece_end = piece_bounds
    before_end, after_start = corners, corners + 1
    before_start = np.maximum(np.searchsorted(t, t[before_end] - CORNER_SPEED_WINDOW_S), piece_start[before_end])
    after_end = (
        np.minimum(np.searchsorted(t, t[after_start] + CORNER_SPEED_WINDOW_S, side="right"), piece_end[after_start]) - 1
    )
    run_m = cum_m[before_end] - cum_m[before_start] + cum_m[after_end] - cum_m[after_start]
    run_s = t[before_end] - t[before_start] + t[after_end] - t[after_start]
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.where(run_s > 0, run_m / run_s, 0.0)
    return speed * (t[after_start] - t[before_end])


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
    delta[:, 0] *= np.cos(mid_lat) / np.cos(np.radians(projection.origin_lat))
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
