"""Files made from routes: GPX 1.1 tracks (gpxpy), FIT courses (fit-tool), SVG drawings of paths and shapes.

Pure functions over plain data (no models), so the admin, the API and tests share them.
"""

import math
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from itertools import pairwise
from xml.sax.saxutils import quoteattr

import gpxpy.gpx

from routes.planner.geometry import haversine_m

SVG_STROKE_COLOR = "#FF5A36"  # the app's accent colour
SVG_START_COLOR = "#1F7A4D"
# The approach to a figure placed away from the start: quiet beside the figure, but visible on a map.
SVG_APPROACH_COLOR = "#8A8F98"
# Padding around the drawing as a share of the viewBox, so round line caps are not clipped.
_PADDING_SHARE = 0.06
_METRES_PER_DEGREE_LAT = 111_320.0


def gpx_for_path(*, name: str, coordinates: Sequence[Sequence[float]], description: str = "",
                 cues: Sequence[dict] = ()) -> str:
    """A GPX 1.1 document: one track named `name`, one segment through `coordinates` [[lat, lng]...].

    cues: rendered turn cues (`routes.cues.cues_render`); given, they are also a route (`<rte>`) whose points
    are the cues, each named with its instruction, described with its announcement and typed with its turn:
    what watches and GPS apps show at each turn.
    """
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
    if cues:
        route = gpxpy.gpx.GPXRoute(name=name, description=description or None)
        route.points.extend(
            gpxpy.gpx.GPXRoutePoint(latitude=float(cue["latitude"]), longitude=float(cue["longitude"]),
                                    name=cue["instruction"], description=cue["text"], type=cue["turn"])
            for cue in cues)
        gpx.routes.append(route)
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


# --- FIT courses (Garmin watches) --------------------------------------------------------------------------

# FIT course point types for our turns (the FIT profile's `course_point` enum).
_FIT_COURSE_POINT = {
    "depart": "SEGMENT_START", "arrive": "SEGMENT_END", "left": "LEFT", "right": "RIGHT",
    "slight_left": "SLIGHT_LEFT", "slight_right": "SLIGHT_RIGHT", "sharp_left": "SHARP_LEFT",
    "sharp_right": "SHARP_RIGHT", "u_turn": "U_TURN", "continue": "STRAIGHT",
}
# Garmin watches show 15 bytes of a course point's name; longer names are cut, so we cut them cleanly.
FIT_COURSE_POINT_NAME_BYTES = 15
FIT_COURSE_NAME_BYTES = 15


def fit_text(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8 without splitting a character (Korean takes 3 bytes each)."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


@lru_cache(maxsize=1)
def _slim_course_messages():
    """fit-tool's record and course point messages with only the fields a course writes. Their own constructors
    build every field of the FIT profile's message (~80 for a record), which made a 1000-point course cost over
    a second of CPU; the bytes written are the same (fit-tool writes only the fields that hold a value)."""
    from fit_tool.data_message import DataMessage
    from fit_tool.endian import Endian
    from fit_tool.profile.messages import course_point_message as course_point
    from fit_tool.profile.messages import record_message as record
    from fit_tool.profile.messages.common_fields import TimestampField

    def slim(message_class, field_classes):
        def __init__(self):
            DataMessage.__init__(self, name=message_class.NAME, global_id=message_class.ID, local_id=0,
                                 endian=Endian.LITTLE, definition_message=None, developer_fields=None,
                                 fields=[field_class(size=0, growable=True) for field_class in field_classes])

        return type(f"Course{message_class.__name__}", (message_class,), {"__init__": __init__})

    return (
        slim(record.RecordMessage, [TimestampField, record.RecordPositionLatField, record.RecordPositionLongField,
                                    record.RecordDistanceField]),
        slim(course_point.CoursePointMessage, [
            course_point.CoursePointTimestampField, course_point.CoursePointPositionLatField,
            course_point.CoursePointPositionLongField, course_point.CoursePointDistanceField,
            course_point.CoursePointTypeField, course_point.CoursePointNameField]),
    )


def fit_course_for_path(*, name: str, coordinates: Sequence[Sequence[float]], cues: Sequence[dict],
                        speed_mps: float, start_time: datetime) -> bytes:
    """A FIT course file (file_id type course, course, timer events, one lap, a record per point and a course
    point per cue) that Garmin Connect and Garmin watches import as a course to follow.

    coordinates: [[lat, lng], ...]. cues: rendered cues (`routes.cues.cues_render`); each becomes a course point
    at its position and distance, typed by its turn and named by its street (else its instruction).
    speed_mps: the planned pace, which gives each record the timestamp a watch's virtual partner runs at.
    start_time: timezone-aware; the course's timestamps start there.
    """
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.course_message import CourseMessage
    from fit_tool.profile.messages.event_message import EventMessage
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.lap_message import LapMessage
    from fit_tool.profile.profile_type import CoursePoint, Event, EventType, FileType, Manufacturer, Sport

    if len(coordinates) < 2 or speed_mps <= 0:
        raise ValueError("a course needs at least two points and a positive speed")
    latlng = [(float(lat), float(lng)) for lat, lng in coordinates]
    along_m = [0.0]
    for (lat1, lng1), (lat2, lng2) in pairwise(latlng):
        along_m.append(along_m[-1] + float(haversine_m(lat1, lng1, lat2, lng2)))
    start_ms = round(start_time.timestamp() * 1000)

    def at_ms(distance_m: float) -> int:
        return start_ms + round(distance_m / speed_mps * 1000)

    builder = FitFileBuilder(auto_define=True, min_string_size=16)
    file_id = FileIdMessage()
    file_id.type = FileType.COURSE
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.time_created = start_ms
    file_id.serial_number = 0x52574159  # "RWAY"
    builder.add(file_id)
    course = CourseMessage()
    course.course_name = fit_text(name, FIT_COURSE_NAME_BYTES)
    course.sport = Sport.RUNNING
    builder.add(course)
    start = EventMessage()
    start.event = Event.TIMER
    start.event_type = EventType.START
    start.timestamp = start_ms
    builder.add(start)
    record_class, course_point_class = _slim_course_messages()
    for (lat, lng), distance_m in zip(latlng, along_m, strict=True):
        record = record_class()
        record.position_lat = lat
        record.position_long = lng
        record.distance = distance_m
        record.timestamp = at_ms(distance_m)
        builder.add(record)
    for cue in cues:
        point = course_point_class()
        point.timestamp = at_ms(cue["distance_from_start_m"])
        point.position_lat = float(cue["latitude"])
        point.position_long = float(cue["longitude"])
        point.distance = float(cue["distance_from_start_m"])
        point.type = CoursePoint[_FIT_COURSE_POINT[cue["turn"]]]
        point.course_point_name = fit_text(cue["street"] or cue["instruction"], FIT_COURSE_POINT_NAME_BYTES)
        builder.add(point)
    end_ms = at_ms(along_m[-1])
    stop = EventMessage()
    stop.event = Event.TIMER
    stop.event_type = EventType.STOP_ALL
    stop.timestamp = end_ms
    builder.add(stop)
    lap = LapMessage()
    lap.timestamp = end_ms
    lap.start_time = start_ms
    lap.total_elapsed_time = (end_ms - start_ms) / 1000
    lap.total_timer_time = (end_ms - start_ms) / 1000
    lap.start_position_lat, lap.start_position_long = latlng[0]
    lap.end_position_lat, lap.end_position_long = latlng[-1]
    lap.total_distance = along_m[-1]
    builder.add(lap)
    return builder.build().to_bytes()

def _points_attr(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
