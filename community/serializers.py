"""Input and output shapes of the community API (API.md "Community").

Output serializers read only what `community.selectors` joined or annotated: no query per row.
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.serializers import avatar_url
from community import shared_paths
from community.discover import DISCOVER_DEFAULT_RADIUS_KM, DISCOVER_MAX_RADIUS_KM, DISCOVER_ORDERINGS
from community.models import COMMENT_CONTENT_MAX, POST_CONTENT_MAX, Comment, Notification, Post
from community.selectors import FEED_ORDERINGS, shared_workout
from community.services import DELETED_RUNNER_NAME
from goals.models import Goal
from routes.models import SHAPE_NAME_HELP, Route
from routes.selectors import shape_get_active
from runnerway.api.fields import UserTextField
from runnerway.api.units import PathSerializer, format_pace, km, path_object, whole


class AuthorSerializer(serializers.Serializer):
    """A runner as others see them; a deleted account is no one: no id, DELETED_RUNNER_NAME, no avatar."""

    id = serializers.SerializerMethodField(
        help_text="null for a deleted account (its comments that others answered stay, emptied, under "
                  "that name; the app may show its own words for it).")
    name = serializers.SerializerMethodField(help_text=f'"{DELETED_RUNNER_NAME}" for a deleted account.')
    avatar = serializers.SerializerMethodField()

    def get_id(self, user) -> uuid.UUID | None:
        return None if user.deleted_at is not None else user.pk

    def get_name(self, user) -> str:
        return DELETED_RUNNER_NAME if user.deleted_at is not None else user.name

    def get_avatar(self, user) -> str | None:
        return None if user.deleted_at is not None else avatar_url(user, self.context.get("request"))


class WorkoutSummarySerializer(serializers.Serializer):
    """A shared workout's figures. No coordinates: the track (with its privacy zone) is `/posts/{id}/track`."""

    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=Route.ActivityType.choices)
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField()
    distance = serializers.SerializerMethodField(help_text="km")
    duration = serializers.IntegerField(source="duration_s", help_text="moving time, s")
    avg_pace = serializers.SerializerMethodField()
    avg_pace_s = serializers.SerializerMethodField()
    calories = serializers.SerializerMethodField()
    elevation_gain = serializers.SerializerMethodField(help_text="m")
    route_completion = serializers.SerializerMethodField(help_text="0-100, 1 decimal")
    shape_accuracy = serializers.SerializerMethodField(help_text="0-100, 1 decimal")
    shape_id = serializers.SerializerMethodField()
    shape_name = serializers.SerializerMethodField(help_text=SHAPE_NAME_HELP)

    def get_distance(self, workout) -> float:
        return km(workout.distance_m)

    def get_avg_pace(self, workout) -> str | None:
        return format_pace(workout.avg_pace_s)

    def get_avg_pace_s(self, workout) -> int | None:
        return whole(workout.avg_pace_s)

    def get_calories(self, workout) -> int | None:
        return whole(workout.calories_kcal)

    def get_elevation_gain(self, workout) -> float | None:
        return None if workout.elevation_gain_m is None else round(workout.elevation_gain_m, 1)

    # Rounded as the workout itself answers them (workouts.serializers), so a post shows the same figures.
    def get_route_completion(self, workout) -> float | None:
        return None if workout.route_completion is None else round(workout.route_completion, 1)

    def get_shape_accuracy(self, workout) -> float | None:
        return None if workout.shape_accuracy is None else round(workout.shape_accuracy, 1)

    def _shape(self, workout):
        return workout.route.shape if workout.route_id and workout.route else None

    def get_shape_id(self, workout) -> str | None:
        shape = self._shape(workout)
        return shape.shape_id if shape else None

    def get_shape_name(self, workout) -> str | None:
        shape = self._shape(workout)
        return shape.display_name if shape else None


