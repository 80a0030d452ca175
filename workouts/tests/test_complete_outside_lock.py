"""Completion computes before it locks (issue 12.2): no SVG parsing, no metrics inside the write transaction."""

from datetime import datetime, timedelta

import numpy as np
import pytest
from django.db import connection

from routes.models import Route
from routes.planner import shapes as shapes_module
from workouts import services
from workouts.models import WorkoutPoint
from workouts.tests.factories import START, WorkoutFactory, loop_points, make_route_option

pytestmark = pytest.mark.django_db


def _parsed(points):
    return [{**p, "recorded_at": datetime.fromisoformat(p["recorded_at"])} for p in points]


def _circle_route(user, *, svg_path: str):
    lap = loop_points(count=283, radius_m=150.0)
    route, option = make_route_option(user, [[p["latitude"], p["longitude"]] for p in lap])
    # the outline stored at planning time: a circle in the 0..100 box, y up
    angles = np.linspace(0, 2 * np.pi, 200)
    outline = np.column_stack([50 + 45 * np.cos(angles), 50 + 45 * np.sin(angles)])
    Route.objects.filter(pk=route.pk).update(mode="custom", custom_svg_path=svg_path,
                                             outline=outline.round(3).tolist(), outline_closed=True)
    return lap, route, option


def test_completion_reads_the_stored_outline_and_parses_no_svg(user, monkeypatch):
    # the path: parsed during completion it cost 17 s inside the write transaction
    lap, route, option = _circle_route(user, svg_path="M 0 0 L 1000000 0 L 1000000 1000 Z")

    real_parse = shapes_module.parse_path
    parsed = []

    def parse_but_not_the_drawing(path_data, *args, **kwargs):
        # the engine may read its own catalogue templates (trusted, cached); never the runner's drawing
        parsed.append(path_data)
        if path_data == route.custom_svg_path:
            raise AssertionError("completion must not parse the route's SVG")
        return real_parse(path_data, *args, **kwargs)

    route.refresh_from_db()
    monkeypatch.setattr(shapes_module, "parse_path", parse_but_not_the_drawing)
    workout = WorkoutFactory(user=user, route=route, route_option=option)
    services.workout_add_points(workout=workout, points=_parsed(lap))
    completed = services.workout_complete(workout=workout, completed_at=START + timedelta(minutes=5))
    # measured against the stored circle (a lap of a circle matches it well), not the triangle of the svg
    assert completed.shape_accuracy is not None and completed.shape_accuracy > 80
    assert route.custom_svg_path not in parsed


def test_metrics_are_computed_with_no_transaction_open(user, monkeypatch):
    lap, route, option = _circle_route(user, svg_path="M 5 50 A 45 45 0 1 0 95 50 A 45 45 0 1 0 5 50 Z")
    workout = WorkoutFactory(user=user, route=route, route_option=option)
    services.workout_add_points(workout=workout, points=_parsed(lap))
    baseline = len(connection.atomic_blocks)  # the test's own wrapping transaction
    depths = []
    real_compute = services.compute_workout_metrics

    def recording_compute(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(services, "compute_workout_metrics", recording_compute)
    completed = services.workout_complete(workout=workout, completed_at=START + timedelta(minutes=5))
    assert completed.status == "completed" and completed.distance_m > 900
    assert depths == [baseline]  # once, and outside any atomic block the service opened


def test_a_batch_landing_while_computing_is_counted(user, monkeypatch):
    """A batch stored between the computation and the lock makes completion compute again with it."""
    points = _parsed(loop_points(count=400, radius_m=150.0))
    workout = WorkoutFactory(user=user)
    services.workout_add_points(workout=workout, points=points[:200])
    calls = []
    real_compute = services.compute_workout_metrics

    def compute_then_a_late_batch(*args, **kwargs):
        calls.append(len(args[0]))
        result = real_compute(*args, **kwargs)
        if len(calls) == 1:  # the phone's last batch arrives while the first computation runs
            services.workout_add_points(workout=workout, points=points[200:])
        return result

    monkeypatch.setattr(services, "compute_workout_metrics", compute_then_a_late_batch)
    completed = services.workout_complete(workout=workout, completed_at=START + timedelta(seconds=400))
    assert calls == [200, 400]
    assert WorkoutPoint.objects.filter(workout=workout).count() == 400
    assert completed.distance_m == pytest.approx(399 * (2 * np.pi * 150 / 283), rel=0.05)


def test_stale_completion_computes_before_locking(user, monkeypatch):
    workout = WorkoutFactory(user=user)
    services.workout_add_points(workout=workout, points=_parsed(loop_points(count=120)))
    baseline = len(connection.atomic_blocks)
    depths = []
    real_compute = services.compute_workout_metrics

    def recording_compute(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(services, "compute_workout_metrics", recording_compute)
    done = services.workout_complete_if_stale(workout_id=workout.pk,
                                              now=workout.updated_at + services.STALE_AFTER + timedelta(1))
    assert done is not None and done.status == "completed"
    assert depths == [baseline]




def test_a_workout_that_keeps_changing_is_completed_under_the_lock_at_last(user, monkeypatch):
    """A phone streaming batches faster than the metrics compute cannot keep its workout from completing."""
    workout = WorkoutFactory(user=user)
    services.workout_add_points(workout=workout, points=_parsed(loop_points(count=120)))
    monkeypatch.setattr(services, "_unchanged_since", lambda locked, snapshot: False)
    baseline = len(connection.atomic_blocks)
    depths = []
    real_compute = services.compute_workout_metrics

    def recording_compute(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(services, "compute_workout_metrics", recording_compute)
    completed = services.workout_complete(workout=workout, completed_at=START + timedelta(seconds=121))
    assert completed.status == "completed"
    assert depths == [baseline] * services.COMPLETE_ATTEMPTS + [baseline + 1]
