"""Admin: the workout list with its filters, and a change page with the SVG track and read-only points."""

from datetime import datetime

import pytest

from accounts.tests.factories import UserFactory
from workouts import services
from workouts.admin import ADMIN_POINTS_SHOWN, track_svg
from workouts.tests.factories import WorkoutFactory, loop_points


@pytest.fixture
def staff_client(client, db):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    return client


def test_changelist_with_filters(staff_client, user):
    WorkoutFactory(user=user, status="completed", type="walking")
    response = staff_client.get("/admin/workouts/workout/?status__exact=completed&type__exact=walking")
    assert response.status_code == 200
    assert user.email in response.content.decode()
    assert staff_client.get("/admin/workouts/workout/?status__exact=active").content.decode().count(
        user.email) == 0


def test_change_page_draws_the_track_and_limits_points(staff_client, user):
    workout = WorkoutFactory(user=user)
    points = [{**p, "recorded_at": datetime.fromisoformat(p["recorded_at"])} for p in loop_points(count=250)]
    services.workout_add_points(workout=workout, points=points)
    page = staff_client.get(f"/admin/workouts/workout/{workout.pk}/change/").content.decode()
    assert "<svg" in page and "<polyline" in page
    assert "250 points used of 250 stored" in page
    # the inline lists the first ADMIN_POINTS_SHOWN points, read-only (no inputs for point fields)
    assert page.count('class="field-seq"') == ADMIN_POINTS_SHOWN
    assert 'name="points-0-latitude"' not in page


def test_track_svg_needs_two_points():
    assert track_svg([(37.5, 127.0)]) == ""
    svg = track_svg([(37.5, 127.0), (37.501, 127.001), (37.502, 127.0)])
    assert svg.startswith("<svg") and svg.count("<circle") == 2
