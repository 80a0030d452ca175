"""Files made from routes: GPX 1.1 tracks (gpxpy), SVG drawings of paths and shape templates.

Pure functions over plain data (no models), so the admin, the API and tests share them.
"""

import math
from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

import gpxpy.gpx

SVG_STROKE_COLOR = "#FF5A36"  # the app's accent colour
SVG_START_COLOR = "#1F7A4D"
# The approach to a figure placed away from the start: quiet beside the figure, but visible on a map.
SVG_APPROACH_COLOR = "#8A8F98"
# Padding around the drawing as a share of the viewBox, so round line caps are not clipped.
_PADDING_SHARE = 0.06
_METRES_PER_DEGREE_LAT = 111_320.0


def gpx_for_path(*, name: str, coordinates: Sequence[Sequence[float]], description: str = "") -> str:
    """A GPX 1.1 document: one track named `name`, one segment through `coordinates` [[lat, lng]...]."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "RunnerWay"
    gpx.name = name
    gpx.description = description or None
    track = gpxpy.gpx.GPXTrack(name=name, description=description or None)
    track.type = "running"
    segment = gpxpy.gpx.GPXTrackSegment()
    segment.points.extend(gpxpy.gpx.GPXTrackPoint(latitude=float(lat), longitude=float(lng))
                          for lat, lng in coordinates)
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def _svg_document(inner: str, *, size: float, width_px: int, title: str) -> str:
    title_element = f"<title>{_escape_text(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size:g} {size:g}" '
        f'width="{width_px}" height="{width_px}">{title_element}{inner}</svg>'
    )


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg_for_template(svg_path: str, *, width_px: int = 128, title: str = "") -> str:
    """An SVG image of a shape template's path data (drawn in its 0..100 viewBox, with padding)."""
    margin = 100 * _PADDING_SHARE
    size = 100 + 2 * margin
    inner = (
        f'<g transform="translate({margin:g} {margin:g})">'
        f"<path d={quoteattr(svg_path)} fill=\"none\" stroke=\"{SVG_STROKE_COLOR}\" stroke-width=\"4\" "
        'stroke-linejoin="round" stroke-linecap="round"/></g>'
    )
    return _svg_document(inner, size=size, width_px=width_px, title=title)


def svg_for_path(coordinates: Sequence[Sequence[float]], *, width_px: int = 256, title: str = "",
                 figure_range: tuple[int, int] | None = None) -> str:
    """An SVG image of a path given as [[lat, lng], ...].

    Projected locally (equirectangular at the path's mean latitude, north up, true aspect), scaled into a
    1000-unit square viewBox, the start marked with a dot. With `figure_range` (i, j), only
    coordinates[i..j] is drawn as the figure; the approach from the start and the way back (before i, after
    j) are drawn thinner, dashed and grey beneath it, so the figure reads on its own.
    """
    size = 1000.0
    if len(coordinates) == 0:
        return _svg_document("", size=size, width_px=width_px, title=title)
    lats = [float(point[0]) for point in coordinates]
    lngs = [float(point[1]) for point in coordinates]
    cos_lat = math.cos(math.radians(sum(lats) / len(lats)))
    xs = [lng * cos_lat * _METRES_PER_DEGREE_LAT for lng in lngs]
    ys = [lat * _METRES_PER_DEGREE_LAT for lat in lats]
    span_m = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    drawable = size * (1 - 2 * _PADDING_SHARE)
    scale = drawable / span_m
    # Centre the drawing in the square whatever its aspect ratio.
    offset_x = (size - (max(xs) - min(xs)) * scale) / 2
    offset_y = (size - (max(ys) - min(ys)) * scale) / 2
    min_x, min_y = min(xs), min(ys)
    points = [((x - min_x) * scale + offset_x, size - ((y - min_y) * scale + offset_y))
              for x, y in zip(xs, ys, strict=True)]
    last = len(points) - 1
    first_index, last_index = figure_range if figure_range is not None else (0, last)
    first_index, last_index = max(0, min(first_index, last)), max(0, min(last_index, last))
    if first_index > last_index:
        first_index, last_index = 0, last
    # Both legs drawn from the start outwards: where the way back retraces the approach, their dashes then
    # coincide instead of interleaving into a solid line.
    approach_legs = [leg for leg in (points[:first_index + 1], points[last_index:][::-1]) if len(leg) >= 2]
    inner = "".join(
        f'<polyline class="approach" points="{_points_attr(leg)}" fill="none" stroke="{SVG_APPROACH_COLOR}" '
        'stroke-width="6" stroke-dasharray="18 14" stroke-linejoin="round" stroke-linecap="round"/>'
        for leg in approach_legs
    )
    start_x, start_y = points[0]
    inner += (
        f'<polyline class="figure" points="{_points_attr(points[first_index:last_index + 1])}" fill="none" '
        f'stroke="{SVG_STROKE_COLOR}" stroke-width="12" stroke-linejoin="round" stroke-linecap="round"/>'
        f'<circle cx="{start_x:.1f}" cy="{start_y:.1f}" r="18" fill="{SVG_START_COLOR}"/>'
    )
    return _svg_document(inner, size=size, width_px=width_px, title=title)


def _points_attr(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
