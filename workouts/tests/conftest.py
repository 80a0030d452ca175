from unittest import mock

import pytest

from conftest import client_for
from workouts import events
from workouts.tests.factories import WorkoutFactory


@pytest.fixture(autouse=True)
def _workout_events_without_other_apps():
    """The workouts tests see no receivers of other apps (goals, community) on the workouts events: those
    handlers are tested by their apps, and these tests must not depend on them. A test that wants to observe an
    event connects its own receiver."""
    with mock.patch.object(events.personal_record_set, "receivers", []), \
            mock.patch.object(events.workout_completed, "receivers", []):
        events.personal_record_set.sender_receivers_cache.clear()
        events.workout_completed.sender_receivers_cache.clear()
        yield
    events.personal_record_set.sender_receivers_cache.clear()
    events.workout_completed.sender_receivers_cache.clear()


@pytest.fixture
def workout(user):
    return WorkoutFactory(user=user)


@pytest.fixture
def make_client():
    return client_for
