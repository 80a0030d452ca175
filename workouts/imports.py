"""Reading activity files: GPX (gpxpy) and FIT (fitdecode) → timed track points, nothing stored here.

Anything that is not a track with at least two timed fixes raises `UnsupportedFile` (400 `unsupported_file`):
a GPX of waypoints or an untimed route, a FIT file without GPS records, or bytes of another format.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import fitdecode
import gpxpy
import gpxpy.gpx

from runnerway.api.exceptions import UnsupportedFile
from workouts.metrics.constants import HEART_RATE_MAX_BPM
from workouts.models import Workout

# The upload cap for an import (bytes): a 3-hour run at 1 Hz is ~1.5 MB as GPX, ~200 kB as FIT, so 20 MB holds
# anything a watch records while refusing uploads that would tie up a worker parsing them.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
# A track needs two timed fixes to have a distance and a duration.
MIN_TRACK_POINTS = 2
# FIT stores latitude/longitude as "semicircles": 2^31 of them make 180 degrees.
_DEGREES_PER_SEMICIRCLE = 180.0 / 2**31
_WALKING_TYPES = {"walking", "hiking", "walk", "hike"}


@dataclass(frozen=True, slots=True)
class ImportedPoint:
    recorded_at: datetime
    latitude: float
    longitude: float
    altitude: float | None = None
    heart_rate: int | None = None
    speed: float | None = None


@dataclass(frozen=True)
class ImportedActivity:
    source: str  # Workout.Source
    activity_type: str  # Workout.Type
    points: list[ImportedPoint]
    device_calories_kcal: float | None = None

    @property
    def started_at(self) -> datetime:
        return self.points[0].recorded_at

    @property
    def ended_at(self) -> datetime:
        return self.points[-1].recorded_at


def parse_activity_file(*, file_name: str, content: bytes) -> ImportedActivity:
    """Detect the format from the bytes (a FIT header says `.FIT`; GPX is XML) and parse it."""
    if len(content) > MAX_IMPORT_BYTES:
        raise UnsupportedFile(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    if len(content) >= 12 and content[8:12] == b".FIT":
        activity = parse_fit(content)
    elif content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        activity = parse_gpx(content)
    else:
        raise UnsupportedFile("The file is neither GPX nor FIT.")
    if len(activity.points) < MIN_TRACK_POINTS:
        raise UnsupportedFile("The file holds no track: it needs two fixes with a time and a position.")
    return activity


def _as_utc(value: datetime) -> datetime:
    # a GPX time without a zone is UTC by the GPX schema (xsd:dateTime in UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _activity_type(label: str | None) -> str:
    return Workout.Type.WALKING if (label or "").strip().lower() in _WALKING_TYPES else Workout.Type.RUNNING


def _gpx_heart_rate(point: gpxpy.gpx.GPXTrackPoint) -> int | None:
    """Heart rate from a Garmin TrackPointExtension (`gpxtpx:hr`) or any extension element named `hr`."""
    for extension in point.extensions:
        for element in extension.iter():
            if element.tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1] == "hr" and element.text:
                try:
                    return _plausible_heart_rate(float(element.text))
                except ValueError:
                    return None
    return None


def _plausible_heart_rate(value: float | None) -> int | None:
    """A heart rate a file may carry (0 is "no contact" on chest straps; above 250 bpm is not a heart)."""
    if value is None or not 0 < value <= HEART_RATE_MAX_BPM:
        return None
    return round(value)


def parse_gpx(content: bytes) -> ImportedActivity:
    try:
        document = gpxpy.parse(content.decode("utf-8-sig", errors="strict"))
    except (UnicodeDecodeError, gpxpy.gpx.GPXException, ValueError) as exc:
        raise UnsupportedFile("The file is not a readable GPX document.") from exc
    points: list[ImportedPoint] = []
    activity_label = None
    for track in document.tracks:
        activity_label = activity_label or track.type
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    continue
                points.append(ImportedPoint(
                    recorded_at=_as_utc(point.time), latitude=float(point.latitude),
                    longitude=float(point.longitude),
                    altitude=None if point.elevation is None else float(point.elevation),
                    heart_rate=_gpx_heart_rate(point),
                ))
    points.sort(key=lambda p: p.recorded_at)
    return ImportedActivity(source=Workout.Source.GPX, activity_type=_activity_type(activity_label),
                            points=points)


def _fit_value(frame: fitdecode.FitDataMessage, *names: str):
    for name in names:
        if frame.has_field(name):
            value = frame.get_value(name, fallback=None)
            if value is not None:
                return value
    return None


def parse_fit(content: bytes) -> ImportedActivity:
    """FIT activity: `record` messages (timestamp, position in semicircles, altitude, heart rate, speed)
    and the `session` (sport, total calories as measured by the device)."""
    points: list[ImportedPoint] = []
    sport = None
    calories = None
    try:
        with fitdecode.FitReader(io.BytesIO(content), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    timestamp = _fit_value(frame, "timestamp")
                    lat = _fit_value(frame, "position_lat")
                    lon = _fit_value(frame, "position_long")
                    if not isinstance(timestamp, datetime) or lat is None or lon is None:
                        continue  # a record without a fix (indoor, or before the GPS locked)
                    altitude = _fit_value(frame, "enhanced_altitude", "altitude")
                    heart_rate = _fit_value(frame, "heart_rate")
                    speed = _fit_value(frame, "enhanced_speed", "speed")
                    points.append(ImportedPoint(
                        recorded_at=_as_utc(timestamp), latitude=lat * _DEGREES_PER_SEMICIRCLE,
                        longitude=lon * _DEGREES_PER_SEMICIRCLE,
                        altitude=None if altitude is None else float(altitude),
                        heart_rate=_plausible_heart_rate(heart_rate),
                        speed=None if speed is None else float(speed),
                    ))
                elif frame.name in ("session", "sport"):
                    sport = sport or _fit_value(frame, "sport")
                    if frame.name == "session":
                        total = _fit_value(frame, "total_calories")
                        calories = float(total) if total else calories
    except (fitdecode.FitError, ValueError, TypeError, EOFError) as exc:
        raise UnsupportedFile("The file is not a readable FIT activity.") from exc
    points.sort(key=lambda p: p.recorded_at)
    return ImportedActivity(source=Workout.Source.FIT,
                            activity_type=_activity_type(str(sport) if sport else None),
                            points=points, device_calories_kcal=calories)
