"""Dropping implausible fixes before any metric is computed."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from routes.planner.geometry import haversine_m

from .constants import (
    ACTIVITY_TYPES,
    MAX_ACCURACY_M,
    MAX_FUTURE_S,
    NULL_ISLAND_TOLERANCE_DEG,
    SEGMENT_MAX_GAP_S,
    max_speed_mps,
)
from .types import (
    FilterResult,
    PauseSpan,
    PointArrays,
    Timestamp,
    TrackPoint,
    as_point_arrays,
    pause_bounds,
    to_epoch_s,
)

REJECTION_REASONS = (
    "out_of_range",
    "null_island",
    "low_accuracy",
    "future",
    "before_start",
    "duplicate_time",
    "speed_spike",
)


def inside_pauses(t: np.ndarray, pause_starts: np.ndarray, pause_ends: np.ndarray) -> np.ndarray:
    """Boolean mask of times inside any pause span [start, end)."""
    if pause_starts.size == 0 or t.size == 0:
        return np.zeros(t.shape, dtype=bool)
    # Spans may overlap: a time is paused if the latest end among spans started at or before it is after it.
    running_end = np.maximum.accumulate(pause_ends)
    index = np.searchsorted(pause_starts, t, side="right") - 1
    return (index >= 0) & (t < running_end[np.clip(index, 0, None)])


def _spike_mask(t: np.ndarray, lat: np.ndarray, lon: np.ndarray, max_speed: float) -> np.ndarray:
    """Keep-mask rejecting fixes whose speed from the last kept fix exceeds `max_speed` (m/s).

    The usual case (no spike) is fully vectorised: speeds between neighbours are computed at once and the
    sequential "relative to the last kept fix" rule only runs from each offending fix until the track is back
    in step. A fix more than SEGMENT_MAX_GAP_S after the last kept one is always kept: it starts a new
    segment, so a bad first fix (or a ride in a vehicle) cannot reject everything after it.

    The first fix of a segment has nothing to be checked against, and a chip's first fix is often the wrong
    one. So while it is still the segment's only kept fix, a fix that is out of step with it but agrees with
    the next two (three fixes in step) wins: the anchor is dropped instead of the whole first half-minute.
    """
    n = t.size
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    dt = np.diff(t)
    dist = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    in_step = (dist <= max_speed * dt) & (dt <= SEGMENT_MAX_GAP_S)  # in_step[j]: step j → j+1 is plausible
    neighbour_ok = in_step | (dt > SEGMENT_MAX_GAP_S)
    bad_steps = np.flatnonzero(~neighbour_ok) + 1  # indices i whose step (i-1 → i) is implausible
    keep[0] = True
    last = 0
    lone_anchor = True  # `last` starts its segment and nothing after it is kept yet
    i = 1
    while i < n:
        if last == i - 1:
            # every neighbour step up to the next implausible one is fine: keep them at once
            pos = int(np.searchsorted(bad_steps, i))
            nxt = n if pos == bad_steps.size else int(bad_steps[pos])
            if nxt > i:
                keep[i:nxt] = True
                lone_anchor = bool(dt[nxt - 2] > SEGMENT_MAX_GAP_S)  # the last one kept opens a segment
                last = nxt - 1
                i = nxt
                continue
        elapsed = t[i] - t[last]
        if elapsed > SEGMENT_MAX_GAP_S:
            keep[i] = True
            last, lone_anchor = i, True
        elif float(haversine_m(lat[last], lon[last], lat[i], lon[i])) <= max_speed * elapsed:
            keep[i] = True
            last, lone_anchor = i, False
        elif lone_anchor and i + 2 < n and in_step[i] and in_step[i + 1]:
            keep[last] = False
            keep[i] = True
            last = i
        i += 1
    return keep


def filter_points(
    points: PointArrays | Iterable[TrackPoint],
    *,
    started_at: Timestamp | None = None,
    now: Timestamp | None = None,
    pauses: Iterable[PauseSpan | tuple] = (),
    activity_type: str = "running",
) -> FilterResult:
    """Order fixes and drop the implausible ones.

    Inputs: points in any order (a repeated `seq` — a retried batch — is kept once); `started_at` (epoch s or
    aware datetime) drops fixes before the workout start; `now` (the caller's clock: the engine never reads
    it) drops fixes more than a day in the future (skipped when None); `pauses` spans drop fixes recorded
    while paused; `activity_type` picks the spike speed.
    Returns a `FilterResult`: the kept points ordered by (recorded_at, seq) and the seqs left out, by reason.
    Cost: O(n log n) for the sort, vectorised except a short loop after each spike.
    """
    if activity_type not in ACTIVITY_TYPES:
        raise ValueError(f"unknown activity type {activity_type!r}")
    arrays = as_point_arrays(points)
    if len(arrays) == 0:
        nothing = np.zeros(0, dtype=np.int64)
        return FilterResult(arrays, dict.fromkeys(REJECTION_REASONS, nothing), 0, nothing, arrays)

    # a retried batch repeats seqs: keep the earliest fix of each seq
    by_seq = np.lexsort((arrays.t, arrays.seq))
    _, first = np.unique(arrays.seq[by_seq], return_index=True)
    unique_index = by_seq[first]
    duplicates = len(arrays) - unique_index.size
    arrays = arrays.take(unique_index)
    order = np.lexsort((arrays.seq, arrays.t))
    arrays = arrays.take(order)

    t, lat, lon, acc = arrays.t, arrays.lat, arrays.lon, arrays.acc
    valid = np.ones(len(arrays), dtype=bool)
    dropped: dict[str, list[np.ndarray]] = {reason: [] for reason in REJECTION_REASONS}

    def drop(reason: str, mask: np.ndarray) -> None:
        nonlocal valid
        hit = mask & valid
        dropped[reason].append(arrays.seq[hit])
        valid &= ~hit

    # time checks first: they decide what belongs to the workout at all (heart rate uses these points too)
    drop("out_of_range", ~np.isfinite(t))
    if now is not None:
        drop("future", t > to_epoch_s(now) + MAX_FUTURE_S)
    if started_at is not None:
        drop("before_start", t < to_epoch_s(started_at))
    pause_starts, pause_ends = pause_bounds(pauses)
    paused_mask = inside_pauses(t, pause_starts, pause_ends) & valid
    paused_seqs = arrays.seq[paused_mask]
    valid &= ~paused_mask
    timed = arrays.take(valid)

    with np.errstate(invalid="ignore"):
        drop(
            "out_of_range",
            ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)),
        )
        drop(
            "null_island",
            (np.abs(lat) < NULL_ISLAND_TOLERANCE_DEG) & (np.abs(lon) < NULL_ISLAND_TOLERANCE_DEG),
        )
        drop("low_accuracy", acc > MAX_ACCURACY_M)  # NaN (unknown accuracy) compares False: kept

    # two fixes at the same instant: keep the first (lower seq); a speed cannot be computed between them
    index = np.flatnonzero(valid)
    same_time = np.zeros(len(arrays), dtype=bool)
    same_time[index[1:]] = np.diff(t[index]) <= 0
    drop("duplicate_time", same_time)

    index = np.flatnonzero(valid)
    keep = _spike_mask(t[index], lat[index], lon[index], max_speed_mps(activity_type))
    dropped["speed_spike"].append(arrays.seq[index[~keep]])
    kept = arrays.take(index[keep])
    rejected_seqs = {
        reason: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64) for reason, parts in dropped.items()
    }
    return FilterResult(kept, rejected_seqs, duplicates, paused_seqs, timed)
