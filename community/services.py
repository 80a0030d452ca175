"""Writes of the community app: posts, likes, comments, follows, hiding, save-route, notifications.

Counter discipline (exact under concurrency): inside one transaction, lock the counted-on row first
(`select_for_update()` on the post, or on the users' counter rows, in primary-key order), then insert or
delete the counted row — the unique constraint decides whether it really happened — and move the counter
with an F() expression only if it did. Locking first matters on MariaDB: the foreign-key check of the insert
takes a shared lock on the parent row, and two transactions both holding it and both wanting to UPDATE that
row would deadlock.

Popularity (`Post.popularity`, the popular feed's key) moves in the same transactions as the counters: +1 for a
like, +2 for a comment, and back for a like or comment of the window taken away. `posts_refresh_popularity`
(daily) recomputes it for the posts whose likes or comments left the window, and so also repairs any drift.

Notifications are never created in the request: the request's transaction enqueues a django-q2 task on
commit (`community.tasks.*`), and the task calls the `notify_*` service here.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import polyline as polyline_codec
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_q.tasks import async_task

from accounts.models import User
from community import privacy, shared_paths
from community.models import Comment, Follow, Like, Notification, Post, UserCounters, figure_cell_of
from community.selectors import POPULAR_COMMENT_WEIGHT, POPULAR_WINDOW
from routes import services as route_services
from routes.models import POLYLINE_PRECISION, Route, RouteOption
from runnerway.api.exceptions import ApiError, NotPermitted, ObjectNotFound, Unprocessable
from workouts.models import Workout

logger = logging.getLogger(__name__)

# A like (or follow) taken back and given again within this window does not notify twice.
RENOTIFY_WINDOW = timedelta(hours=1)


def _enqueue_on_commit(task: str, *args) -> None:
    transaction.on_commit(lambda: async_task(task, *args))


def _lock_post(post_id) -> Post:
    return Post.objects.select_for_update().get(pk=post_id)


def _move_popularity(post_id, change: int) -> None:
    """Call holding the post's lock. Never below 0 (a refresh may have counted the row out already); the CASE
    keeps MariaDB from computing a negative UNSIGNED value."""
    if change > 0:
        Post.objects.filter(pk=post_id).update(popularity=F("popularity") + change)
    elif change < 0:
        Post.objects.filter(pk=post_id).update(popularity=Case(
            When(popularity__gte=-change, then=F("popularity") + change), default=Value(0)))


def _in_window(created_at: datetime, now: datetime | None = None) -> bool:
    return created_at >= (now or timezone.now()) - POPULAR_WINDOW


# --- posts --------------------------------------------------------------------------------------------------


def _shared_workout(*, author, workout_id) -> Workout:
    workout = Workout.objects.filter(pk=workout_id, user=author, deleted_at__isnull=True).first()
    if workout is None:
        raise ApiError(gettext("No such workout of yours."),
                       fields={"workout_id": [gettext("Not one of your workouts.")]})
    if workout.status != Workout.Status.COMPLETED:
        raise ApiError(gettext("Only a completed workout can be shared."),
                       fields={"workout_id": [gettext("The workout is not completed.")]})
    return workout


def _shared_route(*, author, route_id, route_option_id, workout: Workout | None) -> tuple[Route, RouteOption | None]:
    route = Route.objects.owned_by(author).filter(pk=route_id).first()
    if route is None:
        raise ApiError(gettext("No such route of yours."), fields={"route_id": [gettext("Not one of your routes.")]})
    options = RouteOption.objects.filter(route=route)
    if route_option_id is not None:
        option = options.filter(pk=route_option_id).first()
        if option is None:
            raise ApiError(gettext("No such option of this route."),
                           fields={"route_option_id": [gettext("Not an option of this route.")]})
        return route, option
    # The option the shared workout ran, else the best ranked one.
    if workout is not None and workout.route_id == route.pk and workout.route_option_id is not None:
        option = options.filter(pk=workout.route_option_id).first()
        if option is not None:
            return route, option
    return route, options.order_by("rank").first()


def post_create(*, author, content: str = "", visibility: str = Post.Visibility.PUBLIC, workout_id=None,
                route_id=None, route_option_id=None) -> Post:
    """A post by `author`. It may share only the author's own completed, not deleted workout and/or the
    author's own route (400 with `fields` otherwise: the ids are validated as input, so another user's id gets
    the same answer as an unknown one). The route's shown option: `route_option_id`, else the option the shared
    workout ran, else the best ranked one."""
    if not content.strip() and workout_id is None and route_id is None:
        raise ApiError(gettext("A post needs content, a workout or a route."),
                       fields={"content": [gettext("Write something or share a workout or route.")]})
    if route_option_id is not None and route_id is None:
        raise ApiError(gettext("route_option_id needs route_id."),
                       fields={"route_id": [gettext("Required with route_option_id.")]})
    workout = _shared_workout(author=author, workout_id=workout_id) if workout_id is not None else None
    route, option = (None, None)
    if route_id is not None:
        route, option = _shared_route(author=author, route_id=route_id, route_option_id=route_option_id,
                                      workout=workout)
    shape_slug, other_shape_slug = post_shape_slugs(route=route, workout=workout)
    post = Post(author=author, content=content, visibility=visibility, workout=workout, route=route,
                route_option=option, shape_slug=shape_slug, other_shape_slug=other_shape_slug)
    _set_figure_bounds(post)
    post.save(force_insert=True)
    post_discover_flags_refresh(post_ids=[post.pk])
    post.refresh_from_db(fields=["discoverable", "route_saved_count", "route_run_count"])
    return post


def post_discover_flags_refresh(*, route_ids=None, author_id=None, post_ids=None) -> int:
    """Recompute what routes near me reads of the route and author on the posts sharing `route_ids`, written by
    `author_id` or in `post_ids`: `discoverable` (not hidden, route live, author active and not deleted) and
    the route's counters. One UPDATE; call after the change, in its transaction. Returns the posts matched."""
    posts = Post.objects.all()
    if route_ids is not None:
        posts = posts.filter(route_id__in=list(route_ids))
    if author_id is not None:
        posts = posts.filter(author_id=author_id)
    if post_ids is not None:
        posts = posts.filter(pk__in=list(post_ids))
    shown_author = User.objects.filter(pk=OuterRef("author_id"), deleted_at__isnull=True, is_active=True)
    live_route = Route.objects.filter(pk=OuterRef("route_id"), deleted_at__isnull=True)
    route = Route.objects.filter(pk=OuterRef("route_id"))
    return posts.update(
        discoverable=Case(When(Q(Exists(shown_author), Exists(live_route), is_hidden=False), then=Value(True)),
                          default=Value(False)),
        route_saved_count=Coalesce(Subquery(route.values("saved_count")[:1]), Value(0)),
        route_run_count=Coalesce(Subquery(route.values("run_count")[:1]), Value(0)))


