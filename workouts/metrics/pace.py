"""Pace, kilometre splits and best efforts on the moving timeline.

All of these read two non-decreasing arrays over the kept fixes: cumulative moving distance D (m) and
cumulative moving time T (s). Between fixes both are linear, so the time at which any distance is reached is
an interpolation — that is how split crossings and best-effort windows get sub-second precision at 1 Hz.
Stops, pauses and segment gaps add neither distance nor time, so splits and efforts are in moving time
(Strava's splits are too).
"""

from __future__ import annotations

import math

import numpy as np

from .constants import BEST_EFFORT_DISTANCES_M, MIN_PARTIAL_SPLIT_M, SPLIT_LENGTH_M
from .types import Split


def format_pace(seconds_per_km: float | None) -> str | None:
    """'m:ss' per km, rounded to the nearest second ("5:00" for 300.4 s); None stays None."""
    if seconds_per_km is None or not math.isfinite(seconds_per_km):
        return None
    total = round(seconds_per_km)
    return f"{total // 60}:{total % 60:02d}"


def moving_timeline(cum_distance_m: np.ndarray, cum_moving_s: np.ndarray, *extra: np.ndarray):
    """The fixes where distance grows (strictly increasing D), with T and any extra per-fix arrays."""
    if cum_distance_m.size == 0:
        return (cum_distance_m, cum_moving_s, *extra)
    grows = np.concatenate(([True], np.diff(cum_distance_m) > 0))
    return (cum_distance_m[grows], cum_moving_s[grows], *(a[grows] for a in extra))


def window_durations(distance: np.ndarray, time: np.ndarray, window_m: float) -> np.ndarray:
    """Moving time of every continuous `window_m` stretch starting or ending at a fix (two-pointer by binary
    search).

    The duration of a window as a function of where it starts is piecewise linear with breakpoints where
    either end passes a fix, so its minimum and maximum are among these candidates. O(n log n).
    """
    if distance.size < 2 or distance[-1] - distance[0] < window_m:
        return np.zeros(0)
    starts = distance[distance + window_m <= distance[-1]]
    from_starts = np.interp(starts + window_m, distance, time) - np.interp(starts, distance, time)
    ends = distance[distance - window_m >= distance[0]]
    from_ends = np.interp(ends, distance, time) - np.interp(ends - window_m, distance, time)
    return np.concatenate((from_starts, from_ends))


def best_efforts(
    distance: np.ndarray, time: np.ndarray, distances_m=BEST_EFFORT_DISTANCES_M
) -> dict[int, float]:
    """Fastest continuous moving time (s) for each record distance covered by the workout."""
    efforts: dict[int, float] = {}
    for target in distances_m:
        durations = window_durations(distance, time, float(target))
        if durations.size:
            efforts[int(target)] = float(durations.min())
    return efforts


def fastest_and_slowest_pace(
    distance: np.ndarray, time: np.ndarray, window_m: float
) -> tuple[float, float] | None:
    """(fastest, slowest) pace in s/km over any `window_m` stretch; None when the workout is shorter."""
    durations = window_durations(distance, time, window_m)
    if not durations.size:
        return None
    scale = 1000.0 / window_m
    return float(durations.min() * scale), float(durations.max() * scale)


def splits(distance: np.ndarray, time: np.ndarray, altitude: np.ndarray | None) -> tuple[Split, ...]:
    """Per-kilometre splits with interpolated crossing times, plus the final partial split.

    `altitude` (smoothed, per fix of the timeline, NaN where unknown) gives each split's elevation change.
    The last partial split is included when ≥ MIN_PARTIAL_SPLIT_M, with `distance_m` < 1000, `is_partial=True`
    and its pace scaled to a full kilometre.
    """
    if distance.size < 2 or distance[-1] <= 0:
        return ()
    total = float(distance[-1])
    full = int(total // SPLIT_LENGTH_M)
    marks = np.arange(full + 1) * SPLIT_LENGTH_M
    if total - full * SPLIT_LENGTH_M >= MIN_PARTIAL_SPLIT_M:
        marks = np.append(marks, total)
    crossing_s = np.interp(marks, distance, time)
    alt_at = _altitude_at(marks, distance, altitude)
    result = []
    for k in range(1, marks.size):
        length_m = float(marks[k] - marks[k - 1])
        duration_s = float(crossing_s[k] - crossing_s[k - 1])
        change = None if alt_at is None else float(alt_at[k] - alt_at[k - 1])
        if change is not None and not math.isfinite(change):
            change = None
        result.append(
            Split(
                km=k,
                distance_m=length_m,
                duration_s=duration_s,
                pace_s=duration_s * 1000.0 / length_m,
                elevation_change_m=change,
                is_partial=length_m < SPLIT_LENGTH_M - 1e-6,
            )
        )
    return tuple(result)


def _altitude_at(marks: np.ndarray, distance: np.ndarray, altitude: np.ndarray | None) -> np.ndarray | None:
    if altitude is None:
        return None
    known = np.isfinite(altitude)
    if known.sum() < 2:
        return None
    return np.interp(marks, distance[known], altitude[known])
