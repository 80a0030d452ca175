"""Notifications: created by tasks after commit (never in the request), once per event, never to oneself,
and the notifications API."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community import tasks
from community.models import Like, Notification
from community.tests.factories import PostFactory
from workouts.tests.factories import WorkoutFactory

pytestmark = pytest.mark.django_db


def _like(client, post):
    return client.post(f"/api/v1/community/posts/{post.pk}/like")


def _unlike(client, post):
    return client.delete(f"/api/v1/community/posts/{post.pk}/like")


def test_a_like_notifies_the_author_once_after_commit(user, other_user, other_client, committed):
    post = PostFactory(author=user)
    with committed() as callbacks:
        assert _like(other_client, post).status_code == 200
        assert not Notification.objects.exists()  # not inside the request
    assert len(callbacks) == 2  # the request's notification task, then (once the row commits) its push
    notification = Notification.objects.get()
    assert (notification.user_id, notification.type, notification.actor_id) == (user.pk, "like", other_user.pk)
    assert (notification.target_type, notification.target_id) == ("post", str(post.pk))


def test_like_unlike_like_within_an_hour_notifies_once(user, other_client, committed):
    post = PostFactory(author=user)
    with committed():
        _like(other_client, post)
    with committed():
        _unlike(other_client, post)
    with committed():
        _like(other_client, post)
    assert Notification.objects.filter(user=user, type="like").count() == 1


def test_a_like_given_again_after_an_hour_notifies_again(user, other_client, committed):
    post = PostFactory(author=user)
    with committed():
        _like(other_client, post)
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    with committed():
        _unlike(other_client, post)
        _like(other_client, post)
    assert Notification.objects.filter(user=user, type="like").count() == 2


def test_self_like_and_self_comment_notify_nobody(user, auth_client, committed):
    post = PostFactory(author=user)
    with committed():
        _like(auth_client, post)
        auth_client.post(f"/api/v1/community/posts/{post.pk}/comments", {"content": "me again"})
    assert not Notification.objects.exists()


def test_redelivered_like_task_creates_nothing_twice(user, other_user):
    post = PostFactory(author=user)
    like = Like.objects.create(post=post, user=other_user)
    assert tasks.notify_post_liked(like.pk) is True
    assert tasks.notify_post_liked(like.pk) is False
    assert Notification.objects.count() == 1


def test_a_like_taken_back_before_the_task_ran_notifies_nobody(user, other_user):
    post = PostFactory(author=user)
    like = Like.objects.create(post=post, user=other_user)
    like_id = like.pk
    like.delete()
    assert tasks.notify_post_liked(like_id) is False
    assert not Notification.objects.exists()


def test_a_comment_notifies_the_post_author(user, other_user, other_client, committed):
    post = PostFactory(author=user)
    with committed():
        response = other_client.post(f"/api/v1/community/posts/{post.pk}/comments", {"content": "Great pace!"})
    assert response.status_code == 201
    notification = Notification.objects.get()
    assert (notification.type, notification.actor_id, notification.user_id) == ("comment", other_user.pk, user.pk)
    assert notification.data["post_id"] == str(post.pk)
    assert notification.data["excerpt"] == "Great pace!"


def test_comment_length_limits(user, auth_client):
    post = PostFactory(author=user)
    url = f"/api/v1/community/posts/{post.pk}/comments"
    assert auth_client.post(url, {"content": ""}).status_code == 400
    assert auth_client.post(url, {"content": "x" * 1001}).status_code == 400
    assert auth_client.post(url, {"content": "x" * 1000}).status_code == 201
    post.refresh_from_db()
    assert post.comment_count == 1


def test_follow_notifies_once_within_an_hour(user, other_user, other_client, committed):
    url = f"/api/v1/users/{user.pk}/follow"
    with committed():
        other_client.post(url)
    with committed():
        other_client.delete(url)
    with committed():
        other_client.post(url)
    notification = Notification.objects.get()
    assert (notification.type, notification.user_id, notification.actor_id) == ("follow", user.pk, other_user.pk)
    assert (notification.target_type, notification.target_id) == ("user", str(other_user.pk))


def test_a_personal_record_notifies_its_runner(user, committed):
    from workouts.services import user_stats_add_workout

    workout = WorkoutFactory(completed=True, user=user, distance_m=12_000.0, best_5k_s=1500.0)
    with committed(), transaction.atomic():
        improved = user_stats_add_workout(workout=workout)
    assert improved  # the first workout sets records
    notifications = Notification.objects.filter(user=user, type="personal_record")
    assert {n.data["record"] for n in notifications} == {record for record, _, _ in improved}
    assert all(n.actor_id is None and n.target_id == str(workout.pk) for n in notifications)
    # The same event delivered again adds nothing.
    record, value, previous = improved[0]
    assert tasks.notify_personal_record(str(user.pk), str(workout.pk), record, value, previous) is False


class TestApi:
    def _make(self, user, count, **kwargs):
        now = timezone.now()
        return [Notification.objects.create(user=user, type="follow", actor=UserFactory(),
                                            created_at=now - timedelta(minutes=i), **kwargs)
                for i in range(count)]

    def test_list_newest_first_and_unread_filter(self, user, auth_client):
        newest, middle, oldest = self._make(user, 3)
        Notification.objects.filter(pk=middle.pk).update(read_at=timezone.now())
        self._make(UserFactory(), 2)  # someone else's
        data = auth_client.get("/api/v1/notifications").json()["data"]
        assert [n["id"] for n in data["results"]] == [str(newest.pk), str(middle.pk), str(oldest.pk)]
        assert data["results"][0]["actor"]["id"] == str(newest.actor_id)
        unread = auth_client.get("/api/v1/notifications", {"unread": "true"}).json()["data"]["results"]
        assert [n["id"] for n in unread] == [str(newest.pk), str(oldest.pk)]

    def test_read_one_and_read_all(self, user, auth_client):
        first, *_ = self._make(user, 3)
        response = auth_client.post(f"/api/v1/notifications/{first.pk}/read")
        assert response.status_code == 200
        assert response.json()["data"]["is_read"] is True
        first.refresh_from_db()
        assert first.read_at is not None
        response = auth_client.post("/api/v1/notifications/read-all")
        assert response.json()["data"] == {"marked_read": 2, "unread_count": 0}
        assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()

    def test_another_users_notification_is_404(self, user, other_user, auth_client):
        (theirs,) = self._make(other_user, 1)
        response = auth_client.post(f"/api/v1/notifications/{theirs.pk}/read")
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert auth_client.post("/api/v1/notifications/read-all").json()["data"]["marked_read"] == 0
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_constant_queries(self, user, auth_client, django_assert_max_num_queries):
        self._make(user, 30)
        with django_assert_max_num_queries(3):
            data = auth_client.get("/api/v1/notifications", {"page_size": 25}).json()["data"]
        assert len(data["results"]) == 25