_FIGURE_FIELDS = ("figure_min_lat", "figure_min_lon", "figure_max_lat", "figure_max_lon", "figure_center_lat",
                  "figure_center_lon", "figure_cell")


def _set_figure_bounds(post: Post) -> None:
    """The post's figure box for routes near me, from the option it shows (as the feed does: `route_option`);
    none without one."""
    option = post.route_option if post.route_id and post.route_option_id else None
    bounds = shared_paths.post_figure_bounds(post, option=option) if option is not None else None
    if bounds is None:
        values = (None,) * len(_FIGURE_FIELDS)
    else:
        values = (bounds.min_lat, bounds.min_lon, bounds.max_lat, bounds.max_lon, *bounds.center,
                  figure_cell_of(*bounds.center))
    for name, value in zip(_FIGURE_FIELDS, values, strict=True):
        setattr(post, name, value)


def posts_refresh_figure_bounds(*, author_id) -> int:
    """Recompute the stored figure boxes (routes near me) of `author_id`'s posts that share a route: after the
    author's privacy zone changed (what others see of the paths moved). Returns the posts written."""
    posts = (Post.objects.filter(author_id=author_id, route__isnull=False)
             .select_related("author", "workout", "route", "route_option"))
    written = 0
    for post in posts.iterator(chunk_size=200):
        _set_figure_bounds(post)
        Post.objects.filter(pk=post.pk).update(**{name: getattr(post, name) for name in _FIGURE_FIELDS})
        written += 1
    return written


