"""The shape catalog and outline extraction.

`SHAPE_TEMPLATES` lists the shapes the app offers (ids are stable slugs the clients store). Each template's
`svg_path` is SVG path data in a 0..100 by 0..100 viewBox (y down, as SVG draws it). `outline_from_svg_path`
turns path data into an evenly resampled planar outline with y UP, which is what the planner and
`shape_fidelity` take. `outline_from_latlng` does the same for a custom drawing given as map points.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from svg.path import Arc, Move, parse_path

from .geometry import bbox_diagonal, polyline_length, projection_for, resample_by_spacing

BASIC, SPECIAL, FUN = "basic", "special", "fun"
CATEGORIES = (BASIC, SPECIAL, FUN)
SVG_VIEWBOX_SIZE = 100.0


@dataclass(frozen=True)
class ShapeTemplate:
    """One catalog entry. `estimated_distance_km` is the suggested default target distance."""

    shape_id: str
    name: str
    name_ko: str
    icon_name: str
    category: str
    svg_path: str
    closed: bool
    estimated_distance_km: float


SHAPE_TEMPLATES: tuple[ShapeTemplate, ...] = (
    # --- basic: convex figures that any street grid can draw.
    ShapeTemplate("circle", "Circle", "원", "circle", BASIC,
                  "M 5 50 A 45 45 0 1 0 95 50 A 45 45 0 1 0 5 50 Z", True, 3.0),
    ShapeTemplate("square", "Square", "사각형", "square", BASIC,
                  "M 10 10 L 90 10 L 90 90 L 10 90 Z", True, 3.0),
    ShapeTemplate("triangle", "Triangle", "삼각형", "change_history", BASIC,
                  "M 50 8 L 95 88 L 5 88 Z", True, 3.0),
    ShapeTemplate("diamond", "Diamond", "다이아몬드", "diamond", BASIC,
                  "M 50 5 L 90 50 L 50 95 L 10 50 Z", True, 3.0),
    ShapeTemplate("pentagon", "Pentagon", "오각형", "pentagon", BASIC,
                  "M 50 7 L 93.7 38.8 L 77 90.2 L 23 90.2 L 6.3 38.8 Z", True, 3.5),
    ShapeTemplate("hexagon", "Hexagon", "육각형", "hexagon", BASIC,
                  "M 96 50 L 73 89.8 L 27 89.8 L 4 50 L 27 10.2 L 73 10.2 Z", True, 3.5),
    # --- special: the figures people post.
    ShapeTemplate("heart", "Heart", "하트", "favorite", SPECIAL,
                  "M 50 88 C 20 65 5 48 5 30 C 5 15 17 5 30 5 C 40 5 47 11 50 20 "
                  "C 53 11 60 5 70 5 C 83 5 95 15 95 30 C 95 48 80 65 50 88 Z", True, 4.0),
    ShapeTemplate("star", "Star", "별", "star", SPECIAL,
                  "M 50 4 L 61.2 36.6 L 95.7 37.2 L 68.1 57.9 L 78.2 90.8 L 50 71 L 21.8 90.8 "
                  "L 31.9 57.9 L 4.3 37.2 L 38.8 36.6 Z", True, 5.0),
    ShapeTemplate("moon", "Crescent moon", "초승달", "dark_mode", SPECIAL,
                  "M 91.2 68.1 A 45 45 0 1 1 49.1 5 A 38 38 0 0 0 91.2 68.1 Z", True, 4.0),
    ShapeTemplate("house", "House", "집", "home", SPECIAL,
                  "M 15 90 L 15 45 L 50 10 L 85 45 L 85 90 Z", True, 3.5),
    ShapeTemplate("tree", "Pine tree", "나무", "park", SPECIAL,
                  "M 50 5 L 75 35 L 62 35 L 85 65 L 56 65 L 56 95 L 44 95 L 44 65 L 15 65 L 38 35 "
                  "L 25 35 Z", True, 5.0),
    # --- fun: bolder figures; blocky ones follow street grids well.
    ShapeTemplate("arrow", "Arrow", "화살표", "arrow_forward", FUN,
                  "M 5 40 L 55 40 L 55 15 L 95 50 L 55 85 L 55 60 L 5 60 Z", True, 4.0),
    ShapeTemplate("lightning", "Lightning bolt", "번개", "bolt", FUN,
                  "M 62 4 L 22 56 L 48 56 L 36 96 L 80 40 L 54 40 L 68 4 Z", True, 4.0),
    ShapeTemplate("cross", "Plus", "플러스", "add", FUN,
                  "M 35 5 L 65 5 L 65 35 L 95 35 L 95 65 L 65 65 L 65 95 L 35 95 L 35 65 L 5 65 "
                  "L 5 35 L 35 35 Z", True, 5.0),
    ShapeTemplate("infinity", "Infinity", "무한대", "all_inclusive", FUN,
                  "M 50 50 C 35 25 5 25 5 50 C 5 75 35 75 50 50 C 65 25 95 25 95 50 "
                  "C 95 75 65 75 50 50 Z", True, 4.0),
    ShapeTemplate("fish", "Fish", "물고기", "set_meal", FUN,
                  "M 5 50 C 25 20 60 20 75 50 L 95 30 L 95 70 L 75 50 C 60 80 25 80 5 50 Z", True, 4.0),
    ShapeTemplate("wave", "Wave", "물결", "waves", FUN,
                  "M 5 50 C 20 15 35 15 50 50 C 65 85 80 85 95 50", False, 3.0),
)

_TEMPLATES_BY_ID = {template.shape_id: template for template in SHAPE_TEMPLATES}


def get_template(shape_id: str) -> ShapeTemplate:
    """The catalog entry with that slug; KeyError if unknown."""
    return _TEMPLATES_BY_ID[shape_id]


# Limits of a drawing given as SVG path data (a 34-character path spanning 1 000 000 units would cost 17 s and
# 470 MB sampled every 0.25 units in its own coordinates). Drawings are first fitted
# into the fixed 0..100 box, then sampled with a bounded number of points whatever their coordinates.
MAX_SVG_SEGMENTS = 1_000  # a finger drawing smoothed by the app has tens; a path with more is not a drawing
MAX_SVG_SAMPLES = 20_000  # fine samples over the whole path before resampling (~10 ms of numpy)
MAX_OUTLINE_POINTS = 2_000  # the outline handed to the planner; the templates have 300-500
# A drawing already inside the box and spanning at least half of it keeps its coordinates (the catalogue's
# templates and anything drawn on the app's 100-unit canvas); any other is scaled and centred into the box.
_KEEP_IN_BOX_MIN_SPAN = 0.5 * SVG_VIEWBOX_SIZE
_COARSE_SAMPLES_PER_SEGMENT = 17  # enough to estimate a Bézier's or an arc's length within a few percent


class DrawingTooComplex(ValueError):
    """SVG path data with more segments than MAX_SVG_SEGMENTS."""


def _segment_points(segment, ts: np.ndarray) -> np.ndarray:
    """Points of one svg.path segment at parameters `ts`, as complex numbers (vectorised)."""
    if isinstance(segment, Arc) and segment.start != segment.end and segment.radius.real != 0 \
            and segment.radius.imag != 0:
        # svg.path's Arc.point uses math.* on one float; the same formula on arrays
        angle = np.radians(segment.theta + segment.delta * ts)
        cosr, sinr = np.cos(np.radians(segment.rotation)), np.sin(np.radians(segment.rotation))
        radius = segment.radius * segment.radius_scale
        x = cosr * np.cos(angle) * radius.real - sinr * np.sin(angle) * radius.imag + segment.center.real
        y = sinr * np.cos(angle) * radius.real + cosr * np.sin(angle) * radius.imag + segment.center.imag
        return x + 1j * y
    # Lines, Béziers and degenerate arcs evaluate numpy arrays as they are
    return np.broadcast_to(np.asarray(segment.point(ts), dtype=np.complex128), ts.shape)


def outline_from_svg_path(svg_path: str, *, spacing: float = 1.0) -> np.ndarray:
    """Outline of SVG path data as (N, 2) planar points, y UP, in the 0..100 box, evenly spaced.

    svg_path: SVG path data (any commands: lines, arcs, cubic/quadratic Béziers), in any coordinates. A
    drawing that already lies in the 0..100 viewBox and spans at least half of it keeps its coordinates;
    any other is scaled uniformly and centred into that box first (only its form matters to the planner).
    Points are `spacing` box units apart, widened where needed so there are at most MAX_OUTLINE_POINTS.
    Several subpaths are joined in order by straight lines. A path ending with `Z` (or back at its start)
    returns a closed ring whose last point equals its first.
    Cost: O(segments + MAX_SVG_SAMPLES) whatever the coordinates.
    Raises DrawingTooComplex (a ValueError) above MAX_SVG_SEGMENTS segments, ValueError for unparsable,
    non-finite or degenerate paths.
    """
    try:
        path = parse_path(svg_path)
    except Exception as exc:  # svg.path raises bare ValueError/IndexError/ZeroDivisionError on bad data
        raise ValueError(f"invalid SVG path data: {exc}") from exc
    segments = [segment for segment in path if not isinstance(segment, Move)]
    if not segments:
        raise ValueError("SVG path has no drawable segments")
    if len(segments) > MAX_SVG_SEGMENTS:
        raise DrawingTooComplex(f"The drawing has {len(segments)} segments; at most {MAX_SVG_SEGMENTS} "
                                f"are allowed.")
    with np.errstate(all="ignore"):
        try:
            boxes = np.array([segment.boundingbox() for segment in segments], dtype=np.float64)
        except (ArithmeticError, ValueError) as exc:
            raise ValueError(f"invalid SVG path data: {exc}") from exc
        min_x, min_y = boxes[:, 0].min(), boxes[:, 1].min()
        max_x, max_y = boxes[:, 2].max(), boxes[:, 3].max()
        span = max(max_x - min_x, max_y - min_y)
    if not np.isfinite([min_x, min_y, max_x, max_y, span]).all():
        raise ValueError("SVG path coordinates are not finite")
    if span <= 0:
        raise ValueError("SVG path is degenerate")
    in_box = min_x >= 0 and min_y >= 0 and max_x <= SVG_VIEWBOX_SIZE and max_y <= SVG_VIEWBOX_SIZE
    if in_box and span >= _KEEP_IN_BOX_MIN_SPAN:
        scale, offset = 1.0, 0j
    else:
        scale = SVG_VIEWBOX_SIZE / span
        centre = complex((min_x + max_x) / 2, (min_y + max_y) / 2)
        offset = complex(SVG_VIEWBOX_SIZE / 2, SVG_VIEWBOX_SIZE / 2) - centre * scale

    # Lengths in box units from a coarse sampling, then fine samples shared out by length under the cap.
    coarse_ts = np.linspace(0.0, 1.0, _COARSE_SAMPLES_PER_SEGMENT)
    lengths = np.array([
        float(np.abs(np.diff(_segment_points(segment, coarse_ts) * scale)).sum()) for segment in segments
    ])
    total_length = float(lengths.sum())
    if not np.isfinite(total_length) or total_length <= 0:
        raise ValueError("SVG path is degenerate")
    fine_step = max(spacing / 4.0, 1e-3, total_length / MAX_SVG_SAMPLES)
    counts = np.maximum(2, np.ceil(lengths / fine_step).astype(np.int64) + 1)
    points = np.concatenate([
        _segment_points(segment, np.linspace(0.0, 1.0, int(count))) for segment, count in zip(
            segments, counts, strict=True)
    ]) * scale + offset
    xy = np.stack([points.real, SVG_VIEWBOX_SIZE - points.imag], axis=1)
    closed = bool(np.hypot(*(xy[0] - xy[-1])) <= 1e-6 * max(1.0, bbox_diagonal(xy)))
    if polyline_length(xy) <= 0 or bbox_diagonal(xy) <= 0:
        raise ValueError("SVG path is degenerate")
    return resample_by_spacing(xy[:-1] if closed else xy, spacing, closed=closed,
                               max_points=MAX_OUTLINE_POINTS)


@lru_cache(maxsize=64)
def template_outline(shape_id: str) -> np.ndarray:
    """Cached outline (y up, viewBox units, 1-unit spacing) of a catalog template. Do not mutate."""
    outline = outline_from_svg_path(get_template(shape_id).svg_path)
    outline.setflags(write=False)
    return outline


def outline_from_latlng(points, *, spacing_m: float = 5.0, closed: bool | None = None) -> np.ndarray:
    """Outline of a custom drawing given as [[lat, lng], ...] (degrees), as (N, 2) metres, y up (north).

    closed: None decides with `is_closed`. A closed outline is returned as a ring (last point == first).
    Raises ValueError for fewer than 2 distinct points.
    """
    latlng = np.asarray(points, dtype=np.float64)
    if latlng.ndim != 2 or latlng.shape[1] != 2 or len(latlng) < 2:
        raise ValueError("custom points must be a list of at least two [lat, lng] pairs")
    xy = projection_for(latlng).to_xy(latlng[:, 0], latlng[:, 1])
    if polyline_length(xy) <= 0:
        raise ValueError("custom points are all the same")
    if closed is None:
        closed = is_closed(xy)
    return resample_by_spacing(xy, spacing_m, closed=closed)


def is_closed(xy: np.ndarray) -> bool:
    """Heuristic for custom drawings: closed when the end lies near the start.

    Near = within 15 % of the drawing's bounding-box diagonal (a finger rarely lands exactly on the start;
    an open stroke such as a letter "S" ends much further away). Takes planar points (any unit).
    """
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) < 3:
        return False
    size = bbox_diagonal(xy)
    return size > 0 and float(np.hypot(*(xy[0] - xy[-1]))) <= 0.15 * size
