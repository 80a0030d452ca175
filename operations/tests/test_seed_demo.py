"""`seed_demo` on a real (synthetic-grid) road network: a living app, idempotent, clear errors."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_without_a_network_fails_clearly():
    with pytest.raises(CommandError, match="No road network installed"):
        call_command("seed_demo", "--users", "2")


def test_seed_demo_rejects_a_bad_user_count():
    with pytest.raises(CommandError, match="between 1 and 10"):
        call_command("seed_demo", "--users", "0")


def test_seed_demo_builds_a_living_app_and_is_idempotent(grid_network):
    from accounts.models import User
    from community.models import Like, Post
    from goals.models import Goal
    from routes.models import Route
    from workouts.models import Workout

    call_command("seed_shapes", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--users", "3", stdout=out)
    assert "demo users created: 3, routes: 3, workouts: 3, posts: 3" in out.getvalue()

    demo_users = User.objects.filter(email__endswith="@demo.runnerway.app")
    assert demo_users.count() == 3
    workouts = Workout.objects.filter(user__in=demo_users)
    assert all(w.status == "completed" and w.distance_m > 1000 and w.route_completion > 80 for w in workouts)
    assert all(w.splits for w in workouts)
    assert Post.objects.filter(author__in=demo_users).count() == 3
    assert Goal.objects.filter(user__in=demo_users).count() == 3
    likes = Like.objects.count()

    again = StringIO()
    call_command("seed_demo", "--users", "3", stdout=again)
    assert "demo users created: 0, routes: 0, workouts: 0, posts: 0" in again.getvalue()
    assert Route.objects.count() == 3 and Workout.objects.count() == 3 and Like.objects.count() == likes
