"""Who sees what: owner, follower, stranger and anonymous x public, followers-only and private posts, on every
endpoint that reads or acts on a post (detail, feed, comments, likes, the shared track, save-route, comment
deletion). Invisible answers 404 (never 403); anonymous answers 401."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from community import services
from community.models import Comment, Like, Post
from community.tests.conftest import follow
from community.tests.factories import PostFactory, route_with_options, straight_track
from conftest import client_for
from routes.models import Route
from workouts.tests.factories import WorkoutFactory

ROLES = ["owner", "follower", "stranger", "anonymous"]
VISIBILITIES = [Post.Visibility.PUBLIC, Post.Visibility.FOLLOWERS, Post.Visibility.PRIVATE]
SEES = {
    ("owner", "public"): True, ("owner", "followers"): True, ("owner", "private"): True,
    ("follower", "public"): True, ("follower", "followers"): True, ("follower", "private"): False,
    ("stranger", "public"): True, ("stranger", "followers"): False, ("stranger", "private"): False,
}


@pytest.fixture
def scene(db):
    owner, follower, stranger = UserFactory(), UserFactory(), UserFactory()
    follow(follower, owner)
    workout = WorkoutFactory(completed=True, user=owner)
    straight_track(workout, length_m=1000)
    route = route_with_options(user=owner)
    posts = {
        visibility: PostFactory(author=owner, visibility=visibility, workout=workout, route=route,
                                route_option=route.options.order_by("rank").first())
        for visibility in VISIBILITIES
    }
    comments = {visibility: services.comment_create(post=post, author=owner, content="First!")
                for visibility, post in posts.items()}
    users = {"owner": owner, "follower": follower, "stranger": stranger}
    return users, posts, comments


def client_as(role, users) -> APIClient:
    return APIClient() if role == "anonymous" else client_for(users[role])


def expected(role, visibility, visible_status):
    if role == "anonymous":
        return 401
    return visible_status if SEES[(role, visibility)] else 404


ENDPOINTS = [
    # (name, method, path template, body, status when visible)
    ("detail", "get", "/api/v1/community/posts/{post}", None, 200),
    ("comments-list", "get", "/api/v1/community/posts/{post}/comments", None, 200),
    ("comments-create", "post", "/api/v1/community/posts/{post}/comments", {"content": "Go!"}, 201),
    ("like", "post", "/api/v1/community/posts/{post}/like", None, 200),
    ("unlike", "delete", "/api/v1/community/posts/{post}/like", None, 200),
    ("track", "get", "/api/v1/community/posts/{post}/track", None, 200),
    ("save-route", "post", "/api/v1/community/posts/{post}/save-route", None, 201),
]


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "template", "body", "visible_status"), ENDPOINTS,
                         ids=[endpoint[0] for endpoint in ENDPOINTS])
def test_post_endpoints_visibility_matrix(scene, role, visibility, name, method, template, body,
                                         visible_status):
    users, posts, _ = scene
    post = posts[visibility]
    routes_before = Route.objects.count()
    response = getattr(client_as(role, users), method)(template.format(post=post.pk), body, format="json")
    want = expected(role, visibility, visible_status)
    assert response.status_code == want, response.content
    body_json = response.json()
    assert body_json["success"] is (want < 400)
    if want == 404:
        assert body_json["error"]["code"] == "not_found"
    if want == 401:
        assert body_json["error"]["code"] == "not_authenticated"
    # Nothing was written by a refused request.
    if want >= 400:
        assert Route.objects.count() == routes_before
        assert Like.objects.filter(post=post).count() == 0
        assert Comment.objects.filter(post=post).count() == 1


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", ["owner", "follower", "stranger"])
def test_feed_shows_exactly_the_visible_posts(scene, role, visibility):
    users, posts, _ = scene
    response = client_as(role, users).get("/api/v1/community/posts")
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["data"]["results"]}
    assert (str(posts[visibility].pk) in ids) is SEES[(role, visibility)]


def test_feed_requires_authentication(scene):
    response = APIClient().get("/api/v1/community/posts")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", ROLES)
def test_deleting_the_owners_comment(scene, role, visibility):
    """The comment is the post author's: the owner deletes it (204); a viewer who sees the post but wrote
    neither gets 403; one who cannot see the post gets 404."""
    users, _, comments = scene
    comment = comments[visibility]
    response = client_as(role, users).delete(f"/api/v1/community/comments/{comment.pk}")
    if role == "anonymous":
        want = 401
    elif role == "owner":
        want = 204
    else:
        want = 403 if SEES[(role, visibility)] else 404
    assert response.status_code == want, response.content
    assert Comment.objects.filter(pk=comment.pk).exists() is (want != 204)
    if want == 403:
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("role", ["follower", "stranger"])
def test_only_the_author_edits_or_deletes_a_visible_post(scene, role):
    users, posts, _ = scene
    post = posts[Post.Visibility.PUBLIC]
    client = client_as(role, users)
    response = client.patch(f"/api/v1/community/posts/{post.pk}", {"content": "hijacked"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.delete(f"/api/v1/community/posts/{post.pk}").status_code == 403
    post.refresh_from_db()
    assert post.content != "hijacked"


def test_a_commenter_deletes_their_comment_and_the_post_author_deletes_any(scene):
    users, posts, _ = scene
    post = posts[Post.Visibility.PUBLIC]
    mine = services.comment_create(post=post, author=users["stranger"], content="mine")
    theirs = services.comment_create(post=post, author=users["follower"], content="theirs")
    assert client_for(users["stranger"]).delete(f"/api/v1/community/comments/{theirs.pk}").status_code == 403
    assert client_for(users["stranger"]).delete(f"/api/v1/community/comments/{mine.pk}").status_code == 204
    assert client_for(users["owner"]).delete(f"/api/v1/community/comments/{theirs.pk}").status_code == 204
    post.refresh_from_db()
    assert post.comment_count == 1
    assert not Comment.objects.filter(pk__in=[mine.pk, theirs.pk]).exists()


def test_hidden_post_disappears_from_feed_and_every_endpoint(scene):
    users, posts, _ = scene
    post = posts[Post.Visibility.PUBLIC]
    stranger = client_for(users["stranger"])
    assert stranger.get(f"/api/v1/community/posts/{post.pk}").status_code == 200
    Post.objects.filter(pk=post.pk).update(is_hidden=True)
    feed_ids = {item["id"] for item in stranger.get("/api/v1/community/posts").json()["data"]["results"]}
    assert str(post.pk) not in feed_ids
    for role in ("owner", "stranger"):
        client = client_as(role, users)
        for _, method, template, body, _ in ENDPOINTS:
            response = getattr(client, method)(template.format(post=post.pk), body, format="json")
            assert response.status_code == 404, (role, template)
    owner_feed = client_for(users["owner"]).get("/api/v1/community/posts").json()["data"]["results"]
    assert str(post.pk) not in {item["id"] for item in owner_feed}


def test_hidden_comment_disappears_from_the_list(scene):
    users, posts, comments = scene
    post = posts[Post.Visibility.PUBLIC]
    assert services.comments_set_hidden(comment_ids=[comments["public"].pk], hidden=True) == 1
    response = client_for(users["stranger"]).get(f"/api/v1/community/posts/{post.pk}/comments")
    assert response.json()["data"]["results"] == []
    post.refresh_from_db()
    assert post.comment_count == 0
    delete = client_for(users["owner"]).delete(f"/api/v1/community/comments/{comments['public'].pk}")
    assert delete.status_code == 404


FILE_ENDPOINTS = [("route.svg", "image/svg+xml"), ("route.gpx", "application/gpx+xml")]


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("suffix", "media_type"), FILE_ENDPOINTS, ids=[e[0] for e in FILE_ENDPOINTS])
def test_route_previews_visibility_matrix(scene, role, visibility, suffix, media_type):
    """The shared route's previews answer like the post: the file when visible, the JSON envelope otherwise."""
    users, posts, _ = scene
    response = client_as(role, users).get(f"/api/v1/community/posts/{posts[visibility].pk}/{suffix}")
    want = expected(role, visibility, 200)
    assert response.status_code == want, response.content
    if want == 200:
        assert response["Content-Type"].startswith(media_type)
    else:
        body = response.json()
        assert body["success"] is False
        assert body["error"]["code"] == ("not_found" if want == 404 else "not_authenticated")
