"""GET /users/me/stats: lifetime totals from the UserStats row, periods from one aggregate in the user's zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from workouts import selectors, services
from workouts.tests.factories import WorkoutFactory


def completed(user, *, started_at, distance_m, duration_s, best_1k_s=None, best_5k_s=None, calories=100.0,
              route_completion=None):
    return WorkoutFactory(
        user=user, status="completed", started_at=started_at, completed_at=started_at + timedelta(hours=1),
        distance_m=distance_m, duration_s=duration_s, best_1k_s=best_1k_s, best_5k_s=best_5k_s,
        calories_kcal=calories, route_completion=route_completion,
    )


def test_stats_for_a_new_user_are_zero(auth_client):
    data = auth_client.get("/api/v1/users/me/stats").json()["data"]
    assert data["total_distance"] == 0.0
    assert data["total_workouts"] == 0
    assert data["avg_pace"] is None
    assert data["records"] == {"fastest_1k_s": None, "fastest_5k_s": None, "fastest_10k_s": None,
                               "longest_distance": 0.0}


def test_stats_per_period(auth_client, user, other_user):
    now = timezone.now()
    recent = completed(user, started_at=now - timedelta(minutes=90), distance_m=5000, duration_s=1500,
                       best_1k_s=290, best_5k_s=1500, route_completion=95.0)
    completed(user, started_at=now - timedelta(days=400), distance_m=10000, duration_s=3600, best_1k_s=250,
              calories=700.0)
    completed(other_user, started_at=now - timedelta(minutes=30), distance_m=42000, duration_s=9000)
    WorkoutFactory(user=user, status="active", started_at=now - timedelta(minutes=5), distance_m=3000)
    services.user_stats_rebuild(user=user)

    lifetime = auth_client.get("/api/v1/users/me/stats?period=all").json()["data"]
    assert lifetime["total_distance"] == 15.0
    assert lifetime["total_workouts"] == 2
    assert lifetime["completed_routes"] == 1
    assert lifetime["total_duration"] == 5100
    assert lifetime["total_calories"] == 800
    assert (lifetime["avg_pace"], lifetime["avg_pace_s"]) == ("5:40", 340)
    assert lifetime["longest_distance"] == 10.0
    assert lifetime["records"]["fastest_1k_s"] == 250
    assert lifetime["records"]["fastest_5k_s"] == 1500

    for period in ("week", "month", "year"):
        data = auth_client.get(f"/api/v1/users/me/stats?period={period}").json()["data"]
        assert data["period"] == period
        # only the recent run: the 400-day-old one, the other user's and the active one are not counted
        # (90 minutes ago may fall in the previous week/month/year right after midnight: then nothing)
        in_period = recent.started_at >= selectors.period_start(period=period, zone=ZoneInfo(user.timezone),
                                                                now=timezone.now())
        assert data["total_workouts"] == (1 if in_period else 0)
        if in_period:
            assert data["total_distance"] == 5.0
            assert data["avg_pace"] == "5:00"
            assert data["records"] == {"fastest_1k_s": 290, "fastest_5k_s": 1500, "fastest_10k_s": None,
                                       "longest_distance": 5.0}

    assert auth_client.get("/api/v1/users/me/stats?period=decade").status_code == 400


def test_period_boundaries_follow_the_user_time_zone(user):
    user.timezone = "Asia/Seoul"
    user.save()
    # Monday 2026-05-04 00:30 in Seoul is Sunday 15:30 UTC
    now = datetime(2026, 5, 4, 0, 30, tzinfo=ZoneInfo("Asia/Seoul"))
    sunday_night_seoul = datetime(2026, 5, 3, 14, 0, tzinfo=UTC)  # 23:00 Sunday in Seoul
    monday_seoul = datetime(2026, 5, 3, 15, 10, tzinfo=UTC)  # 00:10 Monday in Seoul
    completed(user, started_at=sunday_night_seoul, distance_m=3000, duration_s=900)
    completed(user, started_at=monday_seoul, distance_m=1000, duration_s=300)
    week = selectors.user_totals(user=user, period="week", now=now)
    month = selectors.user_totals(user=user, period="month", now=now)
    assert (week.total_workouts, week.total_distance_m) == (1, 1000)
    assert (month.total_workouts, month.total_distance_m) == (2, 4000)
    assert selectors.period_start(period="year", zone=ZoneInfo("Asia/Seoul"), now=now) == datetime(
        2026, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))


def test_period_stats_are_one_query(user, django_assert_num_queries):
    for day in range(5):
        completed(user, started_at=timezone.now() - timedelta(days=day), distance_m=1000, duration_s=300)
    with django_assert_num_queries(1):
        selectors.user_totals(user=user, period="year")
    services.user_stats_rebuild(user=user)
    with django_assert_num_queries(1):
        totals = selectors.user_totals(user=user, period="all")
    assert totals.total_workouts == 5


@pytest.mark.django_db
def test_public_totals_selector(user):
    completed(user, started_at=timezone.now(), distance_m=2500, duration_s=800)
    services.user_stats_rebuild(user=user)
    totals = selectors.user_totals(user=user)
    assert (totals.total_distance_m, totals.total_workouts) == (2500, 1)


def test_rebuild_command_repairs_the_stats(user, other_user):
    from io import StringIO

    from django.core.management import call_command

    from workouts.models import UserStats

    completed(user, started_at=timezone.now(), distance_m=4200, duration_s=1300, best_1k_s=300)
    completed(other_user, started_at=timezone.now(), distance_m=1000, duration_s=400)
    out = StringIO()
    call_command("rebuild_workout_stats", stdout=out)
    assert "2 user(s)" in out.getvalue()
    stats = UserStats.objects.get(user=user)
    assert (stats.total_distance_m, stats.total_workouts, stats.fastest_1k_s) == (4200, 1, 300)
    call_command("rebuild_workout_stats", "--user", other_user.email, stdout=out)
    assert UserStats.objects.get(user=other_user).total_distance_m == 1000
