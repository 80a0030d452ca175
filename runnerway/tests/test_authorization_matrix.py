"""Authorization matrix (OWASP API1, broken object level authorization; API3, mass assignment).

An owner with one object of every kind, and an intruder with objects of their own. For every endpoint that
takes an object id, the intruder asking about the owner's object gets 404 `not_found` (never 403: no existence
leak) and NOTHING changes in the database. A guard walks the URL resolver so that a new `/api/v1/...{id}` route
cannot slip in without a row here. Then fields a client may not write (ids, owners, counters, computed metrics,
staff flags) are sent in POST/PATCH bodies: refused (400) or ignored, never applied.
"""

import json
from dataclasses import asdict

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import client_for
from runnerway.tests.api_data import account_with_data

# --- the matrix --------------------------------------------------------------------------------------------
# (method, path, body). Placeholders are the OWNER's ids, except `my_*`: the intruder's own objects (mixing an
# id of theirs with one of the owner's must not reach the owner's object either).
MATRIX = [
    # routes
    ("GET", "/api/v1/routes/{route_id}", None),
    ("PATCH", "/api/v1/routes/{route_id}", {"name": "Mine now", "status": "archived"}),
    ("DELETE", "/api/v1/routes/{route_id}", None),
    ("GET", "/api/v1/routes/{route_id}/options/{option_id}", None),
    ("POST", "/api/v1/routes/{route_id}/options", {"center_latitude": 60.1699, "center_longitude": 24.9438,
                                                    "rotation_deg": 0, "scale": 1.0}),
    ("GET", "/api/v1/routes/{my_route_id}/options/{option_id}", None),
    ("GET", "/api/v1/routes/{route_id}/options/{option_id}/gpx", None),
    ("GET", "/api/v1/routes/{my_route_id}/options/{option_id}/gpx", None),
    ("GET", "/api/v1/routes/{route_id}/options/{option_id}/fit", None),
    ("GET", "/api/v1/routes/{my_route_id}/options/{option_id}/fit", None),
    ("GET", "/api/v1/routes/{route_id}/options/{option_id}/preview.svg", None),
    # workouts
    ("GET", "/api/v1/workouts/{workout_id}", None),
    ("DELETE", "/api/v1/workouts/{workout_id}", None),
    ("POST", "/api/v1/workouts/{active_workout_id}/points", "points"),
    ("POST", "/api/v1/workouts/{active_workout_id}/pause", {}),
    ("POST", "/api/v1/workouts/{paused_workout_id}/resume", {}),
    ("POST", "/api/v1/workouts/{active_workout_id}/complete", {}),
    ("GET", "/api/v1/workouts/{workout_id}/track", None),
    ("GET", "/api/v1/workouts/{workout_id}/gpx", None),
    ("GET", "/api/v1/workouts/imports/{import_id}", None),
    # goals
    ("GET", "/api/v1/goals/{goal_id}", None),
    ("PATCH", "/api/v1/goals/{goal_id}", {"target_value": "1", "is_active": False}),
    ("DELETE", "/api/v1/goals/{goal_id}", None),
    ("GET", "/api/v1/goals/{goal_id}/progress", None),
    # community: the owner's private post and everything attached to it
    ("GET", "/api/v1/community/posts/{post_id}", None),
    ("PATCH", "/api/v1/community/posts/{post_id}", {"content": "defaced", "visibility": "public"}),
    ("DELETE", "/api/v1/community/posts/{post_id}", None),
    ("POST", "/api/v1/community/posts/{post_id}/like", None),
    ("DELETE", "/api/v1/community/posts/{post_id}/like", None),
    ("GET", "/api/v1/community/posts/{post_id}/comments", None),
    ("POST", "/api/v1/community/posts/{post_id}/comments", {"content": "I can see your private post"}),
    ("GET", "/api/v1/community/posts/{post_id}/track", None),
    ("GET", "/api/v1/community/posts/{post_id}/route.svg", None),
    ("GET", "/api/v1/community/posts/{post_id}/route.gpx", None),
    ("POST", "/api/v1/community/posts/{post_id}/save-route", None),
    ("DELETE", "/api/v1/community/comments/{comment_id}", None),
    # notifications
    ("POST", "/api/v1/notifications/{notification_id}/read", None),
    # push
    ("DELETE", "/api/v1/devices/{device_id}", None),
]

