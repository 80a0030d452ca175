"""Likes and follows: idempotent endpoints, exact counters, and exact counters under concurrent requests
(threads with their own database connections: on MariaDB they really run in parallel; SQLite serialises them
on its write lock)."""

import threading

import pytest
from django.db import connections

from accounts.tests.factories import UserFactory
from community.models import Follow, Like, Notification, Post, UserCounters
from community.tests.factories import PostFactory
from conftest import client_for

THREADS = 8


@pytest.mark.django_db
class TestLikes:
    def test_like_and_unlike_are_idempotent(self, user, auth_client):
        post = PostFactory()
        url = f"/api/v1/community/posts/{post.pk}/like"
        for _ in range(2):
            response = auth_client.post(url)
            assert response.status_code == 200
            assert response.json()["data"] == {"liked": True, "like_count": 1}
        assert Like.objects.filter(post=post).count() == 1
        for _ in range(2):
            response = auth_client.delete(url)
            assert response.json()["data"] == {"liked": False, "like_count": 0}
        post.refresh_from_db()
        assert post.like_count == 0 and not Like.objects.exists()

    def test_unknown_post_is_404(self, auth_client):
        response = auth_client.post("/api/v1/community/posts/00000000-0000-0000-0000-000000000000/like")
        assert response.status_code == 404


@pytest.mark.django_db
class TestFollows:
    def test_follow_and_unfollow_are_idempotent_with_counters(self, user, other_user, auth_client):
        url = f"/api/v1/users/{other_user.pk}/follow"
        for _ in range(2):
            response = auth_client.post(url)
            assert response.status_code == 200
            assert response.json()["data"] == {"following": True, "follower_count": 1}
        assert UserCounters.objects.get(user=user).following_count == 1
        for _ in range(2):
            assert auth_client.delete(url).json()["data"] == {"following": False, "follower_count": 0}
        assert UserCounters.objects.get(user=user).following_count == 0
        assert not Follow.objects.exists()

    def test_no_self_follow_and_unknown_user(self, user, auth_client):
        response = auth_client.post(f"/api/v1/users/{user.pk}/follow")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"
        assert auth_client.post("/api/v1/users/00000000-0000-0000-0000-000000000000/follow").status_code == 404
        assert not Follow.objects.exists()


def _in_threads(target, args_list) -> list:
    errors: list = []
    barrier = threading.Barrier(len(args_list))

    def run(*args):
        try:
            barrier.wait(timeout=10)
            target(*args)
        except Exception as exc:  # collected and re-raised in the test
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_likes_keep_like_count_exact():
    author = UserFactory()
    post = PostFactory(author=author)
    likers = [UserFactory() for _ in range(THREADS)]
    url = f"/api/v1/community/posts/{post.pk}/like"
    results: list[int] = []

    def like(liker):
        response = client_for(liker).post(url)
        assert response.status_code == 200, response.content
        results.append(response.json()["data"]["like_count"])

    errors = _in_threads(like, [(liker,) for liker in likers])
    assert errors == []
    post = Post.objects.get(pk=post.pk)
    assert post.like_count == THREADS == Like.objects.filter(post=post).count()
    assert sorted(results) == list(range(1, THREADS + 1))  # each request saw its own increment
    # Each like notified the author once (tasks ran inline on commit).
    assert Notification.objects.filter(user=author, type="like").count() == THREADS

    # The same users unliking and liking again concurrently: still exact.
    def unlike_then_like(liker):
        client = client_for(liker)
        assert client.delete(url).status_code == 200
        assert client.post(url).status_code == 200

    assert _in_threads(unlike_then_like, [(liker,) for liker in likers]) == []
    post.refresh_from_db()
    assert post.like_count == THREADS == Like.objects.filter(post=post).count()
    assert Notification.objects.filter(user=author, type="like").count() == THREADS  # within the hour


@pytest.mark.django_db(transaction=True)
def test_concurrent_follows_keep_counters_exact():
    star = UserFactory()
    fans = [UserFactory() for _ in range(THREADS)]

    def follow(fan):
        response = client_for(fan).post(f"/api/v1/users/{star.pk}/follow")
        assert response.status_code == 200, response.content
        # ... and the star follows them back at the same time (opposite lock order in a naive version).
        assert client_for(star).post(f"/api/v1/users/{fan.pk}/follow").status_code == 200

    assert _in_threads(follow, [(fan,) for fan in fans]) == []
    counters = UserCounters.objects.get(user=star)
    assert counters.follower_count == THREADS == Follow.objects.filter(followee=star).count()
    assert counters.following_count == THREADS
    assert all(UserCounters.objects.get(user=fan).follower_count == 1 for fan in fans)
