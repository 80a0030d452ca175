"""Fixtures of the community tests."""

import pytest

from community.models import Follow


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the on-commit callbacks of the block (the notification tasks, which the
    test settings run inline) as if its transaction had committed."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def follow(follower, followee) -> Follow:
    """A follow row without the API (counters untouched): for visibility set-ups."""
    return Follow.objects.create(follower=follower, followee=followee)
