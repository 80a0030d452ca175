"""Posts sharing workouts and routes, likes, comments, follows, per-user counters and notifications.

Counters (`like_count`, `comment_count`, `follower_count`, `following_count`) are denormalised for the feed.
They are changed only with F() expressions inside the transaction that inserts or deletes the row they count,
and only when that insert/delete really happened (the unique constraints are the truth), so they stay exact
under concurrent requests.

The feeds read three derived columns of a post, so that each of their queries walks one index and stops after
a page (community.selectors.post_feed_page):
- `shape_slug` / `other_shape_slug`: the shapes the post shares (`?shape_id=`), written when it is made (a
  route's shape never changes, and a post's route and workout are its author's own);
- `popularity`: likes + 2 x comments of the last POPULAR_WINDOW, moved by the services as they happen and
  recomputed daily by `posts_refresh_popularity` (the likes and comments that left the window).
"""

import math
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

POST_CONTENT_MAX = 2000
COMMENT_CONTENT_MAX = 1000


FIGURE_CELL_DEGREES = 0.05
_FIGURE_CELLS_PER_ROW = round(360 / FIGURE_CELL_DEGREES)


def figure_cell_row(latitude: float) -> int:
    return min(math.floor((latitude + 90.0) / FIGURE_CELL_DEGREES), round(180 / FIGURE_CELL_DEGREES) - 1)


def figure_cell_column(longitude: float) -> int:
    return min(math.floor((longitude + 180.0) / FIGURE_CELL_DEGREES), _FIGURE_CELLS_PER_ROW - 1)


def figure_cell_of(latitude: float | None, longitude: float | None) -> int | None:
    """The grid cell (0.05° of latitude by 0.05° of longitude, row-major from the south-west) of a figure
    centre, the key routes near me looks a circle's box up by (community.discover.discover_candidate_rows)."""
    if latitude is None or longitude is None:
        return None
    return figure_cell_row(latitude) * _FIGURE_CELLS_PER_ROW + figure_cell_column(longitude)


def figure_cells_between(*, row: int, first_column: int, last_column: int) -> list[int]:
    return [row * _FIGURE_CELLS_PER_ROW + column for column in range(first_column, last_column + 1)]


def figure_cell_rows_range(first_row: int, last_row: int) -> tuple[int, int]:
    """The cells of rows `first_row`..`last_row`, every longitude: [start, stop)."""
    return first_row * _FIGURE_CELLS_PER_ROW, (last_row + 1) * _FIGURE_CELLS_PER_ROW


