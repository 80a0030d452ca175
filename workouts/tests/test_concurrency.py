"""Concurrent batches of one workout serialise on the workout row lock: nothing is stored twice."""

import threading
from datetime import datetime

import pytest
from django.db import connection

from workouts import services
from workouts.models import WorkoutPoint
from workouts.tests.factories import WorkoutFactory, loop_points


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_twice_at_once_is_stored_once(user):
    workout = WorkoutFactory(user=user)
    points = [{**p, "recorded_at": datetime.fromisoformat(p["recorded_at"])} for p in loop_points(count=300)]
    results, errors = [], []
    barrier = threading.Barrier(3)

    def send(batch):
        try:
            barrier.wait(timeout=10)
            results.append(services.workout_add_points(workout=workout, points=batch))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(batch,))
               for batch in (points, points, points[100:])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert WorkoutPoint.objects.filter(workout=workout).count() == 300
    assert sum(r.accepted for r in results) == 300
    assert sum(r.duplicates for r in results) == 300 + 200
    workout.refresh_from_db()
    assert workout.points_count == 300
    assert workout.distance_m == pytest.approx(max(r.distance_m for r in results))
