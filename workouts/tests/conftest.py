import pytest

from conftest import client_for
from workouts.tests.factories import WorkoutFactory


@pytest.fixture
def workout(user):
    return WorkoutFactory(user=user)


@pytest.fixture
def make_client():
    return client_for
