"""A user with data of their own, built through the API (the paths a phone takes), for the hardening tests.

`account_with_data(user)` needs the synthetic grid network and the seeded shape catalog (fixtures
`grid_network` and `shapes`) so that the route is really planned.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from conftest import client_for
from routes.tests.conftest import grid_centre
from workouts.tests.factories import loop_points


@dataclass
class AccountData:
    """Ids (strings) of one user's objects, one of each kind an endpoint takes."""

    user_id: str
    route_id: str
    option_id: str
    workout_id: str  # completed, with a track
    active_workout_id: str  # recording, a few points
    goal_id: str
    post_id: str  # private, sharing the completed workout and the route
    comment_id: str  # on the private post, by the owner
    notification_id: str  # unread
    device_id: str  # a registered phone


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()["data"]


def account_with_data(user, *, actor=None) -> AccountData:
    """Plan a route, record and complete a workout, start another, set a goal, share a private post and comment
    on it, and leave an unread notification (from `actor`, another user, when given)."""
    from community.models import Notification
    from community.services import notification_create

    client = client_for(user)
    lat, lon = grid_centre()
    route = _ok(client.post("/api/v1/routes", {
        "name": "Morning heart", "type": "running", "mode": "shape", "shape_id": "heart",
        "start_latitude": lat, "start_longitude": lon, "condition": "distance", "target_distance": 2.0,
        "intensity": "normal", "safety_mode": False, "options_count": 1}, format="json"), 201)

    started = timezone.now() - timedelta(hours=2)
    workout = _ok(client.post("/api/v1/workouts", {
        "type": "running", "start_latitude": 37.5444, "start_longitude": 127.0374,
        "started_at": started.isoformat()}, format="json"), 201)
    points = loop_points(count=120, start=started, interval_s=2.0)
    _ok(client.post(f"/api/v1/workouts/{workout['id']}/points", {"points": points}, format="json"))
    _ok(client.post(f"/api/v1/workouts/{workout['id']}/complete", {}, format="json"))

    active = _ok(client.post("/api/v1/workouts", {
        "type": "running", "start_latitude": 37.5444, "start_longitude": 127.0374}, format="json"), 201)
    recent = timezone.now() - timedelta(seconds=30)
    _ok(client.post(f"/api/v1/workouts/{active['id']}/points",
                    {"points": loop_points(count=10, start=recent)}, format="json"))

    today = timezone.localdate()
    goal = _ok(client.post("/api/v1/goals", {
        "goal_type": "monthly", "target_type": "distance", "target_value": "50",
        "start_date": today.replace(day=1).isoformat(),
        "end_date": (today.replace(day=1) + timedelta(days=27)).isoformat()},  # a monthly goal spans <= 31 days
        format="json"), 201)

    post = _ok(client.post("/api/v1/community/posts", {
        "content": "My heart run", "visibility": "private", "workout_id": workout["id"],
        "route_id": route["id"]}, format="json"), 201)
    comment = _ok(client.post(f"/api/v1/community/posts/{post['id']}/comments", {"content": "Felt good"},
                              format="json"), 201)

    notification = notification_create(user_id=user.pk, type=Notification.Type.FOLLOW,
                                       actor_id=actor.pk if actor else None, target_type="user",
                                       target_id=str(actor.pk if actor else user.pk))
    assert notification is not None
    device = _ok(client.post("/api/v1/devices", {"token": f"fcm-{user.pk}", "platform": "android"},
                             format="json"), 201)
    return AccountData(user_id=str(user.pk), route_id=route["id"], option_id=route["options"][0]["id"],
                       workout_id=workout["id"], active_workout_id=active["id"], goal_id=goal["id"],
                       post_id=post["id"], comment_id=comment["id"], notification_id=str(notification.pk),
                       device_id=device["id"])