def post_shape_slugs(*, route: Route | None, workout: Workout | None) -> tuple[str, str]:
    """(shape_slug, other_shape_slug) of a post sharing `route` and/or `workout`: the route's shape, else the
    workout's route's shape; the second only when the post shares both and their shapes differ, so that
    `?shape_id=` finds the post by either (as the route's and the workout's summaries both show a shape)."""
    route_shape = route.shape.shape_id if route is not None and route.shape_id else ""
    workout_route = workout.route if workout is not None and workout.route_id else None
    workout_shape = workout_route.shape.shape_id if workout_route is not None and workout_route.shape_id else ""
    if not route_shape:
        return workout_shape, ""
    return route_shape, workout_shape if workout_shape != route_shape else ""


def _require_author(post: Post, user) -> None:
    # The caller already knows the post is visible to `user` (else 404): not being its author is a 403.
    if post.author_id != user.pk:
        raise NotPermitted(gettext("Only the author can change or delete this post."))


def post_update(*, post: Post, user, content: str | None = None, visibility: str | None = None) -> Post:
    _require_author(post, user)
    fields = ["updated_at"]
    if content is not None:
        post.content = content
        fields.append("content")
    if visibility is not None:
        post.visibility = visibility
        fields.append("visibility")
    post.save(update_fields=fields)
    return post


def post_delete(*, post: Post, user) -> None:
    _require_author(post, user)
    post.delete()


def posts_set_hidden(*, post_ids, hidden: bool) -> int:
    """Staff moderation: hidden posts disappear from every feed and endpoint (404). Returns rows changed."""
    with transaction.atomic():
        changing = list(Post.objects.filter(pk__in=list(post_ids), is_hidden=not hidden).values_list("pk", flat=True))
        changed = Post.objects.filter(pk__in=changing, is_hidden=not hidden).update(is_hidden=hidden)
        post_discover_flags_refresh(post_ids=changing)
    return changed


# --- likes --------------------------------------------------------------------------------------------------


def post_like(*, post: Post, user) -> tuple[bool, int]:
    """Like (idempotent): (True, like_count). A new like enqueues its notification on commit."""
    with transaction.atomic():
        _lock_post(post.pk)
        try:
            with transaction.atomic():
                like = Like.objects.create(user=user, post_id=post.pk)
        except IntegrityError:
            like = None  # already liked: the unique constraint is the truth
        if like is not None:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
            _move_popularity(post.pk, +1)
            _enqueue_on_commit("community.tasks.notify_post_liked", like.pk)
        count = Post.objects.filter(pk=post.pk).values_list("like_count", flat=True).get()
    return True, count


def post_unlike(*, post: Post, user) -> tuple[bool, int]:
    """Take a like back (idempotent): (False, like_count)."""
    with transaction.atomic():
        _lock_post(post.pk)
        liked_at = Like.objects.filter(user=user, post_id=post.pk).values_list("created_at", flat=True).first()
        deleted, _ = Like.objects.filter(user=user, post_id=post.pk).delete()
        if deleted:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") - 1)
            if liked_at is not None and _in_window(liked_at):
                _move_popularity(post.pk, -1)
        count = Post.objects.filter(pk=post.pk).values_list("like_count", flat=True).get()
    return False, count


# --- comments -----------------------------------------------------------------------------------------------


def comment_create(*, post: Post, author, content: str) -> Comment:
    with transaction.atomic():
        _lock_post(post.pk)
        comment = Comment.objects.create(post_id=post.pk, author=author, content=content)
        Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
        _move_popularity(post.pk, +POPULAR_COMMENT_WEIGHT)
        _enqueue_on_commit("community.tasks.notify_comment", str(comment.pk))
    return comment