# Routes with an id that are public by design (anyone may read or act on them), each with the reason.
PUBLIC_BY_DESIGN = {
    ("GET", "/api/v1/shapes/{}"): "the shape catalog is public",
    ("GET", "/api/v1/shapes/{}/preview.svg"): "the shape catalog is public",
    ("GET", "/api/v1/users/{}"): "public profile: name, avatar and two totals",
    ("POST", "/api/v1/users/{}/follow"): "anyone may follow anyone; acts on the caller's own follow",
    ("DELETE", "/api/v1/users/{}/follow"): "acts on the caller's own follow",
}

SNAPSHOT_MODELS = [
    "accounts.User", "routes.Route", "routes.RouteOption", "workouts.Workout", "workouts.WorkoutPoint",
    "workouts.WorkoutPause", "workouts.UserStats", "workouts.WorkoutImport", "goals.Goal", "community.Post",
    "community.Like", "community.Comment", "community.Follow", "community.UserCounters", "community.Notification",
    "push.Device",
]


def snapshot() -> dict[str, list[dict]]:
    """Every row of the models an endpoint above could touch, all fields."""
    from django.apps import apps

    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in SNAPSHOT_MODELS}


def _normalized(path: str) -> str:
    import re

    return re.sub(r"\{[^}]*\}", "{}", path)


@pytest.fixture
def owner_and_intruder(user, other_user, grid_network, shapes):
    """The owner (`user`) with one object of every kind; the intruder (`other_user`) with a route of their own."""
    from routes.tests.factories import RouteOptionFactory

    data = account_with_data(user, actor=other_user)
    owner = client_for(user)
    paused = owner.post("/api/v1/workouts", {"type": "running", "start_latitude": 37.28,
                                             "start_longitude": 127.04}, format="json").json()["data"]
    assert owner.post(f"/api/v1/workouts/{paused['id']}/pause", {}, format="json").status_code == 200
    my_option = RouteOptionFactory(route__user=other_user)
    from workouts.models import WorkoutImport

    workout_import = WorkoutImport.objects.create(user=user, source="gpx", status="succeeded",
                                                  workout_id=data.workout_id, file_name="run.gpx")
    ids = {**asdict(data), "paused_workout_id": paused["id"], "my_route_id": str(my_option.route_id),
           "my_option_id": str(my_option.pk), "import_id": str(workout_import.pk)}
    return ids, client_for(other_user)


