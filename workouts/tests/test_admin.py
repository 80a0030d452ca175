"""Admin: the workout list with its filters, and a change page with the map, readable metrics and paged points."""

import json
import re
from datetime import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from workouts import services
from workouts.admin import ADMIN_POINTS_PER_PAGE
from workouts.models import Workout
from workouts.tests.factories import WorkoutFactory, loop_points


@pytest.fixture
def staff_client(client, db):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    return client


def _points(count: int) -> list[dict]:
    return [{**p, "recorded_at": datetime.fromisoformat(p["recorded_at"])} for p in loop_points(count=count)]


def test_changelist_with_filters(staff_client, user):
    walk = WorkoutFactory(user=user, status="completed", type="walking")
    link = f"/admin/workouts/workout/{walk.pk}/change/"
    response = staff_client.get("/admin/workouts/workout/?status__exact=completed&type__exact=walking")
    assert response.status_code == 200
    assert link in response.content.decode() and user.name in response.content.decode()
    assert link not in staff_client.get("/admin/workouts/workout/?status__exact=active").content.decode()
    assert b"/admin/workouts/workout/add/" not in response.content  # workouts come from the API


def test_changelist_filters_deleted_workouts(staff_client):
    live, gone = WorkoutFactory(), WorkoutFactory()
    Workout.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    live_link, gone_link = (f"/admin/workouts/workout/{workout.pk}/change/" for workout in (live, gone))
    deleted = staff_client.get("/admin/workouts/workout/", {"deleted": "yes"}).content.decode()
    assert gone_link in deleted and live_link not in deleted
    alive = staff_client.get("/admin/workouts/workout/", {"deleted": "no"}).content.decode()
    assert live_link in alive and gone_link not in alive


def test_change_page_maps_the_track_and_pages_the_points(staff_client, user):
    workout = WorkoutFactory(user=user)
    points = _points(250)
    services.workout_add_points(workout=workout, points=points)
    url = f"/admin/workouts/workout/{workout.pk}/change/"
    page = staff_client.get(url).content.decode()
    assert "vendor/leaflet/leaflet.js" in page
    data = json.loads(re.search(r'<script id="workout-map-data" type="application/json">(.*?)</script>', page,
                                re.S).group(1))
    (track,) = data["lines"]
    assert track["style"] == "track"
    assert track["coordinates"][0] == [round(points[0]["latitude"], 6), round(points[0]["longitude"], 6)]
    assert track["coordinates"][-1] == [round(points[-1]["latitude"], 6), round(points[-1]["longitude"], 6)]
    assert len(track["coordinates"]) == 250
    # one page of points, read-only, folded away; the page links lead on
    assert page.count('class="field-seq"') == ADMIN_POINTS_PER_PAGE
    assert 'name="points-0-latitude"' not in page
    assert "Points page 1 of 5 (250 points)." in page and "?points_page=2" in page
    last = staff_client.get(url, {"points_page": 5}).content.decode()
    assert last.count('class="field-seq"') == ADMIN_POINTS_PER_PAGE
    shown_seqs = [int(seq) for seq in re.findall(r'field-seq">\s*<p>(\d+)</p>', last)]
    assert shown_seqs == [point["seq"] for point in points[200:]]


def test_completed_workout_shows_readable_metrics_and_tables(staff_client, user):
    workout = WorkoutFactory(user=user)
    services.workout_add_points(workout=workout, points=_points(1300))  # 1300 s at 5:00/km: 4.33 km
    workout = services.workout_complete(workout=Workout.objects.get(pk=workout.pk))
    page = staff_client.get(f"/admin/workouts/workout/{workout.pk}/change/").content.decode()
    def shown(field: str) -> str:
        return re.search(rf'field-{field}">.*?<div class="readonly">(.*?)</div>', page, re.S).group(1)

    assert shown("distance_km") == f"{workout.distance_m / 1000:.2f}" == "4.33"
    moving_minutes, moving_seconds = divmod(workout.duration_s, 60)
    assert shown("moving_time") == f"{moving_minutes}:{moving_seconds:02d}"
    assert shown("avg_pace") == "5:00"
    # splits and best efforts as tables, not JSON
    assert '<table class="rw-table">' in page and "&quot;pace_s&quot;" not in page and '"pace_s"' not in page
    assert "<tr><td>1</td><td>1.00</td><td>5:00</td><td>5:00</td><td>0.0</td></tr>" in page  # the first split
    assert "<tr><td>5</td><td>0.33</td><td>1:39</td><td>5:00</td>" in page  # the partial last one
    assert "<tr><td>1.00</td><td>5:00</td><td>5:00</td></tr>" in page  # the 1 km best effort
    # computed metrics are read-only: the only input of the workout itself is deleted_at
    inputs = set(re.findall(r'<input[^>]* name="([a-z_0-9]+)"', page)) - {"csrfmiddlewaretoken"}
    assert {name for name in inputs if not name.startswith(("points-", "pauses-", "_"))} <= {
        "deleted_at_0", "deleted_at_1"}