def comment_delete(*, comment: Comment, user) -> None:
    """By the comment's author or the post's author (403 permission_denied for anyone else who sees it)."""
    if user.pk not in (comment.author_id, comment.post.author_id):
        raise NotPermitted(gettext("Only the comment's author or the post's author can delete this comment."))
    with transaction.atomic():
        _lock_post(comment.post_id)
        deleted, _ = Comment.objects.filter(pk=comment.pk, is_hidden=False).delete()
        if deleted:
            Post.objects.filter(pk=comment.post_id).update(comment_count=F("comment_count") - 1)
            if _in_window(comment.created_at):
                _move_popularity(comment.post_id, -POPULAR_COMMENT_WEIGHT)


def comments_set_hidden(*, comment_ids, hidden: bool) -> int:
    """Staff moderation; `comment_count` counts comments not hidden, so it moves with them."""
    with transaction.atomic():
        changing = list(Comment.objects.select_for_update().filter(pk__in=list(comment_ids), is_hidden=not hidden)
                        .values_list("pk", "post_id", "created_at"))
        if not changing:
            return 0
        by_post = Counter(post_id for _, post_id, _ in changing)
        recent_by_post = Counter(post_id for _, post_id, created_at in changing if _in_window(created_at))
        for post_id in sorted(by_post):
            _lock_post(post_id)
        Comment.objects.filter(pk__in=[pk for pk, _, _ in changing]).update(is_hidden=hidden)
        sign = -1 if hidden else 1
        for post_id, n in by_post.items():
            Post.objects.filter(pk=post_id).update(comment_count=F("comment_count") + sign * n)
            _move_popularity(post_id, sign * POPULAR_COMMENT_WEIGHT * recent_by_post[post_id])
    return len(changing)


# --- popularity ---------------------------------------------------------------------------------------------

# The daily refresh also recounts the posts liked or commented up to this long before the window (a score a
# like written around the services never moved), besides every post still scoring.
POPULARITY_REFRESH_LOOKBACK = timedelta(days=7)
POPULARITY_REFRESH_BATCH = 500


def _popularity_scores(post_ids: list, *, since: datetime) -> dict:
    likes = Counter(dict(Like.objects.filter(post_id__in=post_ids, created_at__gte=since).values("post_id")
                         .annotate(n=Count("pk")).order_by().values_list("post_id", "n")))
    comments = Counter(dict(Comment.objects.filter(post_id__in=post_ids, created_at__gte=since, is_hidden=False)
                            .values("post_id").annotate(n=Count("pk")).order_by().values_list("post_id", "n")))
    return {post_id: likes[post_id] + POPULAR_COMMENT_WEIGHT * comments[post_id] for post_id in post_ids}


def posts_refresh_popularity(*, now: datetime | None = None, post_ids=None) -> int:
    """Recompute `popularity` (likes + 2 x comments not hidden, of the POPULAR_WINDOW before `now`) of the posts
    liked or commented since `now - POPULAR_WINDOW - POPULARITY_REFRESH_LOOKBACK` and of those scoring above 0
    (or of `post_ids`), in
    batches, each under `select_for_update()` of its posts (as the like/comment services take it, so no
    concurrent move is lost). Returns how many scores changed. Idempotent: the daily job."""
    now = now or timezone.now()
    since = now - POPULAR_WINDOW
    if post_ids is None:
        horizon = since - POPULARITY_REFRESH_LOOKBACK
        candidates = set(Like.objects.filter(created_at__gte=horizon).values_list("post_id", flat=True).distinct())
        candidates |= set(Comment.objects.filter(created_at__gte=horizon).values_list("post_id", flat=True)
                          .distinct())
        # Every post still scoring, whatever its age (its likes may have been deleted since): ranges of
        # post_popular_idx, one per (is_hidden, visibility).
        candidates |= set(Post.objects.filter(is_hidden__in=[False, True], visibility__in=Post.Visibility.values,
                                              popularity__gt=0).values_list("pk", flat=True))
    else:
        candidates = set(post_ids)
    ordered = sorted(candidates, key=str)
    changed = 0
    for start in range(0, len(ordered), POPULARITY_REFRESH_BATCH):
        batch = ordered[start:start + POPULARITY_REFRESH_BATCH]
        with transaction.atomic():
            current = dict(Post.objects.select_for_update().filter(pk__in=batch).order_by("pk")
                           .values_list("pk", "popularity"))
            scores = _popularity_scores(list(current), since=since)
            for post_id, score in scores.items():
                if score != current[post_id]:
                    Post.objects.filter(pk=post_id).update(popularity=score)
                    changed += 1
    return changed


