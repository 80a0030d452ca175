"""Staff moderation in the admin, the comments' order, and the visibility selector for anonymous viewers."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community import selectors, services
from community.models import Comment, Follow, Like, Notification, Post, UserCounters
from community.tests.factories import PostFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize("model", [Post, Comment, Like, Follow, UserCounters, Notification])
def test_every_model_has_a_searchable_admin_page(staff_client, model):
    PostFactory()
    url = reverse(f"admin:community_{model._meta.model_name}_changelist")
    assert staff_client.get(url, {"q": "run"}).status_code == 200


def test_staff_hide_and_unhide_posts_and_comments(staff_client, user):
    post = PostFactory()
    comment = services.comment_create(post=post, author=user, content="spam spam")
    reader = client_for(UserFactory())
    response = staff_client.post(reverse("admin:community_post_changelist"),
                                 {"action": "hide", "_selected_action": [str(post.pk)]})
    assert response.status_code == 302
    assert reader.get(f"/api/v1/community/posts/{post.pk}").status_code == 404
    staff_client.post(reverse("admin:community_post_changelist"),
                      {"action": "unhide", "_selected_action": [str(post.pk)]})
    assert reader.get(f"/api/v1/community/posts/{post.pk}").status_code == 200

    staff_client.post(reverse("admin:community_comment_changelist"),
                      {"action": "hide", "_selected_action": [str(comment.pk)]})
    comment.refresh_from_db()
    post.refresh_from_db()
    assert comment.is_hidden is True and post.comment_count == 0
    assert reader.get(f"/api/v1/community/posts/{post.pk}/comments").json()["data"]["results"] == []


def test_comments_are_oldest_first_and_cursor_paginated(user, auth_client):
    post = PostFactory(author=user)
    now = timezone.now()
    comments = [Comment.objects.create(post=post, author=user, content=f"c{i}",
                                       created_at=now - timedelta(minutes=10 - i)) for i in range(5)]
    url = f"/api/v1/community/posts/{post.pk}/comments"
    first = auth_client.get(url, {"page_size": 3}).json()["data"]
    second = auth_client.get(first["next"]).json()["data"]
    assert [c["content"] for c in first["results"] + second["results"]] == [c.content for c in comments]
    assert first["results"][0]["can_delete"] is True


def test_anonymous_viewers_would_see_public_posts_only():
    author, fan = UserFactory(), UserFactory()
    Follow.objects.create(follower=fan, followee=author)
    public = PostFactory(author=author, visibility="public")
    PostFactory(author=author, visibility="followers")
    PostFactory(author=author, visibility="private")
    PostFactory(author=author, visibility="public", is_hidden=True)
    assert list(selectors.posts_visible_to(viewer=AnonymousUser())) == [public]
    assert selectors.posts_visible_to(viewer=fan).count() == 2
    assert selectors.posts_visible_to(viewer=author).count() == 3


def test_a_deleted_authors_posts_disappear():
    author = UserFactory()
    post = PostFactory(author=author)
    author.deleted_at = timezone.now()
    author.save(update_fields=["deleted_at"])
    assert post not in selectors.posts_visible_to(viewer=UserFactory())