class Post(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Everyone"
        FOLLOWERS = "followers", "Followers"
        PRIVATE = "private", "Only me"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.CASCADE,
                               related_name="posts")
    content = models.TextField(_("content"), blank=True, default="", max_length=POST_CONTENT_MAX)
    # SET_NULL: deleting a workout or route must not delete the conversation about it.
    workout = models.ForeignKey("workouts.Workout", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="posts")
    route = models.ForeignKey("routes.Route", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="posts")
    # The option of the route shown with the post (and copied by save-route): chosen when the post is made.
    route_option = models.ForeignKey("routes.RouteOption", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="posts")
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    like_count = models.PositiveIntegerField(_("likes"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0, help_text="Comments not hidden.")
    is_hidden = models.BooleanField(_("hidden"), default=False,
                                    help_text="Hidden by staff: gone from every feed and endpoint.")
    shape_slug = models.CharField(max_length=50, blank=True, default="",
                                  help_text="Shape of the shared route, else of the shared workout's route.")
    other_shape_slug = models.CharField(max_length=50, blank=True, default="",
                                        help_text="Shape of the shared workout's route when the post also shares "
                                                  "a route of another shape (rare).")
    popularity = models.PositiveIntegerField(default=0, help_text="Likes + 2 x comments (not hidden) of the last "
                                                                  "7 days, as of the last daily refresh.")
    # Where the shared route's figure lies, from the part of its shown option others may see (the author's
    # privacy zone trimmed: community.shared_paths.post_figure_bounds), for routes near me. Null when the post
    # shares no route or nothing of it is visible; kept current by community.services (_set_figure_bounds).
    figure_min_lat = models.FloatField(null=True, blank=True)
    figure_min_lon = models.FloatField(null=True, blank=True)
    figure_max_lat = models.FloatField(null=True, blank=True)
    figure_max_lon = models.FloatField(null=True, blank=True)
    figure_center_lat = models.FloatField(null=True, blank=True, help_text="Centre of the visible figure's box.")
    figure_center_lon = models.FloatField(null=True, blank=True)
    figure_cell = models.IntegerField(null=True, blank=True, help_text="Grid cell of the figure's centre "
                                                                       "(figure_cell_of).")
    # What routes near me filters and orders its candidates by, copied from the route and the author so the
    # candidate scan reads `post_figure_cell_idx` alone: kept current by community.services.
    # post_discover_flags_refresh wherever the route, its counters, the author or `is_hidden` change.
    discoverable = models.BooleanField(default=False, help_text="Not hidden, its route live, its author active "
                                                                "and not deleted.")
    route_saved_count = models.PositiveIntegerField(default=0, help_text="The shared route's saved_count.")
    route_run_count = models.PositiveIntegerField(default=0, help_text="The shared route's run_count.")
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-created_at"]
        # Ascending columns: read backwards they give (created_at DESC, id DESC), the feeds' total order (InnoDB
        # appends the primary key to every secondary index); a DESC column would not give `id DESC`.
        indexes = [
            models.Index(fields=["is_hidden", "visibility", "created_at"], name="post_latest_idx"),
            models.Index(fields=["is_hidden", "visibility", "popularity", "created_at"], name="post_popular_idx"),
            models.Index(fields=["shape_slug", "is_hidden", "visibility", "created_at"], name="post_shape_idx"),
            models.Index(fields=["shape_slug", "is_hidden", "visibility", "popularity", "created_at"],
                         name="post_shape_popular_idx"),
            models.Index(fields=["other_shape_slug", "is_hidden"], name="post_other_shape_idx"),
            models.Index(fields=["author", "created_at"], name="post_author_latest_idx"),
            # Routes near me: the cells the circle's box touches (IN list), each a latitude range; the other
            # columns are everything the candidate filter reads of the post, so the box is scanned in the index
            # alone (InnoDB appends the primary key; SQLite's rowid is not the `id`, hence `id`).
            models.Index(fields=["figure_cell", "figure_center_lat", "figure_center_lon", "discoverable",
                                 "visibility", "author", "route", "route_option", "route_saved_count",
                                 "route_run_count", "created_at", "id"],
                         name="post_figure_cell_idx"),
        ]

    def __str__(self) -> str:
        # Read by staff (admin titles, the comment list's post column): the author by name; list pages load
        # the author with the post.
        return f"{self.author.name or self.author}: {self.content[:40]}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        verbose_name = _("like")
        verbose_name_plural = _("likes")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="like_user_post_uniq")]
        # The popularity refresh counts a post's likes since a date, and finds the posts liked since a date.
        indexes = [models.Index(fields=["post", "created_at"], name="like_post_created_idx"),
                   models.Index(fields=["created_at"], name="like_created_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Comment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.CASCADE,
                               related_name="comments")
    content = models.TextField(_("content"), max_length=COMMENT_CONTENT_MAX)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["post", "is_hidden", "created_at"], name="comment_post_created_idx"),
                   models.Index(fields=["created_at"], name="comment_created_idx")]

    def __str__(self) -> str:
        return f"{self.author.name or self.author}: {self.content[:40]}"


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_pair_uniq"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followee")), name="follow_not_self"),
        ]
        indexes = [models.Index(fields=["followee", "follower"], name="follow_followee_idx")]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followee_id}"


class UserCounters(models.Model):
    """Community counters of a user (kept here so the accounts' user table is not written on every follow)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="community_counters")
    follower_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("user counters")
        verbose_name_plural = _("user counters")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.follower_count} followers, {self.following_count} following"


class Notification(models.Model):
    class Type(models.TextChoices):
        LIKE = "like", "Like"
        COMMENT = "comment", "Comment"
        FOLLOW = "follow", "Follow"
        GOAL_ACHIEVED = "goal_achieved", "Goal achieved"
        PERSONAL_RECORD = "personal_record", "Personal record"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="notifications")
    type = models.CharField(_("type"), max_length=32, choices=Type.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.CASCADE, null=True,
                              blank=True,
                              related_name="+")
    # The thing the notification is about, as strings (post, comment, user, goal, workout) so the apps stay
    # decoupled; the client opens it from `target_type` + `target_id`.
    target_type = models.CharField(_("target type"), max_length=32, blank=True, default="")
    target_id = models.CharField(_("target ID"), max_length=64, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    # One notification per event: the tasks derive the key from the event (like row, comment, goal, record),
    # so a redelivered task inserts nothing twice.
    dedupe_key = models.CharField(max_length=160, unique=True, null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_created_idx"),
            models.Index(fields=["user", "read_at"], name="notification_user_read_idx"),
            # "Did this actor already cause this notification in the last hour?" (likes and follows).
            models.Index(fields=["user", "type", "actor", "target_id", "created_at"],
                         name="notification_dedupe_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} for {self.user.name or self.user} at {self.created_at:%Y-%m-%d %H:%M}"
