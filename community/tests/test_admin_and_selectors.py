"""Staff moderation in the admin, the comments' order, and the visibility selector for anonymous viewers."""

import re
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


def test_comment_list_shows_the_text_and_names_people(staff_client, django_assert_max_num_queries):
    author = UserFactory(name="Minji Kim")
    commenter = UserFactory(name="Jisoo Park")
    post = PostFactory(author=author, content="Heart drawn on the streets")
    long_text = "A long comment that staff must be able to read in full in the list. " * 3
    for _index in range(5):
        services.comment_create(post=post, author=commenter, content=long_text)
    with django_assert_max_num_queries(12):  # the author and the post's author come with each row
        page = staff_client.get(reverse("admin:community_comment_changelist")).content.decode()
    assert page.count(long_text.strip()) == 5
    assert "Jisoo Park" in page and "Minji Kim: Heart drawn on the streets" in page
    assert str(author.pk) not in page.replace(f"/{post.pk}/", "")  # people by name, not by UUID
    assert reverse("admin:community_comment_add") not in page


def test_post_page_lists_its_comments_and_nothing_system_made_can_be_added(staff_client):
    author, commenter = UserFactory(name="Minji Kim"), UserFactory(name="Jisoo Park")
    post = PostFactory(author=author)
    services.comment_create(post=post, author=commenter, content="같이 달려요")
    page = staff_client.get(reverse("admin:community_post_change", args=[post.pk])).content.decode()
    assert "같이 달려요" in page and "Jisoo Park" in page
    row_label = re.search(r'<td class="original">\s*<p>\s*(.*?)\s*<a ', page, re.S).group(1)
    assert row_label == "Jisoo Park: 같이 달려요"  # the inline row is named, not a pair of UUIDs
    assert f"Minji Kim: {post.content[:40]}" in page  # the title names the author
    for model in (Post, Comment, Like, Follow, UserCounters, Notification):
        assert staff_client.get(reverse(f"admin:community_{model._meta.model_name}_add")).status_code == 403


def test_notifications_are_named_by_the_recipients_name(staff_client):
    recipient, actor = UserFactory(name="Aino Virtanen"), UserFactory(name="Seojun Lee")
    Notification.objects.create(user=recipient, actor=actor, type=Notification.Type.choices[0][0])
    page = staff_client.get(reverse("admin:community_notification_changelist")).content.decode()
    assert "Aino Virtanen" in page and "Seojun Lee" in page and str(recipient.pk) not in page
