"""`GET /notifications` answers each notification's `data` in the API's units, as its schema says."""

from community.models import Notification
from community.services import notification_create
from workouts.tests.factories import WorkoutFactory


def _data_by_record(auth_client) -> dict:
    response = auth_client.get("/api/v1/notifications")
    assert response.status_code == 200
    return {item["data"]["record"]: item["data"] for item in response.json()["data"]["results"]
            if item["type"] == "personal_record"}


def test_personal_records_come_in_km_and_whole_seconds(user, auth_client):
    workout = WorkoutFactory(completed=True, user=user)
    for record, value, previous in [("longest_distance_m", 12_345.6, 10_004.0), ("fastest_5k_s", 1499.6, None)]:
        notification_create(user_id=user.pk, type=Notification.Type.PERSONAL_RECORD, target_type="workout",
                            target_id=workout.pk, dedupe_key=f"test:{record}",
                            data={"record": record, "value": value, "previous": previous,
                                  "workout_id": str(workout.pk)})
    data = _data_by_record(auth_client)
    assert data["longest_distance"] == {"record": "longest_distance", "value": 12.35, "previous": 10.0,
                                        "workout_id": str(workout.pk)}
    assert data["fastest_5k_s"] == {"record": "fastest_5k_s", "value": 1500, "previous": None,
                                    "workout_id": str(workout.pk)}
    # what is stored (and what the pushes read) keeps the workouts' own keys and units
    stored = Notification.objects.get(dedupe_key="test:longest_distance_m")
    assert stored.data["record"] == "longest_distance_m" and stored.data["value"] == 12_345.6


def test_other_notifications_answer_their_data_as_stored(user, other_user, auth_client):
    notification_create(user_id=user.pk, type=Notification.Type.COMMENT, actor_id=other_user.pk,
                        target_type="comment", target_id="c1", dedupe_key="test:comment",
                        data={"post_id": "p1", "comment_id": "c1", "excerpt": "Nice heart"})
    (item,) = auth_client.get("/api/v1/notifications").json()["data"]["results"]
    assert (item["type"], item["target_type"]) == ("comment", "comment")
    assert item["data"] == {"post_id": "p1", "comment_id": "c1", "excerpt": "Nice heart"}
