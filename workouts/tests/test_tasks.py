"""The stale-workout step of the scheduled cleanup: active or paused workouts silent for 6 hours are completed, once."""

from datetime import datetime, timedelta

from django.utils import timezone

from operations.maintenance import cleanup_stale_workouts
from workouts import services
from workouts.models import UserStats, Workout
from workouts.tests.factories import WorkoutFactory, loop_points


def silent_for(workout, hours: float) -> None:
    Workout.objects.filter(pk=workout.pk).update(updated_at=timezone.now() - timedelta(hours=hours))


def test_stale_workouts_are_completed_at_their_last_fix(user):
    start = timezone.now() - timedelta(hours=8)
    stale = WorkoutFactory(user=user, started_at=start)
    points = loop_points(count=301, start=start)
    services.workout_add_points(
        workout=stale, points=[{**p, "recorded_at": datetime.fromisoformat(p["recorded_at"])} for p in points])
    silent_for(stale, 7)
    paused = WorkoutFactory(user=user, started_at=start)
    services.workout_pause(workout=paused, at=start + timedelta(minutes=5))
    silent_for(paused, 6.5)
    fresh = WorkoutFactory(user=user, started_at=start)
    silent_for(fresh, 5)
    deleted = WorkoutFactory(user=user, started_at=start, deleted_at=timezone.now())
    silent_for(deleted, 7)

    assert cleanup_stale_workouts(timezone.now(), dry_run=False) == 2
    stale.refresh_from_db()
    assert stale.status == "completed"
    assert stale.completed_at == start + timedelta(seconds=300)
    assert stale.distance_m > 900
    paused.refresh_from_db()
    assert paused.status == "completed"
    assert paused.pauses.get().ended_at == paused.completed_at
    for untouched in (fresh, deleted):
        untouched.refresh_from_db()
        assert untouched.status == "active"
    assert UserStats.objects.get(user=user).total_workouts == 2

    # run again (the queue delivers at least once): nothing more happens
    assert cleanup_stale_workouts(timezone.now(), dry_run=False) == 0
    assert UserStats.objects.get(user=user).total_workouts == 2


def test_a_workout_revived_meanwhile_is_left_alone(user):
    workout = WorkoutFactory(user=user, started_at=timezone.now() - timedelta(hours=8))
    silent_for(workout, 7)
    Workout.objects.filter(pk=workout.pk).update(updated_at=timezone.now())  # a batch arrived
    assert services.workout_complete_if_stale(workout_id=workout.pk) is None
    workout.refresh_from_db()
    assert workout.status == "active"
