"""GPX 1.1 export of a workout (gpxpy), with time, elevation and heart rate in Garmin's TrackPointExtension —
the extension Strava, Garmin Connect and most watches read heart rate from."""

from __future__ import annotations

from xml.etree import ElementTree

import gpxpy.gpx

from workouts.models import Workout
from workouts.selectors import workout_track

GARMIN_TPX_NS = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"


def workout_gpx(*, workout: Workout) -> str:
    """The workout's kept points as one GPX track (one segment), as an XML string."""
    track = workout_track(workout=workout)
    document = gpxpy.gpx.GPX()
    document.creator = "RunnerWay"
    document.nsmap["gpxtpx"] = GARMIN_TPX_NS
    document.time = workout.started_at
    gpx_track = gpxpy.gpx.GPXTrack(name=f"RunnerWay {workout.get_type_display().lower()} "
                                        f"{workout.started_at:%Y-%m-%d %H:%M} UTC")
    gpx_track.type = workout.type
    segment = gpxpy.gpx.GPXTrackSegment()
    for (lat, lon), recorded_at, altitude, heart_rate in zip(
        track.coordinates, track.times, track.altitudes, track.heart_rates, strict=True
    ):
        point = gpxpy.gpx.GPXTrackPoint(lat, lon, elevation=altitude, time=recorded_at)
        if heart_rate:
            extension = ElementTree.Element(f"{{{GARMIN_TPX_NS}}}TrackPointExtension")
            ElementTree.SubElement(extension, f"{{{GARMIN_TPX_NS}}}hr").text = str(heart_rate)
            point.extensions.append(extension)
        segment.points.append(point)
    gpx_track.segments.append(segment)
    document.tracks.append(gpx_track)
    return document.to_xml(version="1.1")


def gpx_file_name(workout: Workout) -> str:
    return f"workout-{workout.started_at:%Y%m%d-%H%M}-{str(workout.pk)[:8]}.gpx"