def posts_backfill_derived(*, now: datetime | None = None) -> int:
    """Operators (and the feeds bench, after a bulk load): set every post's stored shapes from its route and
    workout, and its popularity. Set-based (correlated primary-key lookups in three UPDATEs), whatever the
    table size. Returns the popularity scores changed."""
    route_shape = Subquery(Route.objects.filter(pk=OuterRef("route_id")).values("shape__shape_id")[:1])
    workout_shape = Subquery(Workout.objects.filter(pk=OuterRef("workout_id")).values("route__shape__shape_id")[:1])
    Post.objects.update(shape_slug=Coalesce(route_shape, workout_shape, Value("")), other_shape_slug="")
    both = Post.objects.filter(route__isnull=False, workout__isnull=False)
    both.update(other_shape_slug=Coalesce(workout_shape, Value("")))
    both.filter(other_shape_slug=F("shape_slug")).update(other_shape_slug="")
    return posts_refresh_popularity(now=now)


# --- follows ------------------------------------------------------------------------------------------------


def _ensure_counters(user_ids: list) -> None:
    """Create the missing counter rows. Call OUTSIDE the transaction that locks them: on MariaDB an INSERT
    IGNORE meeting a concurrent insert takes a shared lock that a later FOR UPDATE must upgrade, which
    deadlocks two such transactions; committed on its own, the insert holds nothing."""
    ids = {str(pk) for pk in user_ids}
    present = {str(pk) for pk in UserCounters.objects.filter(user_id__in=ids).values_list("user_id", flat=True)}
    missing = sorted(ids - present)
    if missing:
        UserCounters.objects.bulk_create([UserCounters(user_id=pk) for pk in missing], ignore_conflicts=True)


def _lock_counters(user_ids: list) -> None:
    """Lock the (existing) counter rows of these users, in primary-key order so two transactions locking the
    same pair from either side cannot deadlock."""
    ids = sorted({str(pk) for pk in user_ids})
    list(UserCounters.objects.select_for_update().filter(user_id__in=ids).order_by("user_id")
         .values_list("user_id", flat=True))


def _follower_count(user_id) -> int:
    return UserCounters.objects.filter(user_id=user_id).values_list("follower_count", flat=True).first() or 0


def follow_create(*, follower, followee) -> tuple[bool, int]:
    """Follow (idempotent): (True, the followee's follower_count). 400 for oneself."""
    if follower.pk == followee.pk:
        raise ApiError(gettext("You cannot follow yourself."),
                       fields={"user_id": [gettext("You cannot follow yourself.")]})
    _ensure_counters([follower.pk, followee.pk])
    with transaction.atomic():
        _lock_counters([follower.pk, followee.pk])
        try:
            with transaction.atomic():
                follow = Follow.objects.create(follower=follower, followee=followee)
        except IntegrityError:
            follow = None
        if follow is not None:
            UserCounters.objects.filter(user_id=followee.pk).update(follower_count=F("follower_count") + 1)
            UserCounters.objects.filter(user_id=follower.pk).update(following_count=F("following_count") + 1)
            _enqueue_on_commit("community.tasks.notify_followed", follow.pk)
        return True, _follower_count(followee.pk)


def follow_delete(*, follower, followee) -> tuple[bool, int]:
    """Unfollow (idempotent): (False, the followee's follower_count)."""
    _ensure_counters([follower.pk, followee.pk])
    with transaction.atomic():
        _lock_counters([follower.pk, followee.pk])
        deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
        if deleted:
            UserCounters.objects.filter(user_id=followee.pk).update(follower_count=F("follower_count") - 1)
            UserCounters.objects.filter(user_id=follower.pk).update(following_count=F("following_count") - 1)
        return False, _follower_count(followee.pk)


# --- save-route ---------------------------------------------------------------------------------------------

# Copied as they are; everything else is the copy's own (new id, owner, timestamps, status, soft delete).
_ROUTE_NOT_COPIED = {"id", "user", "status", "created_at", "updated_at", "deleted_at", "planning_ms"}
_OPTION_NOT_COPIED = {"id", "route", "rank", "created_at"}


