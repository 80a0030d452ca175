"""GPX/FIT import and GPX export: round trip with known figures, duplicates, files that are not tracks."""

import io
from datetime import timedelta

import gpxpy
import pytest

from workouts.exports import GARMIN_TPX_NS
from workouts.models import Workout, WorkoutImport, WorkoutPoint
from workouts.tests.factories import START, loop_points
from workouts.tests.fit_builder import build_fit_activity
from workouts.tests.import_files import IMPORT_URL, gpx_of, import_workout, upload


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"

def test_gpx_import_export_import_round_trip(auth_client, user):
    # 1 201 fixes, 1 Hz, 5:00/km: 4.00 km in 1 200 s, heart rate 150, a gentle ±4 m hill each lap
    points = loop_points(count=1201, altitude_amplitude_m=4.0)
    response = import_workout(auth_client, gpx_of(points))
    assert response.status_code == 200, response.json()
    first = response.json()["data"]
    assert (first["status"], first["source"], first["type"]) == ("completed", "gpx", "running")
    assert first["started_at"] == "2026-05-01T06:30:00Z"
    assert first["distance"] == pytest.approx(4.0, abs=0.02)
    assert first["duration"] == 1200
    assert first["avg_pace"] == "5:00"
    assert [s["pace"] for s in first["splits"][:4]] == ["5:00"] * 4
    assert first["heart_rate_avg"] == 150
    assert first["elevation_gain"] > 0
    assert WorkoutPoint.objects.filter(workout_id=first["id"]).count() == 1201

    exported = auth_client.get(f"/api/v1/workouts/{first['id']}/gpx")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/gpx+xml")
    assert "attachment" in exported["Content-Disposition"]
    document = gpxpy.parse(exported.content.decode())
    exported_points = document.tracks[0].segments[0].points
    assert len(exported_points) == 1201
    assert exported_points[0].time == START
    assert exported_points[-1].time == START + timedelta(seconds=1200)
    assert exported_points[10].elevation == pytest.approx(points[10]["altitude"], abs=0.05)
    assert exported_points[10].latitude == pytest.approx(points[10]["latitude"], abs=1e-7)
    hr = [e for e in exported_points[0].extensions[0].iter() if e.tag == f"{{{GARMIN_TPX_NS}}}hr"]
    assert hr[0].text == "150"

    # the same file again: the start time is taken
    duplicate = upload(auth_client, exported.content, "again.gpx")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "conflict"
    assert Workout.objects.filter(user=user).count() == 1

    # once the original is deleted, the export imports back to the same figures
    assert auth_client.delete(f"/api/v1/workouts/{first['id']}").status_code == 204
    second = import_workout(auth_client, exported.content, "again.gpx").json()["data"]
    for field in ("distance", "duration", "elapsed_duration", "avg_pace", "heart_rate_avg", "elevation_gain",
                  "splits", "started_at", "completed_at"):
        assert second[field] == first[field], field


def test_fit_import(auth_client):
    points = loop_points(count=601, speed_mps=1.4)  # a 10 minute walk at 1.4 m/s
    fit_points = [
        {"time": START + timedelta(seconds=p["seq"]), "lat": p["latitude"], "lon": p["longitude"],
         "alt": p["altitude"], "hr": 110, "speed": 1.4}
        for p in points
    ]
    content = build_fit_activity(fit_points, sport=11, total_calories=42)
    response = import_workout(auth_client, content, "walk.fit")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["source"], data["type"], data["status"]) == ("fit", "walking", "completed")
    assert data["started_at"] == "2026-05-01T06:30:00Z"
    assert data["distance"] == pytest.approx(0.84, abs=0.01)  # 600 s x 1.4 m/s
    assert data["duration"] == 600
    assert data["heart_rate_avg"] == 110
    # the device's calories win over the estimate
    assert (data["calories"], data["calories_source"], data["calories_estimated"]) == (42, "device", False)


def test_a_fit_file_with_a_bad_crc_fails_its_import(auth_client, user):
    """The checksum covers the whole file: the request only reads its head (202), the job finds it wrong."""
    points = [{"time": START + timedelta(seconds=i), "lat": 37.5, "lon": 127.0 + i * 1e-5, "alt": 10.0,
               "hr": 100, "speed": 1.0} for i in range(10)]
    content = bytearray(build_fit_activity(points))
    content[-1] ^= 0xFF
    response = upload(auth_client, bytes(content), "broken.fit")
    assert response.status_code == 202
    data = response.json()["data"]
    assert (data["status"], data["error_code"], data["workout_id"]) == ("failed", "unsupported_file", None)
    assert "FIT" in data["error_message"]
    assert not Workout.objects.filter(user=user).exists()
    assert WorkoutImport.objects.get(pk=data["id"]).upload_name == ""


@pytest.mark.parametrize("content", [
    b"name,distance\nmorning run,5.0\n",
    b"<gpx version='1.1' xmlns='http://www.topografix.com/GPX/1/1'><wpt lat='37.5' lon='127.0'/></gpx>",
    b"<html><body>not a track</body></html>",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
])
def test_files_that_are_not_tracks_are_unsupported(auth_client, user, content):
    response = upload(auth_client, content, "file.gpx")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"
    assert not Workout.objects.filter(user=user).exists()
    assert not WorkoutImport.objects.filter(user=user).exists()


def test_a_gpx_route_without_times_is_not_a_track(auth_client):
    points = loop_points(count=20)
    document = gpxpy.parse(gpx_of(points).decode())
    for point in document.tracks[0].segments[0].points:
        point.time = None
    response = upload(auth_client, document.to_xml().encode())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"


def test_upload_size_is_capped(auth_client, monkeypatch):
    monkeypatch.setattr("workouts.views.MAX_IMPORT_BYTES", 1000)
    response = upload(auth_client, gpx_of(loop_points(count=20)))
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_import_needs_a_file(auth_client):
    response = auth_client.post(IMPORT_URL, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_gpx_without_heart_rate_or_zone(auth_client):
    content = gpx_of(loop_points(count=61), heart_rate=False).replace(b"Z</time>", b"</time>")
    data = import_workout(auth_client, io.BytesIO(content).read()).json()["data"]
    assert data["heart_rate_avg"] is None
    assert data["started_at"] == "2026-05-01T06:30:00Z"  # a time without a zone is UTC (GPX schema)
