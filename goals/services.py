"""Writes of the goals app: create, update, delete goals, and mark goals achieved (with one notification)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.services import notification_create
from goals.models import MAX_SPAN_DAYS, Goal
from goals.selectors import goal_progress, goals_containing_day
from runnerway.api.exceptions import ApiError, Conflict
from runnerway.api.fields import FIRST_DAY, LAST_DAY


def _check_target(*, target_type: str, target_value: Decimal) -> None:
    if target_value <= 0:
        raise ApiError(_("target_value must be positive."), fields={"target_value": [_("Must be greater than 0.")]})
    if target_type == Goal.TargetType.WORKOUTS and target_value != target_value.to_integral_value():
        raise ApiError(_("A workouts goal counts whole workouts."),
                       fields={"target_value": [_("Must be a whole number of workouts.")]})


def _check_dates(*, goal_type: str, start_date: date, end_date: date) -> None:
    """The days exist for the API (FIRST_DAY..LAST_DAY), end is not before start, and the span fits the type."""
    for name, day in (("start_date", start_date), ("end_date", end_date)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ApiError(_("%(field)s is out of range.") % {"field": name},
                           fields={name: [_("Must be between %(first)s and %(last)s.") % {
                               "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}]})
    if end_date < start_date:
        raise ApiError(_("end_date is before start_date."), fields={"end_date": [_("Must not be before start_date.")]})
    span_days = (end_date - start_date).days + 1
    if span_days > MAX_SPAN_DAYS[goal_type]:
        limits = {"goal_type": goal_type, "days": MAX_SPAN_DAYS[goal_type], "span": span_days}
        raise ApiError(_("A %(goal_type)s goal spans at most %(days)s days.") % limits,
                       fields={"end_date": [_("At most %(days)s days from start_date (both included) for a "
                                              "%(goal_type)s goal; this spans %(span)s.") % limits]})


def _lock_user_goals(user) -> None:
    """Serialise goal writes of one user: lock the user's row (a lock on the goal rows would not stop two
    creates when the user has no goal yet). Call inside a transaction."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def _check_no_overlap(*, user, goal_type: str, target_type: str, start_date: date, end_date: date,
                      exclude_pk=None) -> None:
    overlapping = Goal.objects.filter(
        user=user, is_active=True, goal_type=goal_type, target_type=target_type,
        start_date__lte=end_date, end_date__gte=start_date,
    )
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    if overlapping.exists():
        raise Conflict(_("An active %(goal_type)s %(target_type)s goal already covers part of these dates.")
                       % {"goal_type": goal_type, "target_type": target_type})


def goal_create(*, user, goal_type: str, target_type: str, target_value: Decimal, start_date: date,
                end_date: date) -> Goal:
    """A new active goal. 400 when a day is out of range, end_date < start_date, the span is longer than the
    type's (7 days weekly, 31 monthly) or target_value <= 0; 409 conflict when an active goal of the same
    goal_type and target_type overlaps the dates. The overlap check runs under a lock on the user's row, so two
    concurrent creates cannot both pass."""
    _check_dates(goal_type=goal_type, start_date=start_date, end_date=end_date)
    _check_target(target_type=target_type, target_value=target_value)
    with transaction.atomic():
        _lock_user_goals(user)
        _check_no_overlap(user=user, goal_type=goal_type, target_type=target_type, start_date=start_date,
                          end_date=end_date)
        return Goal.objects.create(user=user, goal_type=goal_type, target_type=target_type,
                                   target_value=target_value, start_date=start_date, end_date=end_date)


def goal_update(*, goal: Goal, target_value: Decimal | None = None, is_active: bool | None = None) -> Goal:
    """Change the target and/or switch the goal on or off (nothing else is writable). Re-activating re-checks
    the overlap (409 conflict). Raising the target above the current progress clears `achieved_at`, so
    reaching the new target notifies again."""
    with transaction.atomic():
        _lock_user_goals(goal.user)
        locked = Goal.objects.select_for_update().get(pk=goal.pk)
        if is_active is True and not locked.is_active:
            _check_no_overlap(user=locked.user, goal_type=locked.goal_type, target_type=locked.target_type,
                              start_date=locked.start_date, end_date=locked.end_date, exclude_pk=locked.pk)
        if is_active is not None:
            locked.is_active = is_active
        if target_value is not None:
            _check_target(target_type=locked.target_type, target_value=target_value)
            changed = target_value != locked.target_value
            locked.target_value = target_value
            if (changed and locked.achieved_at is not None
                    and not goal_progress(goal=locked, user=locked.user).is_completed):
                locked.achieved_at = None
        locked.save()
    return locked


def goal_delete(*, goal: Goal) -> None:
    goal.delete()


def goals_mark_achieved(*, user, day: date, now: datetime | None = None) -> list[Goal]:
    """Evaluate the user's active, not yet achieved goals whose dates include `day` (in the user's zone);
    each one now reached gets `achieved_at` and ONE `goal_achieved` notification.

    Safe to run twice or concurrently: `achieved_at` is set by a conditional UPDATE (only where still null)
    and the notification is created in the same transaction only by the run whose UPDATE changed the row.
    """
    now = now or timezone.now()
    achieved: list[Goal] = []
    for goal in goals_containing_day(user=user, day=day):
        progress = goal_progress(goal=goal, user=user, now=now)
        if not progress.is_completed:
            continue
        with transaction.atomic():
            if Goal.objects.filter(pk=goal.pk, achieved_at__isnull=True).update(achieved_at=now) != 1:
                continue
            notification_create(
                user_id=user.pk, type="goal_achieved", target_type="goal", target_id=goal.pk,
                # Per target: a goal re-armed by a higher target notifies again when that one is reached.
                dedupe_key=f"goal_achieved:{goal.pk}:{goal.target_value}",
                data={"goal_type": goal.goal_type, "target_type": goal.target_type,
                      "target_value": float(goal.target_value), "current_value": progress.current_value,
                      "start_date": goal.start_date.isoformat(), "end_date": goal.end_date.isoformat()},
            )
            achieved.append(goal)
    return achieved


def goals_check_after_workout(*, user, workout) -> list[Goal]:
    """After a workout completed: the goals covering its start day (user's zone) that it made reached."""
    if workout.deleted_at is not None or workout.status != "completed":
        return []
    day = workout.started_at.astimezone(user.zone).date()
    return goals_mark_achieved(user=user, day=day)
