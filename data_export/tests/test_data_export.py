"""A runner's data export: a job builds the zip, a signed link hands it out for 24 h, once a day."""

import io
import json
import zipfile
from datetime import timedelta

import gpxpy
import pytest
from django.utils import timezone

from community.models import Follow
from community.tests.factories import CommentFactory, PostFactory, route_with_options, straight_track
from conftest import client_for
from data_export import services
from data_export.models import DataExport
from workouts.tests.factories import WorkoutFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def runner_with_data(user, other_user):
    workout = WorkoutFactory(completed=True, user=user)
    straight_track(workout, length_m=500)
    workout.points.update(heart_rate=150)
    route_with_options(user=user, options=2, name="Heart by the river")
    mine = PostFactory(author=user, content="My first heart")
    CommentFactory(post=mine, author=other_user, content="Lovely!")
    PostFactory(author=other_user, content="someone else's private thoughts", visibility="private")
    Follow.objects.create(follower=user, followee=other_user)
    return user


def export_now(client, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/users/me/export")
    assert response.status_code == 202, response.json()
    assert response.json()["data"]["status"] == "queued"
    return response.json()["data"]


def download(api_client, url: str) -> zipfile.ZipFile:
    response = api_client.get(url)  # no Authorization: the signed link is the key
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_zip_holds_my_data_and_no_one_elses(runner_with_data, api_client, other_user,
                                                django_capture_on_commit_callbacks):
    user = runner_with_data
    client = client_for(user)
    export_now(client, django_capture_on_commit_callbacks)
    status = client.get("/api/v1/users/me/export").json()["data"]
    assert status["status"] == "ready" and status["size_bytes"] > 0
    assert status["download_url"].startswith("http://testserver/api/v1/users/me/export/download?token=")
    archive = download(api_client, status["download_url"])
    names = archive.namelist()
    assert "README.txt" in names and "profile.json" in names
    assert json.loads(archive.read("profile.json"))["email"] == user.email

    gpx_names = [n for n in names if n.startswith("workouts/") and n.endswith(".gpx")]
    assert len(gpx_names) == 1
    track = gpxpy.parse(archive.read(gpx_names[0]).decode())
    points = track.tracks[0].segments[0].points
    assert len(points) == 51 and "150" in ElementText.of(points[0])
    metrics = json.loads(archive.read(gpx_names[0].replace(".gpx", ".json")))
    assert metrics["distance"] == 5.0 and "splits" in metrics

    route_files = [n for n in names if n.startswith("routes/")]
    assert len([n for n in route_files if n.endswith(".gpx")]) == 2
    route_json = json.loads(archive.read(next(n for n in route_files if n.endswith("route.json"))))
    assert route_json["name"] == "Heart by the river" and len(route_json["options"]) == 2

    posts = json.loads(archive.read("posts.json"))
    assert [p["content"] for p in posts] == ["My first heart"]
    assert posts[0]["comments"] == [{"author_name": other_user.name, "content": "Lovely!",
                                     "created_at": posts[0]["comments"][0]["created_at"]}]
    everything = b"".join(archive.read(n) for n in names).decode()
    assert other_user.email not in everything and "someone else's private thoughts" not in everything
    follows = json.loads(archive.read("follows.json"))
    assert follows["following"][0]["name"] == other_user.name and follows["followers"] == []


class ElementText:
    @staticmethod
    def of(point) -> str:
        return "".join(element.text or "" for extension in point.extensions for element in extension.iter())


def test_one_export_a_day(user, django_capture_on_commit_callbacks):
    client = client_for(user)
    export_now(client, django_capture_on_commit_callbacks)
    again = client.post("/api/v1/users/me/export")
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "throttled"
    assert 86_000 < int(again["Retry-After"]) <= 86_400
    assert DataExport.objects.filter(user=user).count() == 1
    DataExport.objects.filter(user=user).update(created_at=timezone.now() - timedelta(days=1, seconds=1))
    export_now(client, django_capture_on_commit_callbacks)  # a day later: allowed


def test_a_failed_export_does_not_use_up_the_day(user, django_capture_on_commit_callbacks):
    DataExport.objects.create(user=user, status=DataExport.Status.FAILED)
    export_now(client_for(user), django_capture_on_commit_callbacks)


def test_a_forged_or_expired_link_is_a_404(user, api_client, django_capture_on_commit_callbacks, monkeypatch):
    client = client_for(user)
    export_now(client, django_capture_on_commit_callbacks)
    url = client.get("/api/v1/users/me/export").json()["data"]["download_url"]
    forged = api_client.get(url[:-3] + "abc")
    assert forged.status_code == 404 and forged.json()["error"]["code"] == "not_found"
    real_time = __import__("time").time
    monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() + 24 * 3600 + 5)
    assert api_client.get(url).status_code == 404


def test_nobody_sees_anothers_export(user, other_user, django_capture_on_commit_callbacks):
    export_now(client_for(user), django_capture_on_commit_callbacks)
    response = client_for(other_user).get("/api/v1/users/me/export")
    assert response.status_code == 404


def test_the_job_is_safe_to_run_twice_and_expired_files_are_deleted(user):
    export = DataExport.objects.create(user=user)
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    first_file = export.file.name
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.file.name == first_file and export.status == "ready"
    storage = export.file.storage
    assert storage.exists(first_file)
    assert services.exports_expire(now=export.finished_at + timedelta(hours=23)) == 0
    assert services.exports_expire(now=export.finished_at + timedelta(hours=25)) == 1
    export.refresh_from_db()
    assert export.status == "expired" and not storage.exists(first_file)


def test_a_large_export_is_built_in_runs_each_adding_what_is_missing(user):
    for day in range(3):
        straight_track(WorkoutFactory(completed=True, user=user, started_at=timezone.now() - timedelta(days=day + 1)),
                       length_m=100)
    export = DataExport.objects.create(user=user)
    for _ in range(2):  # a budget of 0 s: one workout a run, then the job hands over to its next run
        assert services.export_build(export_id=export.pk, budget_s=0).status == "queued"
    done = services.export_build(export_id=export.pk, budget_s=0)
    assert done.status == "ready"
    with done.file.open("rb") as handle:
        names = zipfile.ZipFile(handle).namelist()
    assert len(names) == len(set(names))  # nothing written twice
    assert len([n for n in names if n.startswith("workouts/") and n.endswith(".gpx")]) == 3