class RouteSummarySerializer(serializers.Serializer):
    """A shared route with the option the post shows. Its path, for anyone but the author, without the author's
    privacy zone (community.shared_paths)."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=Route.ActivityType.choices)
    shape_id = serializers.SerializerMethodField()
    shape_name = serializers.SerializerMethodField(help_text=SHAPE_NAME_HELP)
    shape_icon = serializers.SerializerMethodField()
    location_district = serializers.CharField()
    option_id = serializers.SerializerMethodField()
    distance = serializers.SerializerMethodField(help_text="km of the shown option")
    estimated_duration = serializers.SerializerMethodField(help_text="s")
    shape_fidelity = serializers.SerializerMethodField()
    path = serializers.SerializerMethodField()

    def _option(self, route):
        return self.context.get("route_option")  # the RouteOption the post shows, or None

    def get_shape_id(self, route) -> str | None:
        return route.shape.shape_id if route.shape_id else None

    def get_shape_name(self, route) -> str | None:
        return route.shape.display_name if route.shape_id else None

    def get_shape_icon(self, route) -> str | None:
        return route.shape.icon_name if route.shape_id else None

    def get_option_id(self, route) -> str | None:
        option = self._option(route)
        return str(option.pk) if option else None

    def get_distance(self, route) -> float | None:
        option = self._option(route)
        return round(option.distance_km, 2) if option else None

    def get_estimated_duration(self, route) -> int | None:
        option = self._option(route)
        return option.estimated_duration_s if option else None

    def get_shape_fidelity(self, route) -> float | None:
        option = self._option(route)
        return round(option.shape_fidelity, 1) if option else None

    @extend_schema_field(PathSerializer(
        allow_null=True,
        help_text="The shown option's path; for anyone but the author without the points inside the author's "
                  "privacy zone around the route's start, the path's ends and the shared workout's ends. null "
                  "when there is no option or nothing is left outside the zone."))
    def get_path(self, route) -> dict | None:
        shared = self.context.get("route_path")  # community.shared_paths.SharedPath, or None
        return path_object(shared.coordinates) if shared else None


class PostSerializer(serializers.ModelSerializer):
    author = AuthorSerializer()
    workout = serializers.SerializerMethodField()
    route = serializers.SerializerMethodField()
    liked_by_me = serializers.BooleanField()

    class Meta:
        model = Post
        fields = ["id", "author", "content", "visibility", "workout", "route", "like_count", "comment_count",
                  "liked_by_me", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(WorkoutSummarySerializer(allow_null=True))
    def get_workout(self, post: Post) -> dict | None:
        workout = shared_workout(post)
        return WorkoutSummarySerializer(workout).data if workout else None

    @extend_schema_field(RouteSummarySerializer(allow_null=True))
    def get_route(self, post: Post) -> dict | None:
        route = post.route
        if route is None or route.deleted_at is not None:
            return None
        option = post.route_option if post.route_option_id else None
        request = self.context.get("request")
        path = shared_paths.post_route_path(viewer=getattr(request, "user", None), post=post, option=option) \
            if option is not None else None
        return RouteSummarySerializer(route, context={"route_option": option, "route_path": path}).data


class PostCreateSerializer(serializers.Serializer):
    content = UserTextField(max_length=POST_CONTENT_MAX, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=Post.Visibility.choices, default=Post.Visibility.PUBLIC)
    workout_id = serializers.UUIDField(required=False, allow_null=True,
                                       help_text="One of my completed workouts.")
    route_id = serializers.UUIDField(required=False, allow_null=True, help_text="One of my routes.")
    route_option_id = serializers.UUIDField(
        required=False, allow_null=True,
        help_text="The option of the route to show; default: the option the shared workout ran, else rank 1.")


class PostUpdateSerializer(serializers.Serializer):
    """Only `content` and `visibility` may change; any other field is refused with 400."""

    content = UserTextField(max_length=POST_CONTENT_MAX, allow_blank=True, required=False)
    visibility = serializers.ChoiceField(choices=Post.Visibility.choices, required=False)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
        return attrs


class FeedQuerySerializer(serializers.Serializer):
    ordering = serializers.ChoiceField(choices=FEED_ORDERINGS, default="latest")
    shape_id = serializers.SlugField(required=False, help_text="Shape slug (e.g. `heart`).")
    user_id = serializers.UUIDField(required=False, help_text="Only this author's posts.")


class LikeResultSerializer(serializers.Serializer):
    liked = serializers.BooleanField()
    like_count = serializers.IntegerField()


class FollowResultSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    follower_count = serializers.IntegerField()


class PublicUserSerializer(serializers.Serializer):
    """Public profile: the user, their lifetime totals (km, count) and their follows."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    avatar = serializers.CharField(allow_null=True)
    total_distance = serializers.FloatField(help_text="Lifetime distance in km (2 decimals).")
    total_workouts = serializers.IntegerField()
    follower_count = serializers.IntegerField(help_text="Users following this user.")
    following_count = serializers.IntegerField(help_text="Users this user follows.")
    following = serializers.BooleanField(help_text="I follow this user (false on my own profile).")


