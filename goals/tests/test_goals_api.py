"""Goals: creation rules, overlap (409), PATCH limits, 404 for others' goals, progress across week and month
boundaries in the user's time zone, and the one-time achievement notification."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from community.models import Notification
from community.tests.factories import straight_track
from goals import selectors, tasks
from goals.models import Goal
from workouts.models import Workout
from workouts.tests.factories import WorkoutFactory

pytestmark = pytest.mark.django_db
GOALS = "/api/v1/goals"


def _goal(user, **fields) -> Goal:
    values = {"goal_type": "weekly", "target_type": "distance", "target_value": 20, "start_date": date(2026, 5, 4),
              "end_date": date(2026, 5, 10)}
    values.update(fields)
    return Goal.objects.create(user=user, **values)


def _body(**fields) -> dict:
    body = {"goal_type": "weekly", "target_type": "distance", "target_value": 20, "start_date": "2026-05-04",
            "end_date": "2026-05-10"}
    body.update(fields)
    return body


class TestCreate:
    def test_creates_an_active_goal(self, user, auth_client):
        response = auth_client.post(GOALS, _body(target_value=25.5))
        assert response.status_code == 201, response.content
        data = response.json()["data"]
        assert data["target_value"] == 25.5 and data["is_active"] is True and data["achieved_at"] is None
        assert Goal.objects.get(pk=data["id"]).user_id == user.pk

    @pytest.mark.parametrize("change", [{"end_date": "2026-05-03"}, {"target_value": 0}, {"target_value": -3},
                                        {"goal_type": "daily"}, {"target_type": "steps"},
                                        {"target_type": "workouts", "target_value": 2.5}])
    def test_invalid_input_is_400(self, auth_client, change):
        response = auth_client.post(GOALS, _body(**change))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"
        assert set(response.json()["error"]["fields"]) & set(change)
        assert not Goal.objects.exists()

    def test_overlapping_active_goal_of_the_same_types_is_409(self, user, auth_client):
        _goal(user)
        response = auth_client.post(GOALS, _body(start_date="2026-05-10", end_date="2026-05-16"))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"
        assert Goal.objects.count() == 1
        # Another target type, the next week, or an inactive goal do not conflict.
        assert auth_client.post(GOALS, _body(target_type="workouts", target_value=3)).status_code == 201
        assert auth_client.post(GOALS, _body(start_date="2026-05-11", end_date="2026-05-17")).status_code == 201
        Goal.objects.filter(user=user, start_date=date(2026, 5, 4), target_type="distance").update(is_active=False)
        assert auth_client.post(GOALS, _body()).status_code == 201

    def test_another_users_goal_does_not_conflict(self, other_user, auth_client):
        _goal(other_user)
        assert auth_client.post(GOALS, _body()).status_code == 201


class TestListAndDetail:
    def test_list_is_mine_and_active_only_by_default(self, user, other_user, auth_client):
        active = _goal(user)
        inactive = _goal(user, target_type="workouts", is_active=False)
        _goal(other_user)
        ids = [g["id"] for g in auth_client.get(GOALS).json()["data"]["results"]]
        assert ids == [str(active.pk)]
        every = auth_client.get(GOALS, {"active_only": "false"}).json()["data"]["results"]
        assert {g["id"] for g in every} == {str(active.pk), str(inactive.pk)}

    def test_patch_changes_only_target_value_and_is_active(self, user, auth_client):
        goal = _goal(user)
        url = f"{GOALS}/{goal.pk}"
        response = auth_client.patch(url, {"target_value": 30, "is_active": False})
        assert response.status_code == 200
        assert response.json()["data"]["target_value"] == 30.0
        refused = auth_client.patch(url, {"start_date": "2026-01-01", "target_value": 40})
        assert refused.status_code == 400
        assert "start_date" in refused.json()["error"]["fields"]
        goal.refresh_from_db()
        assert (goal.target_value, goal.is_active, goal.start_date) == (30, False, date(2026, 5, 4))
        assert auth_client.patch(url, {"target_value": 0}).status_code == 400
        workouts_goal = _goal(user, target_type="workouts", target_value=3)
        assert auth_client.patch(f"{GOALS}/{workouts_goal.pk}", {"target_value": 3.5}).status_code == 400

    def test_reactivating_rechecks_the_overlap(self, user, auth_client):
        old = _goal(user, is_active=False)
        _goal(user, start_date=date(2026, 5, 6), end_date=date(2026, 5, 12))
        response = auth_client.patch(f"{GOALS}/{old.pk}", {"is_active": True})
        assert response.status_code == 409
        old.refresh_from_db()
        assert old.is_active is False

    def test_delete(self, user, auth_client):
        goal = _goal(user)
        assert auth_client.delete(f"{GOALS}/{goal.pk}").status_code == 204
        assert not Goal.objects.exists()

    @pytest.mark.parametrize(("method", "suffix", "body"), [
        ("get", "", None), ("patch", "", {"target_value": 1}), ("delete", "", None), ("get", "/progress", None)])
    def test_another_users_goal_is_404_everywhere(self, other_user, auth_client, method, suffix, body):
        goal = _goal(other_user)
        response = getattr(auth_client, method)(f"{GOALS}/{goal.pk}{suffix}", body, format="json")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        goal.refresh_from_db()
        assert goal.target_value == 20


def _run(user, started_at_utc: datetime, distance_m: float, **fields) -> Workout:
    return WorkoutFactory(completed=True, user=user, started_at=started_at_utc, distance_m=distance_m, **fields)


class TestProgress:
    def test_week_boundaries_in_seoul(self, user, auth_client):
        """Week Mon 2026-05-04 .. Sun 2026-05-10 in Asia/Seoul (UTC+9)."""
        goal = _goal(user, target_value=10)
        _run(user, datetime(2026, 5, 3, 14, 30, tzinfo=UTC), 1000)  # Sun 05-03 23:30 KST: the week before
        _run(user, datetime(2026, 5, 3, 15, 30, tzinfo=UTC), 2000)  # Mon 05-04 00:30 KST: in
        _run(user, datetime(2026, 5, 10, 14, 30, tzinfo=UTC), 4000)  # Sun 05-10 23:30 KST: in
        _run(user, datetime(2026, 5, 10, 15, 30, tzinfo=UTC), 8000)  # Mon 05-11 00:30 KST: the next week
        _run(user, datetime(2026, 5, 6, 1, 0, tzinfo=UTC), 16000, deleted_at=timezone.now())  # deleted
        _run(user, datetime(2026, 5, 6, 2, 0, tzinfo=UTC), 32000, status=Workout.Status.ACTIVE)  # unfinished
        _run(WorkoutFactory(completed=True).user, datetime(2026, 5, 6, 3, 0, tzinfo=UTC), 64000)  # someone else's
        data = auth_client.get(f"{GOALS}/{goal.pk}/progress").json()["data"]
        assert data["current_value"] == 6.0
        assert data["achievement_rate"] == 60.0 and data["achievement_rate_raw"] == 60.0
        assert data["remaining_value"] == 4.0
        assert data["is_completed"] is False
        assert data["remaining_days"] == 0  # the week is over
        assert data["goal"]["id"] == str(goal.pk)

    def test_month_boundaries_in_seoul(self, user):
        goal = _goal(user, goal_type="monthly", target_type="workouts", target_value=2,
                     start_date=date(2026, 5, 1), end_date=date(2026, 5, 31))
        _run(user, datetime(2026, 4, 30, 14, 30, tzinfo=UTC), 1000)  # 04-30 23:30 KST: April
        _run(user, datetime(2026, 4, 30, 15, 30, tzinfo=UTC), 1000)  # 05-01 00:30 KST: May
        _run(user, datetime(2026, 5, 31, 14, 30, tzinfo=UTC), 1000)  # 05-31 23:30 KST: May
        _run(user, datetime(2026, 5, 31, 15, 30, tzinfo=UTC), 1000)  # 06-01 00:30 KST: June
        _run(user, datetime(2026, 5, 15, 3, 0, tzinfo=UTC), 1000)  # mid-May
        progress = selectors.goal_progress(goal=goal, user=user, now=datetime(2026, 6, 2, tzinfo=UTC))
        assert progress.current_value == 3
        assert progress.achievement_rate == 100.0 and progress.achievement_rate_raw == 150.0
        assert progress.remaining_value == 0 and progress.is_completed is True
        assert progress.daily_average_needed == 0

    def test_the_users_own_time_zone_decides(self, user):
        user.timezone = "UTC"
        user.save(update_fields=["timezone"])
        goal = _goal(user, target_value=10)
        _run(user, datetime(2026, 5, 3, 15, 30, tzinfo=UTC), 2000)  # Sunday in UTC: outside
        _run(user, datetime(2026, 5, 10, 15, 30, tzinfo=UTC), 3000)  # Sunday in UTC: inside
        assert selectors.goal_progress(goal=goal, user=user).current_value == 3.0

    @pytest.mark.parametrize(("target_type", "target_value", "current"), [
        ("duration", 3600, 3000.0), ("calories", 1000, 500.0), ("workouts", 5, 2.0)])
    def test_other_target_types(self, user, target_type, target_value, current):
        goal = _goal(user, target_type=target_type, target_value=target_value)
        for hour in (1, 2):
            _run(user, datetime(2026, 5, 5, hour, 0, tzinfo=UTC), 5000, duration_s=1500, calories_kcal=250.0)
        assert selectors.goal_progress(goal=goal, user=user).current_value == current

    def test_remaining_days_count_today_in_seoul(self, user):
        goal = _goal(user, target_value=10)
        _run(user, datetime(2026, 5, 4, 1, 0, tzinfo=UTC), 4000)
        # 2026-05-08 16:00 UTC is Saturday 05-09 01:00 in Seoul: Saturday and Sunday remain.
        progress = selectors.goal_progress(goal=goal, user=user, now=datetime(2026, 5, 8, 16, 0, tzinfo=UTC))
        assert progress.remaining_days == 2
        assert progress.daily_average_needed == 3.0
        before = selectors.goal_progress(goal=goal, user=user, now=datetime(2026, 5, 1, tzinfo=UTC))
        assert before.remaining_days == 7

    def test_progress_is_one_query(self, user, auth_client, django_assert_num_queries):
        goal = _goal(user)
        for day in range(4, 11):
            _run(user, datetime(2026, 5, day, 1, 0, tzinfo=UTC), 1000)
        with django_assert_num_queries(1):
            progress = selectors.goal_progress(goal=goal, user=user)
        assert progress.current_value == 7.0


class TestAchievement:
    def _this_fortnight_goal(self, user, target_km) -> Goal:
        today = selectors.user_today(user)
        return _goal(user, target_value=target_km, start_date=today - timedelta(days=7),
                     end_date=today + timedelta(days=7))

    def test_completing_a_workout_that_reaches_the_goal_notifies_once(self, user, committed):
        from workouts.services import workout_complete

        goal = self._this_fortnight_goal(user, target_km=5)
        now = timezone.now()
        _run(user, now - timedelta(hours=3), 3000)
        live = WorkoutFactory(user=user, status=Workout.Status.ACTIVE, started_at=now - timedelta(minutes=30),
                              distance_m=0.0)
        straight_track(live, length_m=3000.0)
        with committed():
            workout_complete(workout=live, completed_at=now - timedelta(minutes=10), now=now)
        live.refresh_from_db()
        assert live.status == Workout.Status.COMPLETED and live.distance_m > 2500
        goal.refresh_from_db()
        assert goal.achieved_at is not None
        notifications = Notification.objects.filter(user=user, type="goal_achieved")
        assert notifications.count() == 1
        assert notifications.get().target_id == str(goal.pk)

        # Another completion in the period, and the task delivered again: still one notification.
        another = _run(user, now - timedelta(hours=1), 2000, status=Workout.Status.ACTIVE)
        with committed():
            workout_complete(workout=another, completed_at=now - timedelta(minutes=50), now=now)
        assert tasks.goals_check_after_workout(str(user.pk), str(live.pk)) == 0
        assert notifications.count() == 1

    def test_not_reached_means_no_notification(self, user, committed):
        from workouts.services import user_stats_add_workout

        goal = self._this_fortnight_goal(user, target_km=50)
        workout = _run(user, timezone.now() - timedelta(hours=1), 3000)
        with committed(), transaction.atomic():
            user_stats_add_workout(workout=workout)
        goal.refresh_from_db()
        assert goal.achieved_at is None
        assert not Notification.objects.filter(type="goal_achieved").exists()

    def test_raising_the_target_above_progress_rearms_the_goal(self, user, auth_client):
        goal = self._this_fortnight_goal(user, target_km=5)
        workout = _run(user, timezone.now() - timedelta(hours=1), 6000)
        assert tasks.goals_check_after_workout(str(user.pk), str(workout.pk)) == 1
        auth_client.patch(f"{GOALS}/{goal.pk}", {"target_value": 10})
        goal.refresh_from_db()
        assert goal.achieved_at is None
        more = _run(user, timezone.now() - timedelta(minutes=30), 5000)
        assert tasks.goals_check_after_workout(str(user.pk), str(more.pk)) == 1
        assert Notification.objects.filter(type="goal_achieved").count() == 2
