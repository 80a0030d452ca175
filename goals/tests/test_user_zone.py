"""One time zone per user (User.zone): the stats' week and a weekly goal start at the same instant, also for a
user whose profile has no time zone (both fall back to settings.TIME_ZONE, Asia/Seoul)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from goals import selectors as goal_selectors
from goals.models import Goal
from workouts import selectors as workout_selectors
from workouts.tests.factories import WorkoutFactory

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.mark.parametrize(("stored", "zone"), [("", "Asia/Seoul"), ("Mars/Olympus_Mons", "Asia/Seoul"),
                                               ("Europe/Helsinki", "Europe/Helsinki")])
def test_the_zone_falls_back_to_the_site_time_zone(user, settings, stored, zone):
    assert settings.TIME_ZONE == "Asia/Seoul"
    user.timezone = stored
    assert user.zone == ZoneInfo(zone)


def test_a_week_starts_at_the_same_instant_for_stats_and_goals_without_a_time_zone(user):
    user.timezone = ""
    user.save(update_fields=["timezone"])
    now = datetime(2026, 5, 6, 3, 0, tzinfo=UTC)  # Wednesday in Seoul
    monday = date(2026, 5, 4)
    week_start = workout_selectors.period_start(period="week", zone=user.zone, now=now)
    goal_start, _ = goal_selectors.goal_time_bounds(start_date=monday, end_date=monday + timedelta(days=6),
                                                    zone=user.zone)
    assert week_start == goal_start == datetime(2026, 5, 4, tzinfo=SEOUL)

    # Monday 00:30 in Seoul is Sunday 15:30 UTC: inside the week for both, and so is nothing before it.
    for started_at, distance_m in ((datetime(2026, 5, 3, 15, 30, tzinfo=UTC), 2000.0),
                                   (datetime(2026, 5, 3, 14, 30, tzinfo=UTC), 7000.0)):  # Sunday 23:30 in Seoul
        WorkoutFactory(user=user, status="completed", started_at=started_at,
                       completed_at=started_at + timedelta(minutes=15), distance_m=distance_m, duration_s=900)
    goal = Goal.objects.create(user=user, goal_type="weekly", target_type="distance", target_value=10,
                               start_date=monday, end_date=monday + timedelta(days=6))
    stats = workout_selectors.user_totals(user=user, period="week", now=now)
    progress = goal_selectors.goal_progress(goal=goal, user=user, now=now)
    assert (stats.total_workouts, stats.total_distance_m) == (1, 2000.0)
    assert progress.current_value == 2.0