def _copy_fields(instance, excluded: set[str]) -> dict:
    return {field.attname: getattr(instance, field.attname)
            for field in type(instance)._meta.concrete_fields if field.name not in excluded}


def _outside_privacy_zone(*, route_fields: dict, option_fields: dict, shown: list[list[float]],
                          full_length_km: float) -> None:
    """Make the copy's route and option say nothing of what the author's privacy zone hides: the path is the
    visible part, the start its first point, no street address, a custom drawing only as its form."""
    start_lat, start_lng = shown[0]
    length_km = privacy.path_length_m(shown) / 1000.0
    route_fields.update(start_latitude=Decimal(f"{start_lat:.7f}"), start_longitude=Decimal(f"{start_lng:.7f}"),
                        location_address="")
    if route_fields.get("custom_points"):
        route_fields.update(custom_svg_path=privacy.drawing_as_svg_path(route_fields["custom_points"]),
                            custom_points=None)
    lats = [lat for lat, _ in shown]
    lngs = [lng for _, lng in shown]
    option_fields.update(
        polyline=polyline_codec.encode([(lat, lng) for lat, lng in shown], POLYLINE_PRECISION),
        point_count=len(shown), distance_km=length_km,
        estimated_duration_s=round(option_fields["estimated_duration_s"] * length_km / full_length_km)
        if full_length_km > 0 else option_fields["estimated_duration_s"],
        start_latitude=Decimal(f"{start_lat:.7f}"), start_longitude=Decimal(f"{start_lng:.7f}"),
        min_lat=min(lats), min_lon=min(lngs), max_lat=max(lats), max_lon=max(lngs),
    )


def route_copy_from_post(*, post: Post, user) -> Route:
    """Copy the route a visible post shares, with the option the post shows (as rank 1), into `user`'s routes.
    Another user's copy holds only what the post shows them: the path outside the author's privacy zone
    (community.shared_paths), starting at its first visible point, without the street address. 404 when the
    post shares no route or the route was deleted; 422 `route_hidden` when nothing of the path lies outside
    the zone."""
    source = post.route
    if source is None or source.deleted_at is not None:
        raise ObjectNotFound(gettext("This post shares no route."))
    option = shared_paths.shown_route_option(post)
    route_fields = _copy_fields(source, _ROUTE_NOT_COPIED)
    option_fields = _copy_fields(option, _OPTION_NOT_COPIED) if option is not None else None
    if option is not None:
        shared = shared_paths.post_route_path(viewer=user, post=post, option=option)
        if shared.trimmed:
            if not shared.coordinates:
                raise Unprocessable(gettext("Nothing of this route lies outside its author's privacy zone."),
                                    code="route_hidden")
            _outside_privacy_zone(route_fields=route_fields, option_fields=option_fields,
                                  shown=shared.coordinates, full_length_km=option.distance_km)
    elif post.author_id != user.pk and shared_paths.privacy_zone_of(post.author).size_m > 0:
        # No path to start from: the route's own start is what the zone hides.
        raise Unprocessable(gettext("Nothing of this route lies outside its author's privacy zone."),
                            code="route_hidden")
    if post.author_id != user.pk:
        route_fields["location_address"] = ""  # a street address the post never showed
    route_fields.update(copied_from_id=source.pk, saved_count=0, run_count=0)
    with transaction.atomic():
        copy = Route.objects.create(user=user, status=Route.Status.ACTIVE, **route_fields)
        if option_fields is not None:
            RouteOption.objects.create(route=copy, rank=1, **option_fields)
        route_services.route_refresh_discover_counters(route_id=source.pk)
    return copy


# --- deleted accounts ---------------------------------------------------------------------------------------

# What others see as the author of a kept comment (`author.is_deleted`).
DELETED_RUNNER_NAME = gettext_lazy("Deleted runner")


@dataclass(frozen=True)
class CommunityErasure:
    posts: int = 0
    likes: int = 0
    comments_removed: int = 0
    comments_emptied: int = 0
    follows: int = 0
    notifications: int = 0

    @property
    def total(self) -> int:
        return (self.posts + self.likes + self.comments_removed + self.comments_emptied + self.follows
                + self.notifications)


