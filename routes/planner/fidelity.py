"""Shape fidelity: how well a route (planned or recorded) draws an outline.

    score = sqrt(trace_score * recognisability)            (both 0..100, so score is 0..100)
    trace_score = 100 * (0.55*F1 + 0.30*max(0, 1 - frechet_norm/0.3) + 0.15*max(0, 1 - length_error/1.0))
                      * (1 - retrace_share)

`recognisability` (module `recognisability`) asks whether the filled route shows its figure rather than
another catalogue figure; `trace_score` whether the route follows the line. The geometric mean needs both:
a right-sized blob follows a heart's line within 30 m almost everywhere (trace_score ~85) but reads as a
circle (recognisability ~0), so it scores ~0; a clear figure drawn with a zig-zag loses on trace_score.

measured on both curves resampled every 5 m (the route first thinned to 10 m and lightly smoothed, which
removes GPS jitter), after the best similarity fit (scale, rotation, translation; no reflection) of the
outline onto the route, where

* F1 (`buffer_f1`) — harmonic mean of precision (share of route points within 30 m of the fitted outline) and
  recall (share of outline points within 30 m of the route). 30 m: typical urban smartphone error plus the
  offset between a sidewalk and a street centre line.
* `frechet_norm` — discrete Fréchet distance between the two curves (walked in the same direction, closed
  curves from the point nearest the route start) divided by the fitted outline's bounding-box diagonal.
* `length_error` — |route length - fitted outline length| / fitted outline length: how much the route
  zig-zags or detours beyond the drawn line (NOT the error against the requested distance; the planner reports
  that separately).
* `retrace_share` — share of the route's length that re-runs ground it already covered (second and later
  passes over the same street in either direction: out-and-back spurs, doubled segments).

Every term is monotone: a perfect trace scores ~100, a route unrelated to the outline scores low (< 40).
The fit uses Umeyama's closed-form similarity on arc-length correspondences (all start offsets and both
directions for closed curves, via complex numbers), refined by a few symmetric ICP steps.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .geometry import (
    bbox_diagonal,
    close_ring,
    polyline_length,
    projection_for,
    resample_by_spacing,
)

# The fit and its two distances (RESAMPLE_SPACING_M, BUFFER_M: the buffer of buffer-F1) live in
# `outline_fit`, shared with `recognisability`.
from .outline_fit import BUFFER_M, RESAMPLE_SPACING_M, fit_outline_to_route
from .recognisability import recognisability

# Fréchet distance of 30 % of the shape's size is "unrecognisable": that term reaches 0 there.
FRECHET_NORM_ZERO = 0.3
# A route twice as long as the line it draws gets nothing from the length term. Not stricter, because streets
# themselves lengthen a drawing: a circle traced on a square grid is 4/pi = 1.27x its perimeter at best, a
# diagonal 1.41x its length; only detours beyond that should cost much.
LENGTH_ERROR_ZERO = 1.0
WEIGHT_F1, WEIGHT_FRECHET, WEIGHT_LENGTH = 0.55, 0.30, 0.15
# Points per curve for the Fréchet DP: O(n·m) memory/time stays in a few ms.
FRECHET_MAX_POINTS = 300
# Retrace detection: a later route point within 10 m of an earlier one, at least 25 m further along the
# route, running parallel or anti-parallel (|cos| ≥ 0.85, i.e. within ~32°) — crossings do not count.
RETRACE_RADIUS_M = 10.0
RETRACE_MIN_GAP_M = 25.0
RETRACE_MIN_ABS_COS = 0.85
# Before measuring, the route is thinned to points >= 10 m apart and smoothed: that removes the few metres of
# fix-to-fix jitter of a phone's GPS, which would otherwise inflate the length and fake retraces.
THIN_SPACING_M = 10.0
# Dense curves are capped so a marathon trace stays fast (spacing widens past this many points).
MAX_DENSE_POINTS = 4000


@dataclass(frozen=True)
class Fidelity:
    """Result of `shape_fidelity`. Distances in metres, shares in 0..1, score in 0..100."""

    score: float
    buffer_f1: float
    frechet_norm: float
    length_error: float
    retrace_share: float
    precision: float = 0.0
    recall: float = 0.0
    frechet_m: float = 0.0
    # Recognisability 0..100 (module `recognisability`): the filled route against the fitted outline (iou)
    # and against the closest other catalogue figure (rival_iou, rival_shape_id).
    recognisability: float = 0.0
    iou: float = 0.0
    rival_iou: float = 0.0
    rival_shape_id: str | None = None
    # The line-following part alone (F1, Fréchet, length, retrace); `score` combines it with recognisability.
    trace_score: float = 0.0


ZERO_FIDELITY = Fidelity(score=0.0, buffer_f1=0.0, frechet_norm=1.0, length_error=1.0, retrace_share=0.0)


def shape_fidelity(outline_xy: np.ndarray, route_latlng: np.ndarray, *, closed: bool = True) -> Fidelity:
    """Score how well `route_latlng` draws `outline_xy` (formula in the module docstring).

    outline_xy: (N, 2) planar points, any unit/scale/orientation, y up (template coordinates or metres).
    route_latlng: (M, 2) [lat, lng] degrees, in travel order.
    closed: the outline is a closed figure (the route is then treated as a loop too).
    Returns a `Fidelity`; a degenerate route (fewer than 2 points or zero length) scores 0.
    Cost: O((N + M) log) for the fit plus O(300²) for the Fréchet DP — a few ms for a 5 km route.
    """
    route_latlng = np.asarray(route_latlng, dtype=np.float64)
    if route_latlng.ndim != 2 or len(route_latlng) < 2:
        return ZERO_FIDELITY
    projection = projection_for(route_latlng)
    raw_xy = projection.to_xy(route_latlng[:, 0], route_latlng[:, 1])
    route_xy = simplify_track(raw_xy)
    if polyline_length(route_xy) < 2 * RESAMPLE_SPACING_M:
        return ZERO_FIDELITY
    fitted = fit_outline_to_route(outline_xy, route_xy, closed=closed, projection=projection)
    trace = fidelity_of_placed(fitted.outline_xy, route_xy, closed=closed)
    # Areas are measured on the unsmoothed route: smoothing would round a small star's tips, and GPS jitter
    # of a few metres hardly changes an enclosed area.
    return with_recognisability(trace, outline_xy, raw_xy, closed=closed)


def with_recognisability(trace: Fidelity, outline_xy: np.ndarray, route_xy: np.ndarray, *,
                         closed: bool) -> Fidelity:
    """`trace` (from `fidelity_of_placed`) with the recognisability parts and the combined score."""
    recog = recognisability(outline_xy, route_xy, closed=closed)
    score = math.sqrt(max(trace.score, 0.0) * max(recog.recognisability, 0.0))
    return dataclasses.replace(trace, score=round(score, 2), recognisability=recog.recognisability,
                               iou=recog.iou, rival_iou=recog.rival_iou, rival_shape_id=recog.rival_shape_id,
                               trace_score=trace.score)


def fidelity_of_placed(outline_m: np.ndarray, route_xy: np.ndarray, *, closed: bool,
                       with_frechet: bool = True) -> Fidelity:
    """Fidelity parts for an outline ALREADY placed in the route's metric plane (no fitting).

    Both arrays are (N, 2) metres in the same projection; the outline is walked in the route's direction.
    The planner uses this for cheap ranking of candidates before the final `shape_fidelity`; with
    `with_frechet=False` the Fréchet term (the costly part) is skipped and counted as perfect.
    """
    route_dense = resample_by_spacing(route_xy, RESAMPLE_SPACING_M, closed=False, max_points=MAX_DENSE_POINTS)
    outline_dense = resample_by_spacing(outline_m, RESAMPLE_SPACING_M, closed=closed,
                                        max_points=MAX_DENSE_POINTS)
    if len(route_dense) < 2 or len(outline_dense) < 2:
        return ZERO_FIDELITY
    d_route, _ = cKDTree(outline_dense).query(route_dense)
    d_outline, _ = cKDTree(route_dense).query(outline_dense)
    precision = float(np.mean(d_route <= BUFFER_M))
    recall = float(np.mean(d_outline <= BUFFER_M))
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)

    outline_for_frechet = outline_dense
    if closed:
        # Start the ring where the route starts so a loop is compared with a loop from the same point.
        ring = outline_dense[:-1]
        start_idx = int(np.argmin(np.hypot(*(ring - route_dense[0]).T)))
        outline_for_frechet = close_ring(np.roll(ring, -start_idx, axis=0))
    frechet_m = (discrete_frechet(_downsample(outline_for_frechet, FRECHET_MAX_POINTS),
                                  _downsample(route_dense, FRECHET_MAX_POINTS)) if with_frechet else 0.0)
    size_m = max(bbox_diagonal(outline_dense), 1e-9)
    frechet_norm = frechet_m / size_m

    outline_len = polyline_length(outline_dense)
    route_len = polyline_length(route_dense)
    length_error = abs(route_len - outline_len) / outline_len if outline_len > 0 else 1.0
    retrace = retrace_share(route_dense)
    shape_term = (WEIGHT_F1 * f1
                  + WEIGHT_FRECHET * max(0.0, 1.0 - frechet_norm / FRECHET_NORM_ZERO)
                  + WEIGHT_LENGTH * max(0.0, 1.0 - length_error / LENGTH_ERROR_ZERO))
    score = float(np.clip(100.0 * shape_term * (1.0 - retrace), 0.0, 100.0))
    return Fidelity(score=round(score, 2), trace_score=round(score, 2), buffer_f1=f1, frechet_norm=float(frechet_norm),
                    length_error=float(length_error), retrace_share=float(retrace), precision=precision,
                    recall=recall, frechet_m=float(frechet_m))


def simplify_track(route_xy: np.ndarray, spacing_m: float = THIN_SPACING_M) -> np.ndarray:
    """Thin a planar track to points at least `spacing_m` apart, then smooth it lightly (1-2-1 filter).

    A recorded GPS track jitters by a few metres between fixes: measured as is, that jitter inflates its
    length and makes it look as if it ran over itself. Street routes keep their shape (corners move < 3 m).
    """
    route_xy = np.asarray(route_xy, dtype=np.float64)
    if len(route_xy) < 3:
        return route_xy
    kept = [0]
    last = route_xy[0]
    for i, point in enumerate(route_xy[1:-1].tolist(), start=1):
        if (point[0] - last[0]) ** 2 + (point[1] - last[1]) ** 2 >= spacing_m * spacing_m:
            kept.append(i)
            last = route_xy[i]
    kept.append(len(route_xy) - 1)
    thinned = route_xy[kept]
    if len(thinned) < 3:
        return thinned
    smoothed = thinned.copy()
    smoothed[1:-1] = 0.25 * thinned[:-2] + 0.5 * thinned[1:-1] + 0.25 * thinned[2:]
    return smoothed


def retrace_share(route_xy: np.ndarray) -> float:
    """Share of the route's length that re-runs ground already covered (see module docstring).

    route_xy: (M, 2) metres, resampled at roughly even spacing (e.g. 5 m) in travel order.
    """
    pts = np.asarray(route_xy, dtype=np.float64)
    n = len(pts)
    if n < 3:
        return 0.0
    seg = np.hypot(*np.diff(pts, axis=0).T)
    spacing = float(np.median(seg)) if len(seg) else RESAMPLE_SPACING_M
    if spacing <= 0:
        return 0.0
    tangent = np.gradient(pts, axis=0)
    tangent /= np.maximum(np.hypot(*tangent.T), 1e-12)[:, None]
    pairs = cKDTree(pts).query_pairs(r=RETRACE_RADIUS_M, output_type="ndarray")
    if len(pairs) == 0:
        return 0.0
    i, j = pairs[:, 0], pairs[:, 1]
    i, j = np.minimum(i, j), np.maximum(i, j)
    min_gap_points = int(np.ceil(RETRACE_MIN_GAP_M / spacing))
    gap = j - i
    if n > 2 * min_gap_points:
        # On a loop the end meets the start: wrap-around neighbours are not a retrace.
        gap = np.minimum(gap, n - 1 - gap)
    parallel = np.abs((tangent[i] * tangent[j]).sum(axis=1)) >= RETRACE_MIN_ABS_COS
    repeated = np.zeros(n, dtype=bool)
    repeated[j[(gap >= min_gap_points) & parallel]] = True
    return float(repeated.mean())


def discrete_frechet(p: np.ndarray, q: np.ndarray) -> float:
    """Discrete Fréchet distance between two polylines (Eiter & Mannila), vectorised by anti-diagonals.

    O(n·m) time and memory; keep n, m ≤ ~600. Each anti-diagonal k holds cells (i, k - i) and depends only
    on the two previous ones, so one numpy step per diagonal replaces the O(n·m) Python loop.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    n, m = len(p), len(q)
    if n == 0 or m == 0:
        return float("inf")
    dist = np.hypot(p[:, None, 0] - q[None, :, 0], p[:, None, 1] - q[None, :, 1])
    # skewed[k, i] = dist[i, k - i] (inf outside the matrix).
    k_idx = np.arange(n + m - 1)[:, None]
    i_idx = np.arange(n)[None, :]
    j_idx = k_idx - i_idx
    valid = (j_idx >= 0) & (j_idx < m)
    skewed = np.full((n + m - 1, n), np.inf)
    skewed[valid] = dist[np.broadcast_to(i_idx, valid.shape)[valid], j_idx[valid]]
    inf_row = np.full(n, np.inf)
    prev2 = inf_row.copy()  # diagonal k-2
    prev1 = inf_row.copy()  # diagonal k-1
    prev1[0] = dist[0, 0]
    best = np.empty(n)
    for k in range(1, n + m - 1):
        # (i, j-1) is prev1[i]; (i-1, j) is prev1[i-1]; (i-1, j-1) is prev2[i-1].
        best[0] = prev1[0]
        np.minimum(prev1[1:], prev1[:-1], out=best[1:])
        np.minimum(best[1:], prev2[:-1], out=best[1:])
        current = np.maximum(best, skewed[k])
        prev2, prev1 = prev1, current
    return float(prev1[n - 1])


def _downsample(xy: np.ndarray, max_points: int) -> np.ndarray:
    if len(xy) <= max_points:
        return xy
    idx = np.unique(np.linspace(0, len(xy) - 1, max_points).round().astype(int))
    return xy[idx]
