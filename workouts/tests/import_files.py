"""Activity files for the import tests: GPX built with gpxpy, raw GPX text at scale, and the upload helpers."""

from datetime import datetime, timedelta
from xml.etree import ElementTree

import gpxpy
import gpxpy.gpx
from django.core.files.uploadedfile import SimpleUploadedFile

from workouts.exports import GARMIN_TPX_NS
from workouts.tests.factories import START

IMPORT_URL = "/api/v1/workouts/import"


def gpx_of(points: list[dict], *, heart_rate: bool = True, activity_type: str = "running") -> bytes:
    """A GPX 1.1 track built with gpxpy from API point dicts, heart rate as Garmin TrackPointExtension."""
    document = gpxpy.gpx.GPX()
    document.nsmap["gpxtpx"] = GARMIN_TPX_NS
    track = gpxpy.gpx.GPXTrack(name="Test run")
    track.type = activity_type
    segment = gpxpy.gpx.GPXTrackSegment()
    for point in points:
        gpx_point = gpxpy.gpx.GPXTrackPoint(point["latitude"], point["longitude"], elevation=point["altitude"],
                                            time=datetime.fromisoformat(point["recorded_at"]))
        if heart_rate:
            extension = ElementTree.Element(f"{{{GARMIN_TPX_NS}}}TrackPointExtension")
            ElementTree.SubElement(extension, f"{{{GARMIN_TPX_NS}}}hr").text = str(point["heart_rate"])
            gpx_point.extensions.append(extension)
        segment.points.append(gpx_point)
    track.segments.append(segment)
    document.tracks.append(track)
    return document.to_xml(version="1.1").encode()


def raw_gpx(count: int, *, start: datetime = START, header: str = "", metadata: str = "") -> bytes:
    """A valid GPX 1.1 track of `count` 1 Hz fixes drifting east (~80 bytes a fix: 250 000 make 19.5 MiB),
    written as text so tests can build files of any size quickly. `header`: extra attributes on <gpx>."""
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="tests" '
             f'xmlns="http://www.topografix.com/GPX/1/1"{header}>{metadata}\n<trk><type>running</type><trkseg>\n']
    for index in range(count):
        at = (start + timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f'<trkpt lat="{37.5 + index * 1e-7:.6f}" lon="{127.0 + index * 2.5e-5:.6f}">'
                     f"<time>{at}</time></trkpt>\n")
    lines.append("</trkseg></trk></gpx>\n")
    return "".join(lines).encode()


def upload(client, content: bytes, name: str = "run.gpx"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def import_workout(client, content: bytes, name: str = "run.gpx"):
    """Upload and (the test settings run jobs in-process) return the GET of the imported workout."""
    response = upload(client, content, name)
    assert response.status_code == 202, response.json()
    workout_import = response.json()["data"]
    assert workout_import["status"] == "succeeded", workout_import
    return client.get(f"/api/v1/workouts/{workout_import['workout_id']}")
