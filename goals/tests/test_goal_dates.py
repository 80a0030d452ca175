"""Goal dates are bounded: days outside 1970..2100 and spans longer than the goal type are 400 and create nothing;
a goal stored before the bounds (ending 9999-12-31) still answers its progress and lets workouts be evaluated."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from goals import selectors, tasks
from goals.models import Goal
from workouts.tests.factories import WorkoutFactory

pytestmark = pytest.mark.django_db
GOALS = "/api/v1/goals"


def _body(**fields) -> dict:
    body = {"goal_type": "weekly", "target_type": "distance", "target_value": 20, "start_date": "2026-05-04",
            "end_date": "2026-05-10"}
    body.update(fields)
    return body


def _refused(response, field: str) -> str:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert not Goal.objects.exists()
    return error["fields"][field][0]


@pytest.mark.parametrize("change, field", [
    ({"end_date": "9999-12-31"}, "end_date"),
    ({"goal_type": "monthly", "start_date": "9999-12-01", "end_date": "9999-12-31"}, "start_date"),
    ({"start_date": "0001-01-01", "end_date": "0001-01-07"}, "start_date"),
    ({"start_date": "1969-12-31", "end_date": "1970-01-01"}, "start_date"),
    ({"start_date": "2100-12-31", "end_date": "2101-01-01"}, "end_date"),
])
def test_days_outside_the_range_are_400(auth_client, change, field):
    assert "1970-01-01 and 2100-12-31" in _refused(auth_client.post(GOALS, _body(**change)), field)


@pytest.mark.parametrize("goal_type, start, end, longest", [
    ("weekly", "2026-05-04", "2026-05-11", 7),
    ("weekly", "2026-05-04", "2027-05-04", 7),
    ("monthly", "2026-05-01", "2026-06-01", 31),
    ("monthly", "2026-02-01", "2026-12-31", 31),
])
def test_a_goal_longer_than_its_type_is_400(auth_client, goal_type, start, end, longest):
    message = _refused(auth_client.post(GOALS, _body(goal_type=goal_type, start_date=start, end_date=end)),
                       "end_date")
    assert f"At most {longest} days" in message


@pytest.mark.parametrize("goal_type, start, end", [
    ("weekly", "2026-05-04", "2026-05-10"),  # Monday..Sunday
    ("weekly", "2026-05-07", "2026-05-07"),  # one day
    ("monthly", "2026-05-01", "2026-05-31"),
    ("monthly", "2026-02-01", "2026-02-28"),
    ("monthly", "2100-12-01", "2100-12-31"),  # the last month of the range
    ("weekly", "1970-01-01", "1970-01-07"),
])
def test_goals_that_fit_their_type_are_created(auth_client, goal_type, start, end):
    response = auth_client.post(GOALS, _body(goal_type=goal_type, start_date=start, end_date=end))
    assert response.status_code == 201, response.content
    goal = Goal.objects.get(pk=response.json()["data"]["id"])
    assert (goal.start_date.isoformat(), goal.end_date.isoformat()) == (start, end)
    progress = auth_client.get(f"{GOALS}/{goal.pk}/progress")
    assert progress.status_code == 200


def test_a_goal_stored_ending_9999_12_31_answers_progress_and_counts_workouts(user, auth_client):
    today = selectors.user_today(user)
    legacy = Goal.objects.create(user=user, goal_type="monthly", target_type="distance", target_value=5,
                                 start_date=today - timedelta(days=3), end_date=date(9999, 12, 31))
    workout = WorkoutFactory(completed=True, user=user, started_at=timezone.now() - timedelta(hours=1), distance_m=6000)

    response = auth_client.get(f"{GOALS}/{legacy.pk}/progress")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["current_value"] == 6.0 and data["is_completed"] is True
    assert data["remaining_days"] == (date(9999, 12, 31) - today).days + 1

    # The task a completed workout queues evaluated this goal (it raised OverflowError on every workout).
    assert tasks.goals_check_after_workout(str(user.pk), str(workout.pk)) == 1
    legacy.refresh_from_db()
    assert legacy.achieved_at is not None


def test_a_goal_stored_starting_0001_01_01_answers_progress(user, auth_client):
    ancient = Goal.objects.create(user=user, goal_type="weekly", target_type="workouts", target_value=1,
                                  start_date=date(1, 1, 1), end_date=date(1, 1, 7))
    response = auth_client.get(f"{GOALS}/{ancient.pk}/progress")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["current_value"] == 0