class CommentSerializer(serializers.ModelSerializer):
    post_id = serializers.UUIDField()
    author = AuthorSerializer()
    can_delete = serializers.SerializerMethodField(help_text="The viewer wrote the comment or the post.")
    content = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "post_id", "author", "content", "can_delete", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text="Empty when its author deleted their account."))
    def get_content(self, comment: Comment) -> str:
        return "" if comment.author.deleted_at is not None else comment.content

    def get_can_delete(self, comment: Comment) -> bool:
        viewer_id = self.context["viewer_id"]
        return viewer_id in (comment.author_id, self.context["post_author_id"])


class CommentCreateSerializer(serializers.Serializer):
    content = UserTextField(min_length=1, max_length=COMMENT_CONTENT_MAX)


class SharedTrackSerializer(serializers.Serializer):
    post_id = serializers.UUIDField()
    workout_id = serializers.UUIDField()
    path = PathSerializer(allow_null=True, help_text="null when nothing is left outside the privacy zone")
    privacy_zone_m = serializers.FloatField(
        help_text="The author's privacy zone size (0, 200, 400 or 800): no point shown lies closer than this to "
                  "the track's start or end; 0 for the author and when the author turned the zone off.")
    trimmed = serializers.BooleanField(help_text="The privacy zone was applied (false for the author).")


# What a notification is about (`target_type` + `target_id`): post (like), comment, user (follow), goal, workout.
NOTIFICATION_TARGET_TYPES = ["post", "comment", "user", "goal", "workout"]
# The personal records' keys as `GET /users/me/stats` names them; stored with the workouts' own keys (metres).
_RECORD_IN_API = {"fastest_1k_s": "fastest_1k_s", "fastest_5k_s": "fastest_5k_s", "fastest_10k_s": "fastest_10k_s",
                  "longest_distance_m": "longest_distance"}


def notification_data(notification: Notification) -> dict:
    """`data` in the API's units: a personal record's distance in km (2 decimals), its times in whole seconds."""
    data = notification.data or {}
    if notification.type != Notification.Type.PERSONAL_RECORD or data.get("record") not in _RECORD_IN_API:
        return data
    to_api = km if data["record"] == "longest_distance_m" else whole
    return {**data, "record": _RECORD_IN_API[data["record"]], "value": to_api(data.get("value")),
            "previous": to_api(data.get("previous"))}


class NotificationSerializer(serializers.ModelSerializer):
    actor = AuthorSerializer(allow_null=True)
    target_type = serializers.ChoiceField(choices=NOTIFICATION_TARGET_TYPES)
    is_read = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "type", "actor", "target_type", "target_id", "data", "is_read", "read_at", "created_at"]
        read_only_fields = fields

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None

    def get_data(self, notification: Notification) -> dict:
        return notification_data(notification)


# --- The schema of a notification: `data` by `type` (NotificationSerializer answers all of them) -------------


class LikeNotificationDataSerializer(serializers.Serializer):
    post_id = serializers.UUIDField(help_text="The post liked.")


class CommentNotificationDataSerializer(serializers.Serializer):
    post_id = serializers.UUIDField()
    comment_id = serializers.UUIDField()
    excerpt = serializers.CharField(max_length=100, help_text="The comment's first 100 characters.")


class FollowNotificationDataSerializer(serializers.Serializer):
    """Nothing more: the follower is `actor` (and `target_id`)."""


class GoalAchievedNotificationDataSerializer(serializers.Serializer):
    goal_type = serializers.ChoiceField(choices=Goal.GoalType.choices)
    target_type = serializers.ChoiceField(choices=Goal.TargetType.choices)
    target_value = serializers.FloatField(help_text="In the target's unit: km, a count, kcal or s.")
    current_value = serializers.FloatField(help_text="Reached when notified, in the target's unit.")
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class PersonalRecordNotificationDataSerializer(serializers.Serializer):
    record = serializers.ChoiceField(choices=list(_RECORD_IN_API.values()),
                                     help_text="As in `GET /users/me/stats` `records`.")
    value = serializers.FloatField(help_text="Seconds (whole) for the fastest efforts, km (2 decimals) for "
                                             "longest_distance.")
    previous = serializers.FloatField(allow_null=True, help_text="The record before, same unit; null: the first.")
    workout_id = serializers.UUIDField()


class LikeNotificationSerializer(NotificationSerializer):
    data = LikeNotificationDataSerializer()


class CommentNotificationSerializer(NotificationSerializer):
    data = CommentNotificationDataSerializer()