def _answered_by_others(*, user_id, comments: list[tuple]) -> set:
    """The ids among `comments` [(id, post_id, created_at), ...] that another author's later comment (not hidden)
    follows: a reply may quote or answer them, so the thread keeps their place. One query."""
    post_ids = {post_id for _, post_id, _ in comments}
    last_by_others = dict(Comment.objects.filter(post_id__in=post_ids, is_hidden=False).exclude(author_id=user_id)
                          .order_by().values("post_id").annotate(last=Max("created_at"))
                          .values_list("post_id", "last"))
    return {pk for pk, post_id, created_at in comments
            if post_id in last_by_others and last_by_others[post_id] > created_at}


@transaction.atomic
def user_community_erase(*, user) -> CommunityErasure:
    """Remove what others see of `user` in the community: the first step of the account erase (idempotent;
    operations.erasure.account_erase calls it).

    - their posts, with the likes and comments on them;
    - their likes, each post's `like_count` moved with them;
    - their comments: emptied and kept (shown as DELETED_RUNNER_NAME, no text) where another runner commented
      later on the same post (a reply may answer them), removed with `comment_count` everywhere else;
    - their follows both ways, with the other side's follower/following counts, and their counters row;
    - every notification they caused (likes, comments with excerpts, follows) and every one they received.
    The name and avatar are the accounts' part (`accounts.services.user_soft_delete`). Locks the posts and the
    counter rows it moves, in primary-key order (the counter discipline of this module).
    """
    _, deleted_by_model = Post.objects.filter(author_id=user.pk).delete()
    posts = deleted_by_model.get(Post._meta.label, 0)

    liked = set(Like.objects.filter(user_id=user.pk).values_list("post_id", flat=True))
    comments = list(Comment.objects.filter(author_id=user.pk).values_list("pk", "post_id", "created_at", "is_hidden"))
    commented = {post for _, post, _, _ in comments}
    # Every post whose counters move, locked at once in primary-key order (as comments_set_hidden does).
    list(Post.objects.select_for_update().filter(pk__in=liked | commented).order_by("pk").values_list("pk"))

    likes = 0
    for post_id in liked:
        if Like.objects.filter(user_id=user.pk, post_id=post_id).delete()[0]:
            Post.objects.filter(pk=post_id).update(like_count=F("like_count") - 1)
            likes += 1

    answered = _answered_by_others(user_id=user.pk,
                                   comments=[(pk, post, at) for pk, post, at, hidden in comments if not hidden])
    removed = emptied = 0
    for post_id in commented:
        on_post = [(pk, hidden) for pk, post, _, hidden in comments if post == post_id]
        gone = [pk for pk, _ in on_post if pk not in answered]
        if gone:
            removed += Comment.objects.filter(pk__in=gone).delete()[0]
            shown_gone = sum(1 for pk, hidden in on_post if pk in gone and not hidden)
            if shown_gone:
                Post.objects.filter(pk=post_id).update(comment_count=F("comment_count") - shown_gone)
        kept = [pk for pk, _ in on_post if pk in answered]
        if kept:
            emptied += Comment.objects.filter(pk__in=kept).exclude(content="").update(content="")

    follows = list(Follow.objects.filter(Q(follower_id=user.pk) | Q(followee_id=user.pk))
                   .values_list("pk", "follower_id", "followee_id"))
    if follows:
        _lock_counters([user.pk, *(row[1] for row in follows), *(row[2] for row in follows)])
        for follow_id, follower_id, followee_id in follows:
            if Follow.objects.filter(pk=follow_id).delete()[0]:
                UserCounters.objects.filter(user_id=followee_id).update(follower_count=F("follower_count") - 1)
                UserCounters.objects.filter(user_id=follower_id).update(following_count=F("following_count") - 1)
    UserCounters.objects.filter(user_id=user.pk).delete()

    notifications, _ = Notification.objects.filter(Q(actor_id=user.pk) | Q(user_id=user.pk)).delete()
    return CommunityErasure(posts=posts, likes=likes, comments_removed=removed, comments_emptied=emptied,
                            follows=len(follows), notifications=notifications)


