"""Reads of the goals app: the user's goals and a goal's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from goals.models import Goal
from runnerway.api.fields import FIRST_DAY, LAST_DAY
from workouts.models import Workout


def user_today(user, *, now: datetime | None = None) -> date:
    """Today in the user's time zone (User.zone): goals count calendar days there."""
    return (now or timezone.now()).astimezone(user.zone).date()


def goal_list(*, user, active_only: bool = True) -> QuerySet[Goal]:
    goals = Goal.objects.filter(user=user)
    if active_only:
        goals = goals.filter(is_active=True)
    return goals


def goal_get(*, user, goal_id) -> Goal | None:
    """The user's own goal; another user's goal is None (the API answers 404)."""
    return Goal.objects.filter(user=user, pk=goal_id).first()


def goal_time_bounds(*, start_date: date, end_date: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first instant of start_date, first instant after end_date) in `zone`, as aware datetimes.

    The days are clamped to the API's range first: a goal stored before the range was enforced (ending
    9999-12-31) must still count, not overflow Python's dates."""
    start_date = min(max(start_date, FIRST_DAY), LAST_DAY)
    end_date = min(max(end_date, FIRST_DAY), LAST_DAY)
    return (datetime.combine(start_date, time.min, tzinfo=zone),
            datetime.combine(end_date + timedelta(days=1), time.min, tzinfo=zone))


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    current_value: float
    achievement_rate: float  # percent, capped at 100 for display
    achievement_rate_raw: float  # percent, uncapped (150.0 when the runner did half again the target)
    remaining_value: float
    remaining_days: int
    is_completed: bool
    daily_average_needed: float | None


def _current_value(goal: Goal, totals: dict) -> float:
    if goal.target_type == Goal.TargetType.DISTANCE:
        return round((totals["distance_m"] or 0.0) / 1000.0, 2)
    if goal.target_type == Goal.TargetType.WORKOUTS:
        return float(totals["workouts"] or 0)
    if goal.target_type == Goal.TargetType.CALORIES:
        return round(totals["calories_kcal"] or 0.0, 2)
    return float(totals["duration_s"] or 0)


def goal_progress(*, goal: Goal, user, now: datetime | None = None) -> GoalProgress:
    """Progress of `goal` (owned by `user`) from the user's completed, not deleted workouts whose start falls
    in the goal's dates in the user's time zone. One aggregate query.

    `remaining_days` counts the days left including today in the user's zone (the whole span before the goal
    starts, 0 after it ended); `daily_average_needed` is remaining_value / remaining_days (0 once nothing
    remains, null when value remains but no day does).
    """
    zone = user.zone
    start, end = goal_time_bounds(start_date=goal.start_date, end_date=goal.end_date, zone=zone)
    totals = (
        Workout.objects.filter(user_id=goal.user_id, deleted_at__isnull=True, status=Workout.Status.COMPLETED,
                               started_at__gte=start, started_at__lt=end)
        .aggregate(distance_m=Sum("distance_m"), workouts=Count("pk"), calories_kcal=Sum("calories_kcal"),
                   duration_s=Sum("duration_s"))
    )
    current = _current_value(goal, totals)
    target = float(goal.target_value)
    raw_rate = round(current / target * 100.0, 2) if target > 0 else 0.0
    remaining_value = round(max(0.0, target - current), 2)
    today = user_today(user, now=now)
    remaining_days = 0 if today > goal.end_date else (goal.end_date - max(today, goal.start_date)).days + 1
    if remaining_value <= 0:
        daily_needed: float | None = 0.0
    elif remaining_days > 0:
        daily_needed = round(remaining_value / remaining_days, 2)
    else:
        daily_needed = None
    return GoalProgress(
        goal=goal, current_value=current, achievement_rate=min(100.0, raw_rate), achievement_rate_raw=raw_rate,
        remaining_value=remaining_value, remaining_days=remaining_days, is_completed=current >= target,
        daily_average_needed=daily_needed,
    )


def goals_containing_day(*, user, day: date) -> QuerySet[Goal]:
    """The user's active goals not yet achieved whose dates include `day` (a day in the user's zone)."""
    return Goal.objects.filter(user=user, is_active=True, achieved_at__isnull=True, start_date__lte=day,
                               end_date__gte=day)