@pytest.mark.parametrize(("method", "path", "body"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_another_users_object_is_404_and_nothing_changes(owner_and_intruder, method, path, body):
    from workouts.tests.factories import loop_points

    ids, intruder = owner_and_intruder
    url = path.format(**ids)
    if body == "points":
        body = {"points": loop_points(count=5)}
    before = snapshot()

    response = intruder.generic(method, url, data=None if body is None else json.dumps(body),
                                content_type="application/json")

    assert response.status_code == 404, (response.status_code, response.content[:300])
    assert response.json() == {"success": False, "error": {"code": "not_found", "message": response.json()[
        "error"]["message"]}}
    after = snapshot()
    changed = [label for label in SNAPSHOT_MODELS if before[label] != after[label]]
    assert changed == []


def test_the_owner_reaches_every_object_of_the_matrix(owner_and_intruder, user):
    """The 404s above are about the caller, not broken ids: the owner's GETs of the same URLs succeed."""
    ids, _ = owner_and_intruder
    owner = client_for(user)
    for method, path, _ in MATRIX:
        if method == "GET" and "{my_" not in path:
            response = owner.get(path.format(**ids))
            assert response.status_code == 200, (path, response.status_code)


def test_routes_near_me_never_lists_another_users_private_route(owner_and_intruder, user):
    """A list, not an id: the owner's private post (sharing the planned route) is in the owner's routes near me
    and never in the intruder's, whatever the radius; reading changes nothing."""
    from routes.tests.conftest import grid_centre

    ids, intruder = owner_and_intruder
    lat, lon = grid_centre()
    query = {"latitude": lat, "longitude": lon, "radius_km": 20}
    before = snapshot()
    mine = client_for(user).get("/api/v1/routes/discover", query).json()["data"]["results"]
    assert [entry["post_id"] for entry in mine] == [ids["post_id"]]
    for ordering in ("nearest", "popular"):
        response = intruder.get("/api/v1/routes/discover", {**query, "ordering": ordering})
        assert response.status_code == 200
        assert response.json()["data"]["results"] == []
    assert snapshot() == before


def _api_routes(patterns=None, prefix: str = "") -> list[tuple[str, object]]:
    """(path with `{}` for each converter, view callback) of every URL pattern, recursively."""
    import re

    routes = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _api_routes(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            routes.append(("/" + re.sub(r"<[^>]+>", "{}", text), pattern.callback))
    return routes


def test_every_api_route_with_an_id_is_in_the_matrix():
    covered = {(method, _normalized(path)) for method, path, _ in MATRIX} | set(PUBLIC_BY_DESIGN)
    missing = []
    for path, callback in _api_routes():
        if not path.startswith("/api/v1/") or "{}" not in path:
            continue
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        assert view_class is not None, path
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view_class, method) and (method.upper(), path) not in covered:
                missing.append(f"{method.upper()} {path}")
    assert missing == [], "add these to MATRIX (or PUBLIC_BY_DESIGN with a reason)"
    # and the matrix names no route that does not exist
    existing = {path for path, _ in _api_routes()}
    assert {path for _, path in covered} <= existing


# --- mass assignment (API3) ----------------------------------------------------------------------------------
FOREIGN_ID = "00000000-0000-4000-8000-000000000001"


def test_profile_refuses_staff_flags_verification_and_identity(user, auth_client):
    before = snapshot()["accounts.User"]
    for field, value in [("is_staff", True), ("is_superuser", True), ("email_verified", True), ("id", FOREIGN_ID),
                         ("email", "boss@runnerway.example"), ("provider", "kakao"), ("is_active", False),
                         ("created_at", "2020-01-01T00:00:00Z"), ("password", "x")]:
        response = auth_client.patch("/api/v1/users/me", {"name": "Renamed", field: value}, format="json")
        assert response.status_code == 400, field
        assert field in response.json()["error"]["fields"]
    assert snapshot()["accounts.User"] == before


def test_route_create_ignores_owner_id_and_metrics(user, other_user, auth_client, grid_network, shapes):
    from routes.models import Route
    from routes.tests.conftest import grid_centre

    lat, lon = grid_centre()
    response = auth_client.post("/api/v1/routes", {
        "name": "Heart", "type": "running", "mode": "shape", "shape_id": "heart", "start_latitude": lat,
        "start_longitude": lon, "condition": "distance", "target_distance": 2.0, "intensity": "normal",
        "safety_mode": False, "options_count": 1,
        "id": FOREIGN_ID, "user": str(other_user.pk), "user_id": str(other_user.pk), "status": "archived",
        "distance": 99, "shape_fidelity": 100, "planning_ms": 1,
        "options": [{"id": FOREIGN_ID, "distance": 99, "shape_fidelity": 100}]}, format="json")
    assert response.status_code == 201, response.content[:300]
    route = Route.objects.get(pk=response.json()["data"]["id"])
    assert str(route.pk) != FOREIGN_ID and route.user_id == user.pk and route.status == "active"
    option = route.options.get()
    assert str(option.pk) != FOREIGN_ID and option.distance_km < 5 and option.shape_fidelity < 100
    assert not Route.objects.filter(user=other_user).exists()


def test_route_patch_refuses_everything_but_name_and_status(owner_and_intruder, user):
    ids, _ = owner_and_intruder
    owner = client_for(user)
    before = snapshot()
    for field, value in [("user", ids["my_route_id"]), ("user_id", ids["my_route_id"]), ("id", FOREIGN_ID),
                         ("target_distance", 40), ("planning_ms", 1), ("shape_id", "star")]:
        response = owner.patch(f"/api/v1/routes/{ids['route_id']}", {"name": "x", field: value}, format="json")
        assert response.status_code == 400, field
    assert snapshot() == before


def test_workout_start_and_complete_ignore_metrics_and_owner(user, other_user, auth_client):
    from workouts.models import Workout
    from workouts.tests.factories import loop_points

    response = auth_client.post("/api/v1/workouts", {
        "type": "running", "start_latitude": 37.5444, "start_longitude": 127.0374,
        "id": FOREIGN_ID, "user": str(other_user.pk), "user_id": str(other_user.pk), "status": "completed",
        "distance": 42.2, "duration": 9000, "calories": 5000, "route_completion": 100}, format="json")
    assert response.status_code == 201
    workout = Workout.objects.get(pk=response.json()["data"]["id"])
    assert str(workout.pk) != FOREIGN_ID and workout.user_id == user.pk and workout.status == "active"
    assert workout.distance_m == 0 and workout.duration_s == 0 and workout.calories_kcal is None

    points = loop_points(count=60, start=workout.started_at)
    assert auth_client.post(f"/api/v1/workouts/{workout.pk}/points", {"points": points},
                            format="json").status_code == 200
    response = auth_client.post(f"/api/v1/workouts/{workout.pk}/complete", {
        "distance": 42.2, "duration": 9000, "calories": 5000, "avg_pace_s": 100, "shape_accuracy": 100,
        "user_id": str(other_user.pk)}, format="json")
    assert response.status_code == 200
    workout.refresh_from_db()
    # 60 fixes a second apart at 5:00/km: about 200 m in about a minute
    assert workout.distance_m < 300 and workout.duration_s < 120 and workout.calories_kcal < 100
    assert workout.user_id == user.pk and workout.shape_accuracy is None
    assert not Workout.objects.filter(user=other_user).exists()


def test_goal_create_ignores_and_patch_refuses_computed_fields(user, other_user, auth_client):
    from django.utils import timezone

    from goals.models import Goal

    today = timezone.localdate()
    response = auth_client.post("/api/v1/goals", {
        "goal_type": "weekly", "target_type": "distance", "target_value": "20", "start_date": today.isoformat(),
        "end_date": today.isoformat(), "id": FOREIGN_ID, "user_id": str(other_user.pk),
        "user": str(other_user.pk), "achieved_at": "2026-01-01T00:00:00Z", "achievement_rate": 100,
        "current_value": 999}, format="json")
    assert response.status_code == 201
    goal = Goal.objects.get(pk=response.json()["data"]["id"])
    assert str(goal.pk) != FOREIGN_ID and goal.user_id == user.pk and goal.achieved_at is None
    before = snapshot()
    for field, value in [("user_id", str(other_user.pk)), ("achieved_at", "2026-01-01T00:00:00Z"),
                         ("achievement_rate", 100), ("start_date", "2020-01-01"), ("id", FOREIGN_ID)]:
        response = auth_client.patch(f"/api/v1/goals/{goal.pk}", {"target_value": "5", field: value}, format="json")
        assert response.status_code == 400, field
    assert snapshot() == before


def test_post_and_comment_ignore_author_and_counters(user, other_user, auth_client):
    from community.models import Comment, Post

    response = auth_client.post("/api/v1/community/posts", {
        "content": "hello", "visibility": "public", "id": FOREIGN_ID, "author": str(other_user.pk),
        "author_id": str(other_user.pk), "user_id": str(other_user.pk), "like_count": 1000,
        "comment_count": 1000, "is_hidden": False, "created_at": "2020-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 201
    post = Post.objects.get(pk=response.json()["data"]["id"])
    assert str(post.pk) != FOREIGN_ID and post.author_id == user.pk
    assert post.like_count == 0 and post.comment_count == 0 and post.created_at.year != 2020

    before = snapshot()
    for field, value in [("like_count", 1000), ("comment_count", 1000), ("author", str(other_user.pk)),
                         ("id", FOREIGN_ID), ("is_hidden", False), ("workout_id", FOREIGN_ID)]:
        response = auth_client.patch(f"/api/v1/community/posts/{post.pk}", {"content": "x", field: value},
                                     format="json")
        assert response.status_code == 400, field
    assert snapshot() == before

    response = auth_client.post(f"/api/v1/community/posts/{post.pk}/comments", {
        "content": "first", "author": str(other_user.pk), "post": FOREIGN_ID, "id": FOREIGN_ID}, format="json")
    assert response.status_code == 201
    comment = Comment.objects.get(pk=response.json()["data"]["id"])
    assert str(comment.pk) != FOREIGN_ID and comment.author_id == user.pk and comment.post_id == post.pk
    post.refresh_from_db()
    assert post.comment_count == 1


def test_follow_and_like_bodies_cannot_set_counters(user, other_user, auth_client):
    from community.models import Post
    from community.tests.factories import PostFactory

    post = PostFactory(author=other_user)
    response = auth_client.post(f"/api/v1/community/posts/{post.pk}/like", {"like_count": 1000}, format="json")
    assert response.status_code == 200 and response.json()["data"] == {"liked": True, "like_count": 1}
    assert Post.objects.get(pk=post.pk).like_count == 1
    response = auth_client.post(f"/api/v1/users/{other_user.pk}/follow", {"follower_count": 1000}, format="json")
    assert response.status_code == 200 and response.json()["data"] == {"following": True, "follower_count": 1}


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/workouts", {"type": "running", "route_id": "{route_id}"}),
    ("/api/v1/workouts", {"type": "running", "route_option_id": "{option_id}"}),
    ("/api/v1/community/posts", {"content": "x", "workout_id": "{workout_id}"}),
    ("/api/v1/community/posts", {"content": "x", "route_id": "{route_id}"}),
])
def test_bodies_cannot_reference_another_users_objects(owner_and_intruder, path, body):
    """An id of the owner's inside the intruder's body is refused like an unknown id (400), nothing created."""
    ids, intruder = owner_and_intruder
    body = {key: value.format(**ids) if isinstance(value, str) else value for key, value in body.items()}
    before = snapshot()
    response = intruder.post(path, body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["code"] == "validation_error"
    assert snapshot() == before
