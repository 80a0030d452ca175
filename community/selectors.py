"""Reads of the community app: who may see which post, the feed, comments, notifications (the paths a post
shows, with the privacy zone: community.shared_paths).

Visibility lives in ONE place, `posts_visible_to`: every post, comment, like, track and save-route endpoint
starts from it, so a post nobody may see answers 404 everywhere alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.models import Comment, Follow, Like, Notification, Post, UserCounters
from workouts.models import Workout

# Popular feed: score = likes of the last 7 days + 2 * comments of the last 7 days (a comment costs the reader
# more than a tap, so it says more); ties go to the newest post, then the id (a total order).
POPULAR_WINDOW = timedelta(days=7)
POPULAR_COMMENT_WEIGHT = 2
FEED_ORDERINGS = ("latest", "popular")


def posts_visible_to(*, viewer) -> QuerySet[Post]:
    """Posts `viewer` may see: never hidden ones nor those of deleted or disabled authors; anonymous viewers see
    public posts; a signed-in viewer also sees their own posts (any visibility) and the followers-only posts
    of the people they follow."""
    posts = Post.objects.filter(is_hidden=False, author__deleted_at__isnull=True, author__is_active=True)
    if viewer is None or not viewer.is_authenticated:
        return posts.filter(visibility=Post.Visibility.PUBLIC)
    followed = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
    return posts.filter(
        Q(visibility=Post.Visibility.PUBLIC)
        | Q(author_id=viewer.pk)
        | Q(visibility=Post.Visibility.FOLLOWERS, author_id__in=Subquery(followed))
    )


def _with_display_data(posts: QuerySet[Post], *, viewer) -> QuerySet[Post]:
    """Everything the post serializer reads, in the same query: author, workout (+ its route's shape), route
    (+ shape, + the shown option and its path) and `liked_by_me`."""
    posts = posts.select_related("author", "workout__route__shape", "route__shape", "route_option")
    if viewer is not None and viewer.is_authenticated:
        liked = Exists(Like.objects.filter(post_id=OuterRef("pk"), user_id=viewer.pk))
    else:
        liked = Value(False)
    return posts.annotate(liked_by_me=liked)


def popular_score_expression(*, since: datetime):
    """recent_likes + POPULAR_COMMENT_WEIGHT * recent_comments (not hidden), as correlated subquery counts."""

    def count_since(model, **extra):
        rows = (model.objects.filter(post_id=OuterRef("pk"), created_at__gte=since, **extra)
                .order_by().values("post_id").annotate(n=Count("pk")).values("n"))
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    return count_since(Like) + POPULAR_COMMENT_WEIGHT * count_since(Comment, is_hidden=False)


def post_feed(*, viewer, ordering: str = "latest", shape_id: str | None = None, user_id=None,
              now: datetime | None = None) -> QuerySet[Post]:
    """The feed of `viewer`: visible posts, optionally of one shape (the shared route's or the shared workout's
    route's shape slug) or one author. `latest` is ordered by the paginator (-created_at); `popular` is
    annotated with `popularity` and ordered by (-popularity, -created_at, -id)."""
    posts = posts_visible_to(viewer=viewer)
    if shape_id:
        posts = posts.filter(Q(route__shape__shape_id=shape_id) | Q(workout__route__shape__shape_id=shape_id))
    if user_id:
        posts = posts.filter(author_id=user_id)
    posts = _with_display_data(posts, viewer=viewer)
    if ordering == "popular":
        since = (now or timezone.now()) - POPULAR_WINDOW
        posts = posts.annotate(popularity=popular_score_expression(since=since)).order_by(
            F("popularity").desc(), "-created_at", "-id")
    return posts


def post_get_visible(*, viewer, post_id) -> Post | None:
    """One post `viewer` may see, with its display data; None (→ 404) otherwise."""
    return _with_display_data(posts_visible_to(viewer=viewer), viewer=viewer).filter(pk=post_id).first()


def comments_of_post(*, post: Post) -> QuerySet[Comment]:
    """The post's comments that are not hidden (the paginator orders them oldest first)."""
    return Comment.objects.filter(post_id=post.pk, is_hidden=False).select_related("author")


def comment_get_visible(*, viewer, comment_id) -> Comment | None:
    """A comment not hidden, on a post `viewer` may see; None (→ 404) otherwise."""
    visible_posts = posts_visible_to(viewer=viewer).values("pk")
    return (Comment.objects.select_related("post", "author")
            .filter(pk=comment_id, is_hidden=False, post_id__in=Subquery(visible_posts)).first())


def shared_workout(post: Post) -> Workout | None:
    """The workout a post shares, unless it was deleted since."""
    workout = post.workout
    if workout is None or workout.deleted_at is not None or workout.status != Workout.Status.COMPLETED:
        return None
    return workout


@dataclass(frozen=True)
class FollowSummary:
    follower_count: int
    following_count: int
    following: bool  # the viewer follows this user (as `following` in the follow endpoint's answer)


def follow_summary(*, user_id, viewer) -> FollowSummary:
    """A user's follower and following counts and whether `viewer` follows them: one query. (follow_create keeps
    a counters row for both sides of every follow, so no row means no follows at all.)"""
    viewer_follows = Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("user_id"))
    row = (UserCounters.objects.filter(user_id=user_id).annotate(following=Exists(viewer_follows))
           .values_list("follower_count", "following_count", "following").first())
    if row is None:
        return FollowSummary(follower_count=0, following_count=0, following=False)
    return FollowSummary(follower_count=row[0], following_count=row[1], following=bool(row[2]))


def follower_count(*, user_id) -> int:
    return UserCounters.objects.filter(user_id=user_id).values_list("follower_count", flat=True).first() or 0


def notifications_of(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user).select_related("actor")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_get(*, user, notification_id) -> Notification | None:
    return Notification.objects.filter(user=user, pk=notification_id).select_related("actor").first()
