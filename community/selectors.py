"""Reads of the community app: who may see which post, the feed, comments, notifications (the paths a post
shows, with the privacy zone: community.shared_paths).

Visibility lives in ONE place, `posts_visible_to`: every post, comment, like, track and save-route endpoint
starts from it, so a post nobody may see answers 404 everywhere alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL

from accounts.models import User
from accounts.selectors import user_public_profile_get
from community.models import Comment, Follow, Like, Notification, Post, UserCounters
from workouts.models import Workout
from workouts.selectors import user_totals

# Popular feed: score = likes of the last 7 days + 2 * comments of the last 7 days (a comment costs the reader
# more than a tap, so it says more), stored on the post (Post.popularity); ties go to the newest post, then the
# id (a total order).
POPULAR_WINDOW = timedelta(days=7)
POPULAR_COMMENT_WEIGHT = 2
FEED_ORDERINGS = ("latest", "popular")


def _author_may_be_shown() -> Q:
    """The author is neither deleted nor disabled, as a scalar subquery on the user's primary key: MariaDB runs
    it per candidate post (one eq_ref), where a JOIN or EXISTS lets it start from the users table (all of
    them are candidates) and sort every post they wrote."""
    shown = User.objects.filter(pk=OuterRef("author_id"), deleted_at__isnull=True, is_active=True).values("pk")[:1]
    return Q(author_id=Subquery(shown))


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


# The total order of each feed, every column descending (community.models: the indexes that give it).
FEED_ORDER_FIELDS = {"latest": ("created_at", "id"), "popular": ("popularity", "created_at", "id")}


@dataclass(frozen=True)
class FeedKey:
    """Where a post stands in a feed's order: the values of FEED_ORDER_FIELDS[ordering], in order."""

    values: tuple

    @classmethod
    def of(cls, post: Post, ordering: str) -> FeedKey:
        return cls(tuple(getattr(post, name) for name in FEED_ORDER_FIELDS[ordering]))


def _beyond(fields: tuple[str, ...], key: FeedKey, *, forwards: bool) -> Q:
    """Rows strictly after `key` in the descending order (`forwards`), or strictly before it. Written as an OR
    of prefix-equal ranges, (a < x) | (a = x & b < y) | ..., which MariaDB turns into index ranges (it does
    not for a row comparison)."""
    lookup = "lt" if forwards else "gt"
    condition = Q()
    for depth, name in enumerate(fields):
        equal = dict(zip(fields[:depth], key.values[:depth], strict=True))
        condition |= Q(**equal, **{f"{name}__{lookup}": key.values[depth]})
    return condition


def _feed_branches(*, viewer, shape_id: str | None) -> list[QuerySet[Post]]:
    """The visible posts as a few sets that each walk one index in feed order: public posts; then, for a
    signed-in viewer, their own posts and the followers-only posts of the people they follow (both bounded by
    the viewer's circle). Their union is `posts_visible_to(viewer)` (a test checks it on random data)."""
    shown = Post.objects.filter(_author_may_be_shown(), is_hidden=False)
    public = shown.filter(visibility=Post.Visibility.PUBLIC)
    # With a shape, two sets of public posts, each on its own index (other_shape_slug is set only on the rare
    # post sharing a route and a workout of different shapes).
    branches = ([public.filter(shape_slug=shape_id), public.filter(other_shape_slug=shape_id)] if shape_id
                else [public])
    if viewer is not None and viewer.is_authenticated:
        followed = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
        circle = [shown.filter(author_id=viewer.pk),
                  shown.filter(visibility=Post.Visibility.FOLLOWERS, author_id__in=Subquery(followed))]
        if shape_id:
            circle = [posts.filter(Q(shape_slug=shape_id) | Q(other_shape_slug=shape_id)) for posts in circle]
        branches += circle
    return branches


def post_feed_page(*, viewer, ordering: str = "latest", shape_id: str | None = None, user_id=None,
                   after: FeedKey | None = None, before: FeedKey | None = None, size: int = 20) -> list[Post]:
    """Up to `size` posts of `viewer`'s feed in feed order, with display data: the first ones, those right
    after `after`, or (reading backwards) those right before `before`.

    `latest`: by (created_at, id) descending; `popular`: by (popularity, created_at, id) descending, where
    popularity = likes + 2 x comments of the last POPULAR_WINDOW (Post.popularity). `shape_id`: posts sharing a
    route, or a workout on a route, of that shape; `user_id`: one author's posts.

    One query: a UNION of per-visibility sets, each ordered on its index and limited to `size`, merged and cut
    to `size`, and the page's posts fetched by primary key with their display data. Its cost follows the page
    and the viewer's circle, not the size of the tables.
    """
    fields = FEED_ORDER_FIELDS[ordering]
    forwards = before is None
    key = after if forwards else before
    order = [f"-{name}" if forwards else name for name in fields]
    if user_id:
        # One author: their posts come from the (author, created_at) index, whatever the visibility rule.
        branches = [posts_visible_to(viewer=viewer).filter(author_id=user_id)]
        if shape_id:
            branches = [branches[0].filter(Q(shape_slug=shape_id) | Q(other_shape_slug=shape_id))]
    else:
        branches = _feed_branches(viewer=viewer, shape_id=shape_id)
    # The SQL text comes from the ORM's compiler and constants of this function; every value is a parameter.
    parts, params = [], []
    for index, branch in enumerate(branches):
        if key is not None:
            branch = branch.filter(_beyond(fields, key, forwards=forwards))
        sql, branch_params = branch.order_by(*order).values_list(*fields)[:size].query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) feed_{index}")  # noqa: S608
        params += branch_params
    direction = "DESC" if forwards else "ASC"
    union = " UNION ".join(parts) + " ORDER BY " + ", ".join(f"{name} {direction}" for name in fields)
    page_ids = RawSQL(f"SELECT id FROM ({union} LIMIT {int(size)}) feed_page", params)  # noqa: S608, S611
    posts = list(_with_display_data(Post.objects.filter(pk__in=page_ids), viewer=viewer).order_by(*order))
    return posts if forwards else posts[::-1]


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


@dataclass(frozen=True)
class PublicProfile:
    """What anyone signed in may see of a user: the user row (accounts), their lifetime totals (workouts) and
    their follows."""

    user: User
    total_distance: float  # km, 2 decimals (API.md units)
    total_workouts: int
    follows: FollowSummary


def public_profile_get(*, user_id, viewer) -> PublicProfile | None:
    """The public profile of a user who is neither deleted nor disabled (None for the others: 404), as `viewer`
    sees it: three queries (the user, the stored totals, the follow summary)."""
    user = user_public_profile_get(user_id=user_id)
    if user is None:
        return None
    totals = user_totals(user=user, period="all")
    return PublicProfile(user=user, total_distance=round(totals.total_distance_m / 1000, 2),
                         total_workouts=totals.total_workouts, follows=follow_summary(user_id=user.pk, viewer=viewer))


def follower_count(*, user_id) -> int:
    return UserCounters.objects.filter(user_id=user_id).values_list("follower_count", flat=True).first() or 0


def notifications_of(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user).select_related("actor")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_get(*, user, notification_id) -> Notification | None:
    return Notification.objects.filter(user=user, pk=notification_id).select_related("actor").first()