class FollowNotificationSerializer(NotificationSerializer):
    data = FollowNotificationDataSerializer()


class GoalAchievedNotificationSerializer(NotificationSerializer):
    data = GoalAchievedNotificationDataSerializer()


class PersonalRecordNotificationSerializer(NotificationSerializer):
    data = PersonalRecordNotificationDataSerializer()


def notification_schema(*, many: bool = False) -> PolymorphicProxySerializer:
    """For `@extend_schema(responses=...)`: a notification is one of these, told apart by `type`."""
    return PolymorphicProxySerializer(
        component_name="Notification", resource_type_field_name="type", many=many,
        serializers={
            Notification.Type.LIKE.value: LikeNotificationSerializer,
            Notification.Type.COMMENT.value: CommentNotificationSerializer,
            Notification.Type.FOLLOW.value: FollowNotificationSerializer,
            Notification.Type.GOAL_ACHIEVED.value: GoalAchievedNotificationSerializer,
            Notification.Type.PERSONAL_RECORD.value: PersonalRecordNotificationSerializer,
        },
    )


class NotificationListQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(default=False, help_text="Only unread notifications.")


class ReadAllResultSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()
    unread_count = serializers.IntegerField()


# --- Routes near me -----------------------------------------------------------------------------------------


class DiscoverQuerySerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90.0, max_value=90.0, help_text="WGS84 degrees.")
    longitude = serializers.FloatField(min_value=-180.0, max_value=180.0, help_text="WGS84 degrees.")
    radius_km = serializers.FloatField(
        default=DISCOVER_DEFAULT_RADIUS_KM, max_value=DISCOVER_MAX_RADIUS_KM,
        help_text=f"0 < radius_km <= {DISCOVER_MAX_RADIUS_KM:g} (default {DISCOVER_DEFAULT_RADIUS_KM:g}).")
    shape_id = serializers.SlugField(required=False, help_text="Only routes of this shape (e.g. `heart`).")
    ordering = serializers.ChoiceField(choices=DISCOVER_ORDERINGS, default="nearest")

    def validate_radius_km(self, value: float) -> float:
        if not value > 0:
            raise serializers.ValidationError(_("Must be more than 0."))
        return value

    def validate_shape_id(self, value: str) -> str:
        if shape_get_active(shape_id=value) is None:
            raise serializers.ValidationError(_("No shape with this id."))
        return value


class DiscoverRouteSerializer(RouteSummarySerializer):
    """The route summary of a discover entry. Bound once per list (a nested field, not a serializer per entry):
    the option and the post come from the route itself (community.discover.discover_page sets them)."""

    def _option(self, route):
        return route.discover_post.route_option

    @extend_schema_field(PathSerializer(
        help_text="The shown option's path without the points inside the author's privacy zone (whole for the "
                  "author); what the distance and the radius were measured on."))
    def get_path(self, route) -> dict | None:
        request = self.context.get("request")
        post = route.discover_post
        shared = shared_paths.post_route_path(viewer=getattr(request, "user", None), post=post,
                                              option=post.route_option)
        return path_object(shared.coordinates) if shared else None


class DiscoverEntrySerializer(serializers.Serializer):
    """One shared route near the point (a community.discover.DiscoverEntry)."""

    post_id = serializers.UUIDField(source="post.pk",
                                    help_text="The post sharing it: save it with "
                                              "POST /api/v1/community/posts/{post_id}/save-route.")
    author = AuthorSerializer(source="post.author")
    route = DiscoverRouteSerializer(source="post.route")
    distance_from_point_km = serializers.SerializerMethodField(
        help_text="Great-circle km from the point to the centre of the box of the figure's visible part.")
    saved_count = serializers.IntegerField(source="candidate.saved_count",
                                           help_text="Runners holding a copy saved from it.")
    run_count = serializers.IntegerField(source="candidate.run_count",
                                         help_text="Runners who completed a run on it or on their copy of it.")
    recognisability = serializers.SerializerMethodField(
        help_text="0-100, of the shown option (the best ranked unless the post chose another); null when never "
                  "measured.")
    is_saved = serializers.BooleanField(source="post.is_saved", help_text="I hold a copy saved from this route.")

    def get_distance_from_point_km(self, entry) -> float:
        return round(entry.candidate.distance_km, 2)

    def get_recognisability(self, entry) -> float | None:
        value = entry.post.route_option.recognisability
        return None if value is None else round(value, 1)
