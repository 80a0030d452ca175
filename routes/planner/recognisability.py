"""Recognisability: does a route show ITS figure rather than another figure of the catalogue?

Closed figures (area-based):

    iou_own   = max over similarity fits of IoU(filled route, filled outline)
    iou_rival = max over the other catalogue figures F and their similarity fits of IoU(filled route, F)
    margin    = iou_own(outline itself) - iou_rival(outline itself) = 1 - (best IoU of the exact outline with
                any other catalogue figure)
    for each rival R at Jaccard distance d_R = 1 - IoU(outline, R) from the outline:
        tolerance_R = max(0, min(2 (1 - iou_own), RESOLUTION_BAND_MAX) - d_R)
        share_R     = clip((iou_own - iou_R + tolerance_R) / (margin + tolerance_R), 0, 1)
    recognisability = 100 * sqrt(min over R of share_R), and 0 when iou_own < MIN_OWN_IOU

The tolerance is the route's own resolution: a route at Jaccard distance e from its figure can be as near a
rival as its figure once 2e >= d_R (the distance is a metric), so losing to such a near rival by less than
2e - d_R is a tie at this resolution, not a sign of the rival. Without it a clear
street circle scored 0 against the house (d = 0.15) and a clear square 0 against the heart.

"Filled route": the union of the faces the route's line encloses (shapely polygonize of the noded line), so
out-and-back spurs, the approach from the start and retraced streets add no area. A trace whose passes cross
thousands of times (many laps) is filled on a raster instead, at the same area (`filled_polygon`). A right-sized blob is
closer to the circle than to a heart, so a heart-sized blob scores ~0; the exact outline scores 100. The
square root is calibrated by eye on the bench's contact sheets: a street route keeping a third of the
outline's margin over its nearest rival (rounded corners, a shallower notch) already reads clearly as its
figure to a person (58); one keeping a tenth is a guess (32).

The fit for IoU: centroids aligned and areas equalised (near-optimal for IoU), rotation searched over all
angles on a coarse raster (every 3 degrees), then the best few rotations and small scale changes refined with
exact shapely polygon areas. Figures that are the same under rotation (square and diamond: IoU ~1) are not
each other's rivals (RIVAL_EQUIVALENT_IOU). The margin is floored at MIN_MARGIN so a custom drawing that
is almost a catalogue figure does not divide by ~0.

Tipped figures (the star; any outline whose outermost radius by angle varies more than TIPPED_MIN_CONTRAST
times): the area IoU cannot count tips (a street star is fatter than the thin template and overlaps the
pentagon nearly as much), so they also get a tip part on the radial profile p(angle) = the largest distance
of the route's line from the filled route's centroid in each of PROFILE_BINS angle bins, over its mean:

    D(a, b)   = min over rotations (bin shifts) of the RMS of a - b
    N(p)      = notch depth of p turned onto the outline: mean over the outline's neighbouring tips of
                1 - (smallest p between them / p at the tips)
    share_R   = max((D(route, R) - D(route, outline)) / D(outline, R),
                    (N(route) - N(R)) / (N(outline) - N(R)) when N(R) < N(outline))
    tip_share = min over rivals R of clip(share_R, 0, 1)
    recognisability = max(area score above, 100 * sqrt(tip_share)); the tip part only when iou_own >=
                      TIP_MIN_OWN_IOU (0.6), and still 0 when iou_own < MIN_OWN_IOU

Against each rival the route must stand apart by its profile or by notches deeper than the rival's: a fat
street star (notches at 0.55 of the tip radius; the template 0.38, a pentagon's edge middles 0.81) is as
near the pentagon's profile as the star's, but its notches are twice as deep. The line, not the filled
area, so a tip drawn as a short out-and-back still counts as a tip. A blob has no notches and a flat
profile (nearest the circle: 0); a pentagon-like route has the pentagon's notches (0).

Open figures and custom open drawings (curve-based): the same formula on "thick curves": each curve is
buffered by OPEN_BUFFER_SHARE of the fitted outline's bounding-box diagonal and the IoU is of those strips.
Fits use the curve fit of `outline_fit.fit_outline_to_route`. The rivals are the open catalogue figures plus
the generic strokes a scribble resembles: a straight line and a half-circle arc.

Cost: a closed figure ~10-20 ms (one rasterisation of the route, one matrix product against the cached
template rasters, ~20 exact polygon intersections; the tip part < 1 ms); an open one ~4 curve fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

from .geometry import bbox_diagonal, close_ring, polyline_length, resample_by_count
from .outline_fit import fit_outline_to_route

# Coarse rotation search: 3 degree steps; raster of 48 x 48 over [-1.5, 1.5]^2 in units where the figure's
# area is 1 (the widest catalogue figure, the star, reaches ~0.95 from its centroid).
ROTATION_STEP_DEG = 3.0
RASTER_SIZE = 48
RASTER_HALF_EXTENT = 1.5
# Rotations per figure refined with exact polygon areas, and the scale factors tried around equal area.
REFINE_ROTATIONS = 2
REFINE_SCALES = (0.95, 1.0, 1.05)
# Only the rivals closest on the coarse raster are refined exactly.
REFINE_RIVALS = 3
# Route polygons are simplified to this tolerance (normalised units, ~0.4 % of the figure) before exact areas.
SIMPLIFY_TOLERANCE = 0.004
REFINE_ROTATION_STEPS_DEG = (1.5, 0.75, 0.4)
# Two figures whose exact outlines overlap this much at the best fit are one family for this score: square
# and diamond (0.94: a square turned 45 degrees is a diamond to the eye), circle, hexagon and pentagon (0.93,
# 0.90). At street scale a route cannot tell them apart, and a margin of a few hundredths would make the
# score noise.
RIVAL_EQUIVALENT_IOU = 0.89
# A figure at most this distinct from its nearest rival still gets a usable scale (avoids dividing by ~0).
MIN_MARGIN = 0.08
# Open curves are compared as strips 6 % of the figure's size wide (a street-scale tolerance at 2-5 km).
OPEN_BUFFER_SHARE = 0.06
OUTLINE_SAMPLES = 256
QUICK_RIVALS = 4
# The route's own resolution: a street route at Jaccard distance e = 1 - iou_own from its figure can lie as
# close to a rival R as to its figure once 2e >= d_R, R's distance from the figure (Jaccard distance is a
# metric: d(route, R) >= d_R - e). Within that band a near rival (circle vs house, d 0.15; square vs house;
# heart vs house) wins by noise, not by shape: it gets a tolerance of 2e - d_R, with 2e counted only up to
# RESOLUTION_BAND_MAX, so a route far from its figure earns no more leniency (a blob stays a blob). At 0.3 a
# rough street circle read as a heart (40-75); at 0.2 it does not, and a clear street circle scores ~55.
RESOLUTION_BAND_MAX = 0.2
# A route overlapping its own figure by less than half (IoU) is no drawing of it, whatever the rivals say.
MIN_OWN_IOU = 0.5
# The tip-aware part (figures whose identity is their tips, see the module docstring): radial profile bins
# (5 degrees), points the route's line is resampled to, and the outline's tip contrast (outermost radius
# over innermost by angle) from which a figure counts as tipped: star 2.43, tree 2.57 (not triangle 2.04,
# heart 1.96, cross 2.08, pentagon 1.24).
PROFILE_BINS = 72
PROFILE_SAMPLES = 512
TIPPED_MIN_CONTRAST = 2.2
# The tip part only lifts a route that already overlaps its figure this well: a staircase of four coarse
# blocks with a spur (IoU 0.55 with the star) has corner "tips" too and scored 57 without it.
TIP_MIN_OWN_IOU = 0.6


@dataclass(frozen=True)
class Recognisability:
    """recognisability 0..100; iou = best IoU with the own outline; rival_iou / rival_shape_id = the best
    overlap with any other catalogue figure (None when there is no rival)."""

    recognisability: float
    iou: float
    rival_iou: float
    rival_shape_id: str | None
    margin: float


ZERO_RECOGNISABILITY = Recognisability(0.0, 0.0, 0.0, None, 1.0)


# --- polygons --------------------------------------------------------------------------------------
# The exact filled area costs about 40-70 us per face of the noded line, and the faces grow with the crossings
# between passes over the same ground: 80 jittered laps of a 400 m track make ~40 000 faces (~1.2 s), 8
# jittered passes along a street ~6 600 (0.4 s). A trace whose passes cross more than EXACT_FILL_MAX_CROSSINGS
# times (estimated on a grid, `_crossing_estimate`; within ~30 % of the faces counted) is filled on a raster
# instead, whose cost follows the grid (~20-60 ms). One pass of a figure, however long and jittery (10 000
# fixes of a 33 km heart: ~30), and a loop run up to ~6 times (3 m jitter: 1 700) stay exact.
EXACT_FILL_MAX_CROSSINGS = 2500
# Traces of at most this many points are always filled exactly (a planner candidate: the estimate would cost
# a fifth of its quick score); even a scribble of this many points costs ~0.2 s.
EXACT_FILL_MAX_POINTS = 200
# Segments of the line less than this many cells apart along it cross a grid cell as one pass (fix-to-fix
# jitter makes a pass leave a cell and come back).
PASS_GAP_CELLS = 3
# The raster fill: cells across the trace's larger extent, coarsened when the line would need more samples.
FILL_RASTER_CELLS = 1024
FILL_RASTER_MAX_SAMPLES = 250_000


def filled_polygon(xy: np.ndarray):
    """The area a closed route (or outline) encloses: union of the faces of its noded line (closed by a
    straight segment from its end to its start). Dangling parts (spurs, an approach) enclose nothing.

    Exact for a trace whose passes cross each other at most ~EXACT_FILL_MAX_CROSSINGS times; beyond that the
    raster fill (`_raster_filled_polygon`), within ~1 % of the exact area and cheaper than ~0.1 s."""
    ring = close_ring(np.asarray(xy, dtype=np.float64)).copy()
    if len(ring) < 4:
        return shapely.Polygon()
    ring[-1] = ring[0]  # exactly: polygonize needs the ring to close, not nearly close
    if len(ring) > EXACT_FILL_MAX_POINTS and _crossing_estimate(ring) > EXACT_FILL_MAX_CROSSINGS:
        return _raster_filled_polygon(ring)
    noded = shapely.unary_union(shapely.LineString(ring))
    faces = shapely.polygonize(shapely.get_parts(noded))
    parts = shapely.get_parts(faces)
    # The faces of a noded line tile the plane: a coverage union joins them along their shared edges, far cheaper
    # than a general union when a recorded trace makes thousands of small faces. Nearly coincident segments can
    # leave faces that overlap by a sliver, which a coverage union refuses; the general union takes those.
    try:
        filled = shapely.coverage_union_all(parts)
    except shapely.errors.GEOSException:
        filled = shapely.unary_union(parts)
    return shapely.make_valid(filled)


def _line_cells(ring: np.ndarray, cell: float, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid cells (column, row) of points along the closed line at most 0.99 `cell` apart, and the segment
    each point lies on. Consecutive points fall in the same or 8-adjacent cells, so the cells form an
    8-connected barrier that a 4-connected flood fill cannot cross."""
    steps = np.diff(ring, axis=0)
    counts = np.maximum(np.ceil(np.hypot(steps[:, 0], steps[:, 1]) / (0.99 * cell)), 1).astype(np.int64)
    segment = np.repeat(np.arange(len(steps)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    share = (np.arange(len(segment)) - first) / counts[segment]
    points = ring[segment] + steps[segment] * share[:, None]
    return np.floor((points - origin) / cell).astype(np.int64), segment


def _crossing_estimate(ring: np.ndarray) -> float:
    """About how many times the trace's separate passes cross: pairs of passes sharing a cell of a grid the
    size of the trace's typical step (at most 1/64 of its extent). A pass is a run of segments less than
    PASS_GAP_CELLS apart along the line. O(n log n)."""
    steps = np.hypot(*np.diff(ring, axis=0).T)
    along = np.concatenate(([0.0], np.cumsum(steps)))
    moving = steps[steps > 0]
    if not len(moving):
        return 0.0
    extent = float((ring.max(axis=0) - ring.min(axis=0)).max())
    cell = max(min(float(np.median(moving)), extent / 64), along[-1] / FILL_RASTER_MAX_SAMPLES)
    cells, segment = _line_cells(ring, cell, ring.min(axis=0))
    columns = int(cells[:, 0].max()) + 1
    key = np.unique((cells[:, 1] * columns + cells[:, 0]) * len(ring) + segment)
    cell_key, segment = key // len(ring), key % len(ring)
    new_pass = np.ones(len(key), dtype=bool)
    new_pass[1:] = ((cell_key[1:] != cell_key[:-1])
                    | (along[segment[1:]] - along[segment[:-1] + 1] > PASS_GAP_CELLS * cell))
    _, passes = np.unique(cell_key[new_pass], return_counts=True)
    return float((passes * (passes - 1) // 2).sum())


def _raster_filled_polygon(ring: np.ndarray):
    """The filled area on a raster: the cells the line passes through and every cell a 4-connected flood
    from outside cannot reach, traced to a polygon, moved in by half a cell (the line lies on average half a
    cell inside the outer edge of its cells) and simplified to half a cell. Thin enclosed slivers (less than
    a cell across) are lost; a face wider than a few cells keeps its area to ~1 %. O(n + cells)."""
    from scipy import ndimage

    low, high = ring.min(axis=0), ring.max(axis=0)
    length = float(np.hypot(*np.diff(ring, axis=0).T).sum())
    cell = max(float((high - low).max()) / FILL_RASTER_CELLS, length / FILL_RASTER_MAX_SAMPLES)
    if cell <= 0:
        return shapely.Polygon()
    origin = low - 2 * cell  # a free border all round: the flood starts in its corner
    cells, _ = _line_cells(ring, cell, origin)
    shape = (int(cells[:, 1].max()) + 3, int(cells[:, 0].max()) + 3)
    barrier = np.zeros(shape, dtype=bool)
    barrier[cells[:, 1], cells[:, 0]] = True
    regions, _ = ndimage.label(~barrier)  # 4-connected
    filled = (regions != regions[0, 0]).astype(np.int8)
    # The filled region's boundary: the unit edges between a filled and an empty cell, polygonized.
    row, column = np.nonzero(np.diff(filled, axis=1))
    vertical = np.stack((np.stack((column + 1, row), axis=1), np.stack((column + 1, row + 1), axis=1)), axis=1)
    row, column = np.nonzero(np.diff(filled, axis=0))
    horizontal = np.stack((np.stack((column, row + 1), axis=1), np.stack((column + 1, row + 1), axis=1)), axis=1)
    edges = np.concatenate((vertical, horizontal)).astype(np.float64) * cell + origin
    boundary = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(edges)))
    polygon = shapely.unary_union(shapely.get_parts(shapely.polygonize(shapely.get_parts(boundary))))
    polygon = shapely.buffer(polygon, -0.5 * cell, join_style="mitre")
    return shapely.make_valid(shapely.simplify(polygon, 0.5 * cell))


def _normalise(polygon) -> tuple[object, float]:
    """The polygon moved to its centroid and scaled to unit area; also the scale factor applied."""
    area = polygon.area
    if area <= 0:
        return polygon, 0.0
    c = polygon.centroid
    factor = 1.0 / math.sqrt(area)
    moved = shapely.affinity.translate(polygon, -c.x, -c.y)
    return shapely.affinity.scale(moved, factor, factor, origin=(0, 0)), factor


@lru_cache(maxsize=1)
def _raster_grid() -> tuple[np.ndarray, np.ndarray]:
    axis = (np.arange(RASTER_SIZE) + 0.5) / RASTER_SIZE * 2 * RASTER_HALF_EXTENT - RASTER_HALF_EXTENT
    gx, gy = np.meshgrid(axis, axis)
    return gx.ravel(), gy.ravel()


def _rasterise(polygon, rotation_rad: float = 0.0) -> np.ndarray:
    """Boolean raster (flat) of the polygon rotated by `rotation_rad` about the origin."""
    gx, gy = _raster_grid()
    # Rotating the polygon by +theta = sampling it at grid points rotated by -theta.
    cos, sin = math.cos(rotation_rad), math.sin(rotation_rad)
    return shapely.contains_xy(polygon, cos * gx + sin * gy, -sin * gx + cos * gy)


@dataclass(frozen=True)
class _Figure:
    shape_id: str
    polygon: object  # normalised (centroid 0, area 1)
    rasters: np.ndarray  # (rotations, pixels) float32


def _figure(shape_id: str, outline_xy: np.ndarray) -> _Figure:
    polygon, _ = _normalise(filled_polygon(resample_by_count(outline_xy, OUTLINE_SAMPLES, closed=True)))
    shapely.prepare(polygon)
    rotations = np.radians(np.arange(0.0, 360.0, ROTATION_STEP_DEG))
    rasters = np.stack([_rasterise(polygon, r) for r in rotations]).astype(np.float32)
    return _Figure(shape_id, polygon, rasters)


@lru_cache(maxsize=1)
def _catalogue_closed() -> tuple[_Figure, ...]:
    from .shapes import SHAPE_TEMPLATES, template_outline

    return tuple(_figure(t.shape_id, template_outline(t.shape_id)) for t in SHAPE_TEMPLATES if t.closed)


def _best_iou(target, figure: _Figure, coarse: np.ndarray) -> float:
    """Exact best IoU of the normalised `target` polygon with `figure`: from the best coarse rotation, a
    bisecting search on the angle (2.5, 1.25, 0.6 degrees), then a few scales around equal area."""
    target_area = target.area

    def iou(rotation_deg: float, scale: float = 1.0) -> float:
        candidate = shapely.affinity.rotate(figure.polygon, rotation_deg, origin=(0, 0))
        if scale != 1.0:
            candidate = shapely.affinity.scale(candidate, scale, scale, origin=(0, 0))
        inter = shapely.intersection(target, candidate).area
        union = target_area + candidate.area - inter
        return inter / union if union > 0 else 0.0

    best = 0.0
    for k in np.argsort(-coarse)[:REFINE_ROTATIONS]:
        angle = float(k) * ROTATION_STEP_DEG
        value = iou(angle)
        for step in REFINE_ROTATION_STEPS_DEG:
            for candidate_angle in (angle - step, angle + step):
                candidate_value = iou(candidate_angle)
                if candidate_value > value:
                    angle, value = candidate_angle, candidate_value
        for scale in REFINE_SCALES:
            if scale != 1.0:
                value = max(value, iou(angle, scale))
        best = max(best, value)
    return best


def _ious_against(target, figures: tuple[_Figure, ...], refine: int | None = None) -> np.ndarray:
    """Best IoU of a normalised polygon with each figure: coarse raster search over rotations, then exact
    refinement of the `refine` best figures (all when None); the others keep their coarse IoU."""
    target_raster = _rasterise(target).astype(np.float32)
    pixels = float(target_raster.sum())
    coarse_all = []
    for figure in figures:
        inter = figure.rasters @ target_raster
        union = figure.rasters.sum(axis=1) + pixels - inter
        coarse_all.append(np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0))
    result = np.array([c.max() for c in coarse_all])
    order = np.argsort(-result)
    for i in order[: len(figures) if refine is None else refine]:
        result[i] = _best_iou(target, figures[i], coarse_all[i])
    return result


@lru_cache(maxsize=128)
def _own_closed(outline_key: bytes, n: int) -> tuple[_Figure, tuple[_Figure, ...], float, np.ndarray]:
    """The outline as a figure, its rivals (catalogue figures not equivalent to it, nearest first), its margin
    and each rival's Jaccard distance from it (1 - IoU of the exact outlines)."""
    outline_xy = np.frombuffer(outline_key, dtype=np.float64).reshape(n, 2)
    own = _figure("own", outline_xy)
    catalogue = _catalogue_closed()
    # Exactly refined: the figures closest on the coarse raster (they set the margin); the rest stay coarse.
    ious = _ious_against(own.polygon, catalogue, refine=REFINE_RIVALS + 2)
    # Nearest first (the quick score uses the first few).
    order = np.argsort(-ious)
    kept = [i for i in order if ious[i] < RIVAL_EQUIVALENT_IOU]
    rivals = tuple(catalogue[i] for i in kept)
    rival_best = max((iou for iou in ious if iou < RIVAL_EQUIVALENT_IOU), default=0.0)
    distances = np.array([1.0 - ious[i] for i in kept], dtype=np.float64)
    return own, rivals, max(MIN_MARGIN, 1.0 - rival_best), distances


def _outline_key(outline_xy: np.ndarray, closed: bool) -> tuple[bytes, int]:
    """A canonical, hashable form of the outline (resampled, so equal figures share a cache entry). Cached on
    the outline's own bytes: the planner asks for the same outline for every candidate it scores."""
    xy = np.ascontiguousarray(outline_xy, dtype=np.float64)
    return _canonical_outline(xy.tobytes(), xy.shape, closed)


@lru_cache(maxsize=256)
def _canonical_outline(raw: bytes, shape: tuple[int, ...], closed: bool) -> tuple[bytes, int]:
    xy = np.frombuffer(raw, dtype=np.float64).reshape(shape)
    if closed and len(xy) > 2 and np.allclose(xy[0], xy[-1]):
        xy = xy[:-1]
    xy = resample_by_count(xy, OUTLINE_SAMPLES, closed=closed)
    xy = xy - xy.mean(axis=0)
    # 1000 units across: metres-like, as the curve fit's resampling spacing expects.
    xy = xy * (1000.0 / max(bbox_diagonal(xy), 1e-12))
    xy = np.ascontiguousarray(np.round(xy, 3))
    return xy.tobytes(), len(xy)


# --- tip-aware part ---------------------------------------------------------------------------------
def _radial_profile(line_xy: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """The line's largest distance from `centre` in each of PROFILE_BINS angle bins, over the mean (bins the
    line does not reach take the circular interpolation of their neighbours)."""
    xy = resample_by_count(line_xy, PROFILE_SAMPLES, closed=True) - np.asarray(centre)
    radius = np.hypot(xy[:, 0], xy[:, 1])
    bins = (np.floor((np.arctan2(xy[:, 1], xy[:, 0]) + math.pi) / (2 * math.pi) * PROFILE_BINS)
            .astype(np.int64) % PROFILE_BINS)
    profile = np.full(PROFILE_BINS, -1.0)
    np.maximum.at(profile, bins, radius)
    filled = profile >= 0
    if not filled.any():
        return np.ones(PROFILE_BINS)
    if not filled.all():
        index = np.arange(PROFILE_BINS)
        profile = np.interp(index, index[filled], profile[filled], period=PROFILE_BINS)
    mean = float(profile.mean())
    return profile / mean if mean > 0 else np.ones(PROFILE_BINS)


@lru_cache(maxsize=1)
def _shift_index() -> np.ndarray:
    return (np.arange(PROFILE_BINS)[None, :] + np.arange(PROFILE_BINS)[:, None]) % PROFILE_BINS


def _profile_distance(a: np.ndarray, b: np.ndarray) -> float:
    """RMS difference of two radial profiles at the best rotation of `b`."""
    return float(np.sqrt(((b[_shift_index()] - a[None, :]) ** 2).mean(axis=1).min()))


def _polygon_profile(polygon) -> np.ndarray:
    parts = [polygon] if polygon.geom_type == "Polygon" else list(getattr(polygon, "geoms", []))
    if not parts:
        return np.ones(PROFILE_BINS)
    largest = max(parts, key=lambda part: part.area)
    ring = np.asarray(largest.exterior.coords)[:-1]
    centre = largest.centroid
    return _radial_profile(ring, (centre.x, centre.y))


def _aligned(profile: np.ndarray, to: np.ndarray) -> np.ndarray:
    """`profile` turned (bin shift) to its best RMS fit with `to`."""
    shifted = profile[_shift_index()]
    return shifted[int(((shifted - to[None, :]) ** 2).mean(axis=1).argmin())]


def _tips(profile: np.ndarray) -> np.ndarray:
    """Bins of the profile's tips: circular local maxima (within 15 degrees) above its mean."""
    neighbours = np.stack([np.roll(profile, k) for k in range(-3, 4)])
    return np.flatnonzero((profile >= neighbours.max(axis=0)) & (profile > profile.mean()))


def _notch_depth(profile: np.ndarray, tips: np.ndarray) -> float:
    """Mean over neighbouring tips of the outline of 1 - (deepest point between them / their radius): how
    far in the notches reach (the catalogue star 0.58, a pentagon 0.19, a circle 0)."""
    bins = np.arange(PROFILE_BINS)
    depths = []
    for a, b in zip(tips, np.roll(tips, -1), strict=True):
        between = bins[(bins - a) % PROFILE_BINS <= (b - a) % PROFILE_BINS]
        tip_radius = 0.5 * (profile[(a + np.arange(-2, 3)) % PROFILE_BINS].max()
                            + profile[(b + np.arange(-2, 3)) % PROFILE_BINS].max())
        depths.append(1.0 - profile[between].min() / tip_radius if tip_radius > 0 else 0.0)
    return float(np.mean(depths))


@lru_cache(maxsize=128)
def _own_profiles(outline_key: bytes, n: int) -> tuple | None:
    """For a tipped outline: its radial profile, its tips and notch depth, its rivals' (as `_own_closed`
    orders them) profiles, profile distances (floored: a rival nearly the same profile must not divide by ~0)
    and notch depths; None for an outline whose identity is not in its tips."""
    own, rivals, _, _ = _own_closed(outline_key, n)
    own_profile = _polygon_profile(own.polygon)
    tips = _tips(own_profile)
    if own_profile.max() < TIPPED_MIN_CONTRAST * own_profile.min() or not rivals or len(tips) < 2:
        return None
    rival_profiles = np.stack([_polygon_profile(rival.polygon) for rival in rivals])
    separation = np.array([max(_profile_distance(own_profile, rival), 0.05) for rival in rival_profiles])
    rival_depths = np.array([_notch_depth(_aligned(rival, own_profile), tips) for rival in rival_profiles])
    return own_profile, tips, _notch_depth(own_profile, tips), rival_profiles, separation, rival_depths


def _tip_score(outline_key: tuple[bytes, int], route_xy: np.ndarray, route_centre: tuple[float, float]) -> float:
    """The tip part (module docstring) 0..100, or 0 for an outline that is not tipped."""
    profiles = _own_profiles(*outline_key)
    if profiles is None:
        return 0.0
    own_profile, tips, own_depth, rival_profiles, separation, rival_depths = profiles
    route_profile = _radial_profile(route_xy, route_centre)
    own_distance = _profile_distance(route_profile, own_profile)
    route_depth = _notch_depth(_aligned(route_profile, own_profile), tips)
    shares = []
    for rival, distance, depth in zip(rival_profiles, separation, rival_depths, strict=True):
        by_profile = (_profile_distance(route_profile, rival) - own_distance) / distance
        by_depth = (route_depth - depth) / (own_depth - depth) if depth < own_depth else 0.0
        shares.append(max(by_profile, by_depth))
    return round(100.0 * math.sqrt(float(np.clip(min(shares), 0.0, 1.0))), 2)


# --- public --------------------------------------------------------------------------------------
def closed_recognisability(outline_xy: np.ndarray, route_xy: np.ndarray, *, exact: bool = True) -> Recognisability:
    """Recognisability of a closed route (planar metres) drawing the closed outline (any unit).

    exact=False keeps the coarse raster IoUs (no polygon refinement): ~3 ms instead of ~20, within a few
    points of the exact score; the planner ranks its many candidates with it.
    """
    outline_key = _outline_key(outline_xy, True)
    own, rivals, margin, distances = _own_closed(*outline_key)
    route_filled = filled_polygon(route_xy)
    route_polygon, _ = _normalise(route_filled)
    if route_polygon.is_empty or route_polygon.area <= 0:
        return Recognisability(0.0, 0.0, 0.0, None, margin)
    centroid = route_filled.centroid
    tips = _tip_score(outline_key, np.asarray(route_xy, dtype=np.float64), (centroid.x, centroid.y))
    route_polygon = shapely.simplify(route_polygon, SIMPLIFY_TOLERANCE)
    shapely.prepare(route_polygon)
    iou_own = float(_ious_against(route_polygon, (own,), refine=None if exact else 0)[0])
    if not exact:
        # The quick score compares with the figures nearest to the outline itself (and the circle, what a
        # blob resembles): the rival of a route that draws the figure at all is almost always among them.
        quick = [k for k, f in enumerate(rivals) if k < QUICK_RIVALS or f.shape_id == "circle"]
        rivals, distances = tuple(rivals[k] for k in quick), distances[quick]
    rival_ious = (_ious_against(route_polygon, rivals, refine=REFINE_RIVALS if exact else 0) if rivals
                  else np.zeros(0))
    if not len(rival_ious):
        tips = tips if iou_own >= TIP_MIN_OWN_IOU else 0.0
        return Recognisability(max(_score(iou_own, 0.0, margin), tips), iou_own, 0.0, None, margin)
    # The binding rival: the one leaving the smallest share (with its resolution tolerance); among equal
    # shares (all 0 for another figure) the one overlapping the route most.
    shares = [_share(iou_own, float(iou), margin, float(d)) for iou, d in zip(rival_ious, distances, strict=True)]
    k = min(range(len(shares)), key=lambda i: (shares[i], -float(rival_ious[i])))
    score = 0.0 if iou_own < MIN_OWN_IOU else max(round(100.0 * math.sqrt(shares[k]), 2),
                                                  tips if iou_own >= TIP_MIN_OWN_IOU else 0.0)
    return Recognisability(score, iou_own, float(rival_ious[k]), rivals[k].shape_id, margin)


def _share(iou_own: float, rival_iou: float, margin: float, rival_distance: float = 1.0) -> float:
    """The route's share of the outline's margin over one rival, with the resolution tolerance
    (RESOLUTION_BAND_MAX): the route's IoU may trail a rival's that its resolution cannot separate from the
    figure (Jaccard distance `rival_distance` from the outline) and still keep a share of the margin."""
    tolerance = max(0.0, min(2.0 * (1.0 - iou_own), RESOLUTION_BAND_MAX) - rival_distance)
    return float(np.clip((iou_own - rival_iou + tolerance) / (margin + tolerance), 0.0, 1.0))


def _score(iou_own: float, rival_iou: float, margin: float) -> float:
    return round(100.0 * math.sqrt(_share(iou_own, rival_iou, margin)), 2)


def _open_rivals() -> tuple[tuple[str, np.ndarray], ...]:
    from .shapes import SHAPE_TEMPLATES, template_outline

    t = np.linspace(0.0, 1.0, 64)
    line = np.stack([t, np.zeros_like(t)], axis=1)
    arc = np.stack([np.cos(np.pi * (1 - t)), np.sin(np.pi * (1 - t))], axis=1)
    generic = (("line", line), ("arc", arc))
    return generic + tuple((s.shape_id, np.asarray(template_outline(s.shape_id))) for s in SHAPE_TEMPLATES
                           if not s.closed)


def _strip_iou(a_xy: np.ndarray, b_xy: np.ndarray, width_m: float) -> float:
    a = shapely.LineString(a_xy).buffer(width_m)
    b = shapely.LineString(b_xy).buffer(width_m)
    inter = shapely.intersection(a, b).area
    union = a.area + b.area - inter
    return float(inter / union) if union > 0 else 0.0


def _fitted_strip_iou(outline_xy: np.ndarray, route_xy: np.ndarray) -> tuple[float, float]:
    fitted = fit_outline_to_route(outline_xy, route_xy, closed=False).outline_xy
    width = OPEN_BUFFER_SHARE * max(bbox_diagonal(fitted), 1e-9)
    return _strip_iou(fitted, route_xy, width), width


@lru_cache(maxsize=128)
def _own_open(outline_key: bytes, n: int) -> tuple[tuple[tuple[str, np.ndarray], ...], float]:
    outline_xy = np.frombuffer(outline_key, dtype=np.float64).reshape(n, 2)
    rivals = []
    best = 0.0
    for shape_id, rival_xy in _open_rivals():
        iou, _ = _fitted_strip_iou(rival_xy, outline_xy)
        if iou < RIVAL_EQUIVALENT_IOU:
            rivals.append((shape_id, rival_xy))
            best = max(best, iou)
    return tuple(rivals), max(MIN_MARGIN, 1.0 - best)


def open_recognisability(outline_xy: np.ndarray, route_xy: np.ndarray) -> Recognisability:
    """Curve-based recognisability of an open route (planar metres) drawing the open outline."""
    route_xy = np.asarray(route_xy, dtype=np.float64)
    if len(route_xy) < 2 or polyline_length(route_xy) <= 0:
        return ZERO_RECOGNISABILITY
    key, n = _outline_key(outline_xy, False)
    rivals, margin = _own_open(key, n)
    own_iou, _ = _fitted_strip_iou(np.frombuffer(key, dtype=np.float64).reshape(n, 2), route_xy)
    rival_iou, rival_id = 0.0, None
    for shape_id, rival_xy in rivals:
        iou, _ = _fitted_strip_iou(rival_xy, route_xy)
        if iou > rival_iou:
            rival_iou, rival_id = iou, shape_id
    return Recognisability(_score(own_iou, rival_iou, margin), own_iou, rival_iou, rival_id, margin)


def recognisability(outline_xy: np.ndarray, route_xy: np.ndarray, *, closed: bool,
                     exact: bool = True) -> Recognisability:
    """Recognisability (module docstring) of a planar route (metres) drawing `outline_xy` (any unit)."""
    if closed:
        return closed_recognisability(outline_xy, route_xy, exact=exact)
    return open_recognisability(outline_xy, route_xy)


def warm_up() -> None:
    """Build the catalogue's rasters and the catalogue figures' margins now (~0.3 s) rather than inside the
    first request's time budget. Safe to call more than once."""
    from .shapes import SHAPE_TEMPLATES, template_outline

    _catalogue_closed()
    for template in SHAPE_TEMPLATES:
        key, n = _outline_key(template_outline(template.shape_id), template.closed)
        (_own_closed if template.closed else _own_open)(key, n)


def warm_outline(outline_xy: np.ndarray, closed: bool) -> None:
    """Compute an outline's own figure, rivals and margin now (~0.1-0.3 s for a closed one): a shape drawn
    from its SVG is not a catalogue outline point for point, and its first request would spend its CPU
    budget here."""
    key, n = _outline_key(outline_xy, closed)
    (_own_closed if closed else _own_open)(key, n)