# --- notifications ------------------------------------------------------------------------------------------


def notification_create(*, user_id, type: str, actor_id=None, target_type: str = "", target_id="",
                        data: dict | None = None, dedupe_key: str | None = None) -> Notification | None:
    """Create one notification, or nothing: never to the actor themself, and never twice for one `dedupe_key`
    (the unique column decides, so a redelivered task inserts nothing). Returns the new row or None."""
    if actor_id is not None and str(actor_id) == str(user_id):
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(user_id=user_id, type=type, actor_id=actor_id,
                                               target_type=target_type, target_id=str(target_id),
                                               data=data or {}, dedupe_key=dedupe_key)
    except IntegrityError:
        return None


def _notified_recently(*, user_id, type: str, actor_id, target_id, now: datetime) -> bool:
    return Notification.objects.filter(user_id=user_id, type=type, actor_id=actor_id, target_id=str(target_id),
                                       created_at__gte=now - RENOTIFY_WINDOW).exists()


def notify_post_liked(*, like_id, now: datetime | None = None) -> Notification | None:
    """Tell the post's author about a like: not for a like already taken back, not for one's own post, and not
    twice within RENOTIFY_WINDOW for the same liker and post (like, unlike, like again)."""
    now = now or timezone.now()
    like = Like.objects.select_related("post").filter(pk=like_id).first()
    if like is None or like.post.is_hidden or like.user_id == like.post.author_id:
        return None
    with transaction.atomic():
        _lock_post(like.post_id)  # serialises the check-then-insert for this post
        if _notified_recently(user_id=like.post.author_id, type=Notification.Type.LIKE, actor_id=like.user_id,
                              target_id=like.post_id, now=now):
            return None
        return notification_create(user_id=like.post.author_id, type=Notification.Type.LIKE,
                                   actor_id=like.user_id, target_type="post", target_id=like.post_id,
                                   dedupe_key=f"like:{like.pk}", data={"post_id": str(like.post_id)})


def notify_comment(*, comment_id) -> Notification | None:
    comment = Comment.objects.select_related("post").filter(pk=comment_id, is_hidden=False).first()
    if comment is None or comment.post.is_hidden:
        return None
    return notification_create(
        user_id=comment.post.author_id, type=Notification.Type.COMMENT, actor_id=comment.author_id,
        target_type="comment", target_id=comment.pk, dedupe_key=f"comment:{comment.pk}",
        data={"post_id": str(comment.post_id), "comment_id": str(comment.pk), "excerpt": comment.content[:100]},
    )


def notify_followed(*, follow_id, now: datetime | None = None) -> Notification | None:
    """Tell a user about a new follower (not twice within RENOTIFY_WINDOW for follow, unfollow, follow)."""
    now = now or timezone.now()
    follow = Follow.objects.filter(pk=follow_id).first()
    if follow is None:
        return None
    with transaction.atomic():
        _lock_counters([follow.followee_id])  # serialises the check-then-insert for this user
        if _notified_recently(user_id=follow.followee_id, type=Notification.Type.FOLLOW,
                              actor_id=follow.follower_id, target_id=follow.follower_id, now=now):
            return None
        return notification_create(user_id=follow.followee_id, type=Notification.Type.FOLLOW,
                                   actor_id=follow.follower_id, target_type="user", target_id=follow.follower_id,
                                   dedupe_key=f"follow:{follow.pk}")


def notify_personal_record(*, user_id, workout_id, record: str, value: float,
                           previous: float | None) -> Notification | None:
    if not Workout.objects.filter(pk=workout_id, user_id=user_id, deleted_at__isnull=True).exists():
        return None
    return notification_create(
        user_id=user_id, type=Notification.Type.PERSONAL_RECORD, target_type="workout", target_id=workout_id,
        dedupe_key=f"personal_record:{workout_id}:{record}",
        data={"record": record, "value": value, "previous": previous, "workout_id": str(workout_id)},
    )


def notification_mark_read(*, notification: Notification, now: datetime | None = None) -> Notification:
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user, now: datetime | None = None) -> int:
    """Mark all of `user`'s unread notifications read; returns how many were."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())
