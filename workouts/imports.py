"""Reading activity files: GPX and FIT → timed track points, nothing stored here.

Anything that is not a track with at least two timed fixes raises `UnsupportedFile` (400 `unsupported_file`):
a GPX of waypoints or an untimed route, a FIT file without GPS records, or bytes of another format.

Every read is linear in the file and bounded:
- GPX is read by a streaming expat parser hardened here, not by gpxpy. gpxpy cannot be made safe: before it
  parses, it runs `\\sxmlns:?[^=]*="[^"]+"` over the whole text (quadratic for each ` xmlns` without `="…"`,
  and text content can carry those, so no pre-check of the markup stops it), registers every declared
  namespace in ElementTree's process-global map (which only grows), and builds the whole document as a tree
  and then as objects before it returns a point (hundreds of MB for a 20 MB file), with no way to stop it
  midway. Feeding it a sanitised document would mean extracting every point first, which is the whole job.
  The parser refuses DTDs and entities, more than `GPX_MAX_NAMESPACES` namespace declarations, elements with
  more than `GPX_MAX_ATTRIBUTES` attributes, nesting deeper than `GPX_MAX_DEPTH`, and over-long values.
- FIT is read by fitdecode, frame by frame, stopping at `max_points` fixes or `FIT_MAX_FRAMES` frames.
- Both check a deadline (`ImportBudget`) as they go and stop with `ImportTooSlow` when it passes.

`scan_first_fix` is the cheap read the request does: the first timed fix within the first
`SCAN_MAX_BYTES`, for the duplicate check, without parsing the rest.
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.parsers import expat

import fitdecode
from django.utils.translation import gettext

from runnerway.api.exceptions import ApiError, UnsupportedFile
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

# Limits of the hardened GPX parser. Real files from Garmin, Strava, Apple Health exports, Komoot and
# gpxpy declare 2-8 namespaces, carry 2-5 attributes on an element and nest 6-8 deep (gpx/trk/trkseg/trkpt/
# extensions/gpxtpx:TrackPointExtension/gpxtpx:hr); these leave room for unusual exporters and nothing more.
GPX_MAX_NAMESPACES = 64
GPX_MAX_ATTRIBUTES = 32
GPX_MAX_DEPTH = 32
# The longest text kept from a value element (time, ele, hr, type): an ISO time with a zone is ~30 chars.
GPX_MAX_VALUE_CHARS = 256
# Bytes handed to expat at once: the budget and the point cap are checked between chunks as well.
_GPX_CHUNK_BYTES = 64 * 1024
# The most bytes the parser may read without an event (one tag, comment or run of markup): a GPX tag is under
# 1 kB. Expat 2.5 re-scans an unfinished token from its start on every chunk fed, so one huge tag (say 16 000
# namespace declarations) would cost quadratic time; refusing it after 128 kB keeps the parse linear.
GPX_MAX_TOKEN_BYTES = 2 * _GPX_CHUNK_BYTES
# FIT frames (headers, definitions, data messages) read at most per allowed fix: a 1 Hz FIT has ~1.1 frames a
# record (laps, events, device info); 4x leaves room and still bounds a file of anything but records.
FIT_FRAMES_PER_POINT = 4
# The request's duplicate check reads no further than this for the first fix: ~3 000 GPX fixes (~70 ms), far
# beyond any file header. A file whose first fix lies deeper is checked by the job. FIT: the frames read at most
# (fitdecode is pure Python, ~50 us a frame); a watch writes its first fix within the first few hundred.
SCAN_MAX_BYTES = 256 * 1024
SCAN_MAX_FIT_FRAMES = 2000
# A ceiling for the scan in the request, far above what SCAN_MAX_BYTES costs (~0.1 s): a loaded machine
# answers 202 and leaves the duplicate check to the job rather than hold the request.
SCAN_BUDGET_S = 0.5

_GPX_NAMESPACES = {"http://www.topografix.com/GPX/1/1", "http://www.topografix.com/GPX/1/0", ""}


class ImportTooSlow(ApiError):
    """The import ran past its time budget (IMPORT_TIME_BUDGET_S)."""

    default_code = "import_timeout"


class TooManyPoints(ApiError):
    """More fixes than one import may hold (IMPORT_MAX_POINTS)."""

    default_code = "too_many_points"


@dataclass
class ImportBudget:
    """A deadline for one import (monotonic clock); `check()` raises ImportTooSlow once it has passed."""

    seconds: float
    deadline: float = field(init=False)

    def __post_init__(self):
        self.deadline = time.monotonic() + self.seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise ImportTooSlow(gettext("The file took longer than %(seconds)g s to import.")
                                % {"seconds": self.seconds})


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


@dataclass(frozen=True)
class FirstFix:
    """What the request learns from a cheap scan: the format, and the first timed fix when one was found
    (None: not within SCAN_MAX_BYTES, the job checks the start)."""

    source: str  # Workout.Source
    recorded_at: datetime | None


def detect_source(content_head: bytes) -> str:
    """GPX or FIT from the first bytes (a FIT header says `.FIT` at offset 8; GPX is XML)."""
    if len(content_head) >= 12 and content_head[8:12] == b".FIT":
        return Workout.Source.FIT
    if content_head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return Workout.Source.GPX
    raise UnsupportedFile(gettext("The file is neither GPX nor FIT."))


def parse_activity_file(*, content: bytes, max_points: int, budget: ImportBudget) -> ImportedActivity:
    """Detect the format and parse the whole file: at most `max_points` fixes (TooManyPoints beyond), within
    `budget` (ImportTooSlow)."""
    if len(content) > MAX_IMPORT_BYTES:
        raise UnsupportedFile(gettext("The file is larger than %(megabytes)s MB.")
                              % {"megabytes": MAX_IMPORT_BYTES // (1024 * 1024)})
    if detect_source(content[:64]) == Workout.Source.FIT:
        activity = parse_fit(content, max_points=max_points, budget=budget)
    else:
        activity = parse_gpx(content, max_points=max_points, budget=budget)
    if len(activity.points) < MIN_TRACK_POINTS:
        raise UnsupportedFile(gettext("The file holds no track: it needs two fixes with a time and a position."))
    return activity


def scan_first_fix(content_head: bytes, *, complete: bool) -> FirstFix:
    """The format and the first timed fix from the file's first bytes (`complete`: they are the whole file),
    reading at most SCAN_MAX_BYTES of a GPX or SCAN_MAX_FIT_FRAMES frames of a FIT file.

    Raises UnsupportedFile for another format, for GPX the hardened parser refuses within those bytes, and for
    a whole GPX read to its end without two timed fixes (then the answer is final, not a guess).
    """
    content = content_head[:SCAN_MAX_BYTES]
    source = detect_source(content[:64])
    budget = ImportBudget(seconds=SCAN_BUDGET_S)
    if source == Workout.Source.FIT:
        reader = _FitPoints(content, max_points=1, budget=budget, check_crc=False, max_frames=SCAN_MAX_FIT_FRAMES)
        # a FIT the head cannot tell about: the job reads the whole file and says what is wrong with it
        with contextlib.suppress(TooManyPoints, UnsupportedFile, ImportTooSlow):
            reader.read(stop_at_points=1)
        return FirstFix(source=source, recorded_at=reader.points[0].recorded_at if reader.points else None)
    whole = complete and len(content_head) <= SCAN_MAX_BYTES
    reader = _GpxPoints(max_points=SCAN_MAX_BYTES, budget=budget)
    try:
        reader.feed(content, final=whole, stop_at_points=None if whole else 1)
    except ImportTooSlow:
        return FirstFix(source=source, recorded_at=None)
    if not whole:
        return FirstFix(source=source, recorded_at=reader.points[0].recorded_at if reader.points else None)
    activity = reader.activity()
    _require_track(activity)
    return FirstFix(source=source, recorded_at=activity.started_at)


def _require_track(activity: ImportedActivity) -> None:
    if len(activity.points) < MIN_TRACK_POINTS:
        raise UnsupportedFile(gettext("The file holds no track: it needs two fixes with a time and a position."))


def _as_utc(value: datetime) -> datetime:
    # a GPX time without a zone is UTC by the GPX schema (xsd:dateTime in UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _activity_type(label: str | None) -> str:
    return Workout.Type.WALKING if (label or "").strip().lower() in _WALKING_TYPES else Workout.Type.RUNNING


def _plausible_heart_rate(value: float | None) -> int | None:
    """A heart rate a file may carry (0 is "no contact" on chest straps; above 250 bpm is not a heart)."""
    if value is None or not 0 < value <= HEART_RATE_MAX_BPM:
        return None
    return round(value)


# --- GPX ------------------------------------------------------------------------------------------------------


class _StopParsing(Exception):
    """Raised from a handler to stop expat once the scan has what it wanted."""


class _GpxPoints:
    """A streaming GPX 1.0/1.1 track reader on expat: `trk/trkseg/trkpt` with `lat`/`lon`, `time`, `ele`, and a
    heart rate from any extension element named `hr` (Garmin's `gpxtpx:hr` and the like); the first track's
    `type`. Untimed fixes are skipped (a planned route). Memory: the points kept, nothing else.

    Namespaces are processed by expat (names arrive as `uri local`); the GPX elements are matched in the GPX
    namespaces (or none, as some exporters write), extension elements by local name in any namespace.
    """

    def __init__(self, *, max_points: int, budget: ImportBudget):
        self.max_points = max_points
        self.budget = budget
        self.points: list[ImportedPoint] = []
        self.activity_label: str | None = None
        self._depth = 0
        self._namespaces = 0
        self._path: list[str] = []  # GPX local names of the open GPX elements ("" for anything else)
        self._text: list[str] | None = None  # collecting the text of a value element
        self._text_chars = 0
        self._point: dict | None = None
        self._in_extensions = 0
        self._stop_at_points: int | None = None
        parser = expat.ParserCreate(namespace_separator=" ")
        # No DTD, hence no entity of any kind (internal ones expand, external ones fetch): GPX needs none.
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        parser.EntityDeclHandler = self._refuse_dtd
        parser.ExternalEntityRefHandler = self._refuse_dtd
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartNamespaceDeclHandler = self._namespace
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._characters
        parser.CommentHandler = self._comment
        parser.buffer_text = True
        self._parser = parser
        self._event_at = 0  # byte offset of the latest event: how far expat got

    def feed(self, content: bytes, *, final: bool = True, stop_at_points: int | None = None) -> None:
        """Parse `content` in chunks (`final`: it is the whole document). `stop_at_points`: return as soon as
        that many timed fixes were read."""
        self._stop_at_points = stop_at_points
        if content.startswith(b"\xef\xbb\xbf"):
            content = content[3:]
        try:
            for offset in range(0, len(content), _GPX_CHUNK_BYTES):
                self.budget.check()
                chunk = content[offset:offset + _GPX_CHUNK_BYTES]
                self._parser.Parse(chunk, final and offset + _GPX_CHUNK_BYTES >= len(content))
                if offset + len(chunk) - self._event_at > GPX_MAX_TOKEN_BYTES:
                    raise UnsupportedFile(gettext("The GPX document has a tag or comment longer than %(kilobytes)s kB.")
                                          % {"kilobytes": GPX_MAX_TOKEN_BYTES // 1024})
            if final and not content:
                self._parser.Parse(b"", True)
        except _StopParsing:
            return
        except expat.ExpatError as exc:
            raise UnsupportedFile(gettext("The file is not a readable GPX document (%(error)s, line %(line)s).")
                                  % {"error": expat.errors.messages[exc.code], "line": exc.lineno}) from exc

    def activity(self) -> ImportedActivity:
        points = sorted(self.points, key=lambda p: p.recorded_at)
        return ImportedActivity(source=Workout.Source.GPX, activity_type=_activity_type(self.activity_label),
                                points=points)

    # handlers

    def _refuse_dtd(self, *args):
        raise UnsupportedFile(gettext("The GPX document declares a DTD or entities, which GPX never needs."))

    def _comment(self, data):
        self._event_at = self._parser.CurrentByteIndex

    def _namespace(self, prefix, uri):
        self._namespaces += 1
        if self._namespaces > GPX_MAX_NAMESPACES:
            raise UnsupportedFile(gettext("The GPX document declares more than %(count)s namespaces.")
                                  % {"count": GPX_MAX_NAMESPACES})

    def _start(self, name: str, attributes: dict):
        self._event_at = self._parser.CurrentByteIndex
        self._depth += 1
        if self._depth > GPX_MAX_DEPTH:
            raise UnsupportedFile(gettext("The GPX document nests deeper than %(count)s elements.")
                                  % {"count": GPX_MAX_DEPTH})
        if len(attributes) > GPX_MAX_ATTRIBUTES:
            raise UnsupportedFile(gettext("A GPX element has more than %(count)s attributes.")
                                  % {"count": GPX_MAX_ATTRIBUTES})
        uri, _, local = name.rpartition(" ")
        in_gpx = uri in _GPX_NAMESPACES and not self._in_extensions
        self._path.append(local if in_gpx else "")
        if local == "extensions":
            self._in_extensions += 1
        path = self._path
        if in_gpx and local == "trkpt" and path[-2:-1] == ["trkseg"]:
            self._point = {"lat": attributes.get("lat"), "lon": attributes.get("lon")}
        elif (self._point is not None and (
            (in_gpx and local in ("time", "ele") and path[-2] == "trkpt")
            or (self._in_extensions and local == "hr")
        )) or (in_gpx and local == "type" and path[-2:-1] == ["trk"] and self.activity_label is None):
            self._text, self._text_chars = [], 0

    def _characters(self, data: str):
        self._event_at = self._parser.CurrentByteIndex
        if self._text is not None:
            self._text_chars += len(data)
            if self._text_chars > GPX_MAX_VALUE_CHARS:
                raise UnsupportedFile(gettext("A GPX value (time, elevation, heart rate, type) is too long."))
            self._text.append(data)

    def _end(self, name: str):
        self._event_at = self._parser.CurrentByteIndex
        local = self._path.pop()
        self._depth -= 1
        if name.endswith(" extensions") or name == "extensions":
            self._in_extensions -= 1
        raw_local = name.rpartition(" ")[2]
        if self._text is not None:
            value = "".join(self._text).strip()
            self._text = None
            if self._point is not None and local in ("time", "ele"):
                self._point[local] = value
            elif self._point is not None and raw_local == "hr" and self._in_extensions:
                self._point.setdefault("hr", value)
            elif local == "type":
                self.activity_label = value
        if local == "trkpt" and self._point is not None:
            point, self._point = self._point, None
            self._add_point(point)

    def _add_point(self, point: dict) -> None:
        if not point.get("time"):
            return  # an untimed fix (a planned route)
        try:
            recorded_at = _as_utc(datetime.fromisoformat(point["time"]))
            latitude, longitude = float(point["lat"]), float(point["lon"])
            altitude = float(point["ele"]) if point.get("ele") else None
        except (TypeError, ValueError) as exc:
            raise UnsupportedFile(gettext("A GPX track point has an unreadable time or position (point %(number)s).")
                                  % {"number": len(self.points) + 1}) from exc
        if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
            raise UnsupportedFile(gettext("A GPX track point lies outside the globe (point %(number)s).")
                                  % {"number": len(self.points) + 1})
        heart_rate = None
        if point.get("hr"):
            try:
                heart_rate = _plausible_heart_rate(float(point["hr"]))
            except ValueError:
                heart_rate = None
        if len(self.points) >= self.max_points:
            raise TooManyPoints(gettext("The file holds more than %(count)s track points.")
                                % {"count": self.max_points})
        self.points.append(ImportedPoint(recorded_at=recorded_at, latitude=latitude, longitude=longitude,
                                         altitude=altitude, heart_rate=heart_rate))
        if self._stop_at_points is not None and len(self.points) >= self._stop_at_points:
            raise _StopParsing
        if len(self.points) % 4096 == 0:
            self.budget.check()


def parse_gpx(content: bytes, *, max_points: int, budget: ImportBudget) -> ImportedActivity:
    reader = _GpxPoints(max_points=max_points, budget=budget)
    reader.feed(content)
    return reader.activity()


# --- FIT ------------------------------------------------------------------------------------------------------


# FIT times are seconds since 1989-12-31T00:00:00Z (the FIT epoch).
_FIT_EPOCH_S = 631065600
# FIT `sport` enum values that are on foot but not running (profile: 11 walking, 17 hiking).
_FIT_WALKING_SPORTS = {11: "walking", 17: "hiking"}


def _fit_fields(frame: fitdecode.FitDataMessage) -> dict:
    """name → raw value of a data message's fields, in one pass (`has_field`/`get_value` scan every field per
    call). Raw: fitdecode applied scale and offset; no processor turned times into datetimes (40 % faster)."""
    return {field.name: field.value for field in frame.fields if field.value is not None}


def _fit_time(value) -> datetime | None:
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, int) and value >= 0x10000000:  # below: seconds since power-on, not a date (FIT profile)
        return datetime.fromtimestamp(_FIT_EPOCH_S + value, tz=UTC)
    return None


def _fit_sport_label(value) -> str | None:
    if isinstance(value, int):
        return _FIT_WALKING_SPORTS.get(value, "running")
    return None if value is None else str(value)


class _FitPoints:
    """FIT activity: `record` messages (timestamp, position in semicircles, altitude, heart rate, speed) and the
    `session` (sport, total calories as measured by the device), read frame by frame with fitdecode."""

    def __init__(self, content: bytes, *, max_points: int, budget: ImportBudget, check_crc: bool = True,
                 max_frames: int | None = None):
        self.content = content
        self.max_points = max_points
        self.max_frames = max_frames if max_frames is not None else max_points * FIT_FRAMES_PER_POINT + 1000
        self.budget = budget
        self.check_crc = check_crc
        self.points: list[ImportedPoint] = []
        self.sport = None
        self.calories: float | None = None

    def read(self, *, stop_at_points: int | None = None) -> None:
        crc = fitdecode.CrcCheck.ENABLED if self.check_crc else fitdecode.CrcCheck.DISABLED
        try:
            with fitdecode.FitReader(io.BytesIO(self.content), check_crc=crc, processor=None) as reader:
                self.budget.check()
                for frames, frame in enumerate(reader, start=1):
                    if frames > self.max_frames:
                        raise TooManyPoints(gettext("The file holds more than %(count)s FIT messages.")
                                            % {"count": self.max_frames})
                    if frames % 1024 == 0:
                        self.budget.check()
                    if not isinstance(frame, fitdecode.FitDataMessage):
                        continue
                    if frame.name == "record":
                        self._record(frame)
                        if stop_at_points is not None and len(self.points) >= stop_at_points:
                            return
                    elif frame.name in ("session", "sport"):
                        fields = _fit_fields(frame)
                        self.sport = self.sport or _fit_sport_label(fields.get("sport"))
                        if frame.name == "session":
                            total = fields.get("total_calories")
                            self.calories = float(total) if total else self.calories
        except (fitdecode.FitError, ValueError, TypeError, EOFError) as exc:
            raise UnsupportedFile(gettext("The file is not a readable FIT activity.")) from exc

    def _record(self, frame: fitdecode.FitDataMessage) -> None:
        fields = _fit_fields(frame)
        recorded_at = _fit_time(fields.get("timestamp"))
        lat, lon = fields.get("position_lat"), fields.get("position_long")
        if recorded_at is None or not isinstance(lat, int) or not isinstance(lon, int):
            return  # a record without a fix (indoor, or before the GPS locked)
        if len(self.points) >= self.max_points:
            raise TooManyPoints(gettext("The file holds more than %(count)s track points.")
                                % {"count": self.max_points})
        altitude = fields.get("enhanced_altitude", fields.get("altitude"))
        heart_rate = fields.get("heart_rate")
        speed = fields.get("enhanced_speed", fields.get("speed"))
        self.points.append(ImportedPoint(
            recorded_at=recorded_at, latitude=lat * _DEGREES_PER_SEMICIRCLE,
            longitude=lon * _DEGREES_PER_SEMICIRCLE,
            altitude=None if altitude is None else float(altitude),
            heart_rate=_plausible_heart_rate(heart_rate),
            speed=None if speed is None else float(speed),
        ))

    def activity(self) -> ImportedActivity:
        points = sorted(self.points, key=lambda p: p.recorded_at)
        return ImportedActivity(source=Workout.Source.FIT,
                                activity_type=_activity_type(self.sport),
                                points=points, device_calories_kcal=self.calories)


def parse_fit(content: bytes, *, max_points: int, budget: ImportBudget, check_crc: bool = True) -> ImportedActivity:
    reader = _FitPoints(content, max_points=max_points, budget=budget, check_crc=check_crc)
    reader.read()
    return reader.activity()
