"""Community API (API.md "Community"). Thin views: serializers validate, services and selectors do the work.

Answers for objects the viewer may not see: 404 `not_found` (private posts, followers-only posts of people the
viewer does not follow, hidden posts and comments, and everything attached to them — comments, likes, track,
save-route). A post or comment the viewer DOES see but may not change (not its author) answers 403
`permission_denied`: its existence is no secret to them.
"""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from community import discover, selectors, services, shared_paths
from community.pagination import (
    DiscoverPageSchema,
    DiscoverPagination,
    FeedKeysetPagination,
    OldestFirstCursorPagination,
)
from community.serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    DiscoverEntrySerializer,
    DiscoverQuerySerializer,
    FeedQuerySerializer,
    FollowResultSerializer,
    LikeResultSerializer,
    NotificationListQuerySerializer,
    NotificationSerializer,
    PostCreateSerializer,
    PostSerializer,
    PostUpdateSerializer,
    PublicUserSerializer,
    ReadAllResultSerializer,
    SharedTrackSerializer,
    notification_schema,
    path_object,
)
from routes import exports
from routes.selectors import route_get
from routes.serializers import RouteSerializer
from runnerway.api.pagination import CursorPagination
from runnerway.api.renderers import (
    EnvelopeJSONRenderer,
    FileResponseMixin,
    GpxRenderer,
    SvgRenderer,
    file_attachment,
)
from runnerway.api.schema import error_response
from runnerway.replicas import ReplicaReadsMixin

TAGS = ["community"]
PRIVACY_ZONE_DESCRIPTION = (
    "**Privacy zone.** For anyone but the author, every path a post shows (`route.path`, `/track`, the route "
    "previews and save-route copies) leaves out the points inside the author's privacy zone: circles around the "
    "workout's and the route's start and end whose radius (1.5-2x the size the author chose in "
    "`PATCH /users/me` `privacy_zone`: 0 = off, 200, 400 or 800 m) and centre (moved 50-100 % of the radius minus "
    "the size away from the real point, in a direction drawn per runner) are drawn per runner, so no shown "
    "point lies closer than the chosen size to a start or end and the circles cannot be intersected back to it."
)
FORBIDDEN_NOT_AUTHOR = error_response("You see this object but are not its author (`permission_denied`).")


def _visible_post(request, post_id):
    post = selectors.post_get_visible(viewer=request.user, post_id=post_id)
    if post is None:
        raise NotFound(_("Post not found."))
    return post


def _post_data(request, post) -> dict:
    return PostSerializer(post, context={"request": request}).data


class PostListCreateView(ReplicaReadsMixin, GenericAPIView):
    serializer_class = PostSerializer
    pagination_class = CursorPagination

    @extend_schema(
        tags=TAGS, parameters=[FeedQuerySerializer], responses=PostSerializer(many=True), summary="The feed",
        description=(
            "Posts I may see: public ones, followers-only ones of people I follow, and all of mine; never hidden "
            "ones. `?ordering=latest` (default): newest first (ties by id). `?ordering=popular`: by score = likes "
            "of the last 7 days + 2 * comments of the last 7 days (counted as they happen; likes and comments "
            "older than 7 days leave the score at the next daily refresh), ties newest first then by id. Both "
            "are keyset-paginated: `cursor` is opaque (pass back `next`/`previous`; another ordering's cursor or "
            "a malformed one is 400 `validation_error` on `cursor`); as scores move between requests a popular "
            "post may move across a page boundary. `?shape_id=` keeps posts whose shared route, or shared "
            "workout's route, has that shape; `?user_id=` one author's posts. One query whatever the page size, "
            "and the same cost on any page."),
    )
    def get(self, request):
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        paginator = FeedKeysetPagination(params["ordering"])

        def fetch(*, after, before, size):
            return selectors.post_feed_page(viewer=request.user, ordering=params["ordering"],
                                            shape_id=params.get("shape_id"), user_id=params.get("user_id"),
                                            after=after, before=before, size=size)

        page = paginator.paginate(request, fetch)
        return paginator.get_paginated_response(PostSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(tags=TAGS, request=PostCreateSerializer, responses={201: PostSerializer},
                   summary="Share a post",
                   description="`workout_id` must be one of my completed workouts and `route_id` one of my "
                               "routes (400 `validation_error` otherwise, whoever owns the id).")
    def post(self, request):
        serializer = PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.post_create(author=request.user, **serializer.validated_data)
        return Response(_post_data(request, _visible_post(request, post.pk)), status=status.HTTP_201_CREATED)


class PostDetailView(GenericAPIView):
    serializer_class = PostSerializer

    @extend_schema(tags=TAGS, responses=PostSerializer, summary="One post")
    def get(self, request, post_id):
        return Response(_post_data(request, _visible_post(request, post_id)))

    @extend_schema(tags=TAGS, request=PostUpdateSerializer, responses={200: PostSerializer,
                                                                        403: FORBIDDEN_NOT_AUTHOR},
                   summary="Edit my post (content, visibility)")
    def patch(self, request, post_id):
        post = _visible_post(request, post_id)
        serializer = PostUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.post_update(post=post, user=request.user, **serializer.validated_data)
        return Response(_post_data(request, _visible_post(request, post_id)))

    @extend_schema(tags=TAGS, responses={204: None, 403: FORBIDDEN_NOT_AUTHOR}, summary="Delete my post")
    def delete(self, request, post_id):
        services.post_delete(post=_visible_post(request, post_id), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostLikeView(GenericAPIView):
    serializer_class = LikeResultSerializer

    @extend_schema(tags=TAGS, request=None, responses=LikeResultSerializer, summary="Like (idempotent)")
    def post(self, request, post_id):
        liked, count = services.post_like(post=_visible_post(request, post_id), user=request.user)
        return Response({"liked": liked, "like_count": count})

    @extend_schema(tags=TAGS, responses={200: LikeResultSerializer}, summary="Take my like back (idempotent)")
    def delete(self, request, post_id):
        liked, count = services.post_unlike(post=_visible_post(request, post_id), user=request.user)
        return Response({"liked": liked, "like_count": count})


class PostCommentsView(GenericAPIView):
    serializer_class = CommentSerializer
    pagination_class = OldestFirstCursorPagination

    def _context(self, request, post) -> dict:
        return {"request": request, "viewer_id": request.user.pk, "post_author_id": post.author_id}

    @extend_schema(tags=TAGS, responses=CommentSerializer(many=True), summary="Comments of a post, oldest first")
    def get(self, request, post_id):
        post = _visible_post(request, post_id)
        page = self.paginate_queryset(selectors.comments_of_post(post=post))
        return self.get_paginated_response(CommentSerializer(page, many=True,
                                                             context=self._context(request, post)).data)

    @extend_schema(tags=TAGS, request=CommentCreateSerializer, responses={201: CommentSerializer},
                   summary="Comment on a post (1-1000 characters)")
    def post(self, request, post_id):
        post = _visible_post(request, post_id)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_create(post=post, author=request.user, **serializer.validated_data)
        return Response(CommentSerializer(comment, context=self._context(request, post)).data,
                        status=status.HTTP_201_CREATED)


class CommentDetailView(GenericAPIView):
    serializer_class = CommentSerializer

    @extend_schema(tags=TAGS, responses={204: None, 403: FORBIDDEN_NOT_AUTHOR},
                   summary="Delete a comment (its author or the post's author)")
    def delete(self, request, comment_id):
        comment = selectors.comment_get_visible(viewer=request.user, comment_id=comment_id)
        if comment is None:
            raise NotFound(_("Comment not found."))
        services.comment_delete(comment=comment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostTrackView(GenericAPIView):
    serializer_class = SharedTrackSerializer

    @extend_schema(tags=TAGS, responses=SharedTrackSerializer, summary="The shared workout's track",
                   description=PRIVACY_ZONE_DESCRIPTION + " 404 when the post shares no workout.")
    def get(self, request, post_id):
        post = _visible_post(request, post_id)
        track = shared_paths.post_track_path(viewer=request.user, post=post)
        if track is None:
            raise NotFound(_("This post shares no workout."))
        return Response({"post_id": post.pk, "workout_id": post.workout_id,
                         "path": path_object(track.coordinates), "privacy_zone_m": track.privacy_zone_m,
                         "trimmed": track.trimmed})


def _shared_route_path(request, post_id):
    """The post and the path of the route option it shows, as the viewer may see it (404 without one)."""
    post = _visible_post(request, post_id)
    shared = shared_paths.post_route_path(viewer=request.user, post=post)
    if shared is None:
        raise NotFound(_("This post shares no route."))
    return post, shared


class PostRoutePreviewView(FileResponseMixin, GenericAPIView):
    renderer_classes = [EnvelopeJSONRenderer, SvgRenderer]

    @extend_schema(
        tags=TAGS, summary="The shared route drawn as an SVG image",
        description="The option the post shows, as `route.path` shows it to me (" + PRIVACY_ZONE_DESCRIPTION
                    + ") An empty drawing when nothing is left outside the zone. 404 when the post shares no "
                    "route.",
        parameters=[OpenApiParameter("size", int, description="Width and height in px (64-1024).")],
        responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, description="SVG image")})
    def get(self, request, post_id):
        post, shared = _shared_route_path(request, post_id)
        try:
            size_px = min(max(int(request.query_params.get("size", 256)), 64), 1024)
        except ValueError:
            size_px = 256
        svg = exports.svg_for_path(shared.coordinates, width_px=size_px, title=post.route.name)
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Cache-Control"] = "private, max-age=300"  # the author may change the zone or the post
        return response


class PostRouteGpxView(FileResponseMixin, GenericAPIView):
    renderer_classes = [EnvelopeJSONRenderer, GpxRenderer]

    @extend_schema(
        tags=TAGS, summary="The shared route as a GPX 1.1 file",
        description="One track through the points `route.path` shows me (" + PRIVACY_ZONE_DESCRIPTION + ") "
                    "404 when the post shares no route.",
        responses={(200, "application/gpx+xml"): OpenApiResponse(OpenApiTypes.STR,
                                                                 description="GPX 1.1 document")})
    def get(self, request, post_id):
        post, shared = _shared_route_path(request, post_id)
        gpx = exports.gpx_for_path(name=post.route.name, coordinates=shared.coordinates,
                                   description="RunnerWay shared route")
        slug = slugify(post.route.name)[:50] or "route"
        return file_attachment(gpx, renderer=GpxRenderer, file_name=f"runnerway-{slug}.gpx")


class PostSaveRouteView(GenericAPIView):
    serializer_class = RouteSerializer

    @extend_schema(tags=TAGS, request=None,
                   responses={201: RouteSerializer, 422: error_response(
                       "`route_hidden`: nothing of the route lies outside its author's privacy zone.")},
                   summary="Save the shared route into my routes",
                   description="Copies the route with the option the post shows (as the copy's rank-1 option). "
                               "→ 201 the new route, as `GET /routes/{id}` shows it. 404 when the post shares "
                               "no route (or it was deleted). Another runner's copy holds only what the post "
                               "shows them: the path outside the author's privacy zone, the copy's start moved "
                               "to its first point, no `location_address`, a custom drawing only as its form "
                               "(`svg_path` in a 0..100 box instead of `custom_points` on the map). "
                               + PRIVACY_ZONE_DESCRIPTION)
    def post(self, request, post_id):
        copy = services.route_copy_from_post(post=_visible_post(request, post_id), user=request.user)
        route = route_get(user=request.user, route_id=copy.pk)
        return Response(RouteSerializer(route, context={"request": request}).data, status=status.HTTP_201_CREATED)


class UserFollowView(GenericAPIView):
    serializer_class = FollowResultSerializer

    def _followee(self, user_id):
        followee = get_user_model().active.filter(pk=user_id, is_active=True).first()
        if followee is None:
            raise NotFound(_("User not found."))
        return followee

    @extend_schema(tags=TAGS, request=None, responses=FollowResultSerializer, summary="Follow (idempotent)",
                   description="400 `validation_error` for oneself.")
    def post(self, request, user_id):
        following, count = services.follow_create(follower=request.user, followee=self._followee(user_id))
        return Response({"following": following, "follower_count": count})

    @extend_schema(tags=TAGS, responses={200: FollowResultSerializer}, summary="Unfollow (idempotent)")
    def delete(self, request, user_id):
        following, count = services.follow_delete(follower=request.user, followee=self._followee(user_id))
        return Response({"following": following, "follower_count": count})


class PublicProfileView(APIView):
    @extend_schema(summary="A user's public profile",
                   description="Name, avatar, lifetime totals, follower/following counts, and whether I follow "
                   "them (`following`, as in the follow endpoint's answer). Deleted or disabled users → 404.",
                   responses={200: PublicUserSerializer}, tags=["users"])
    def get(self, request, user_id):
        profile = selectors.public_profile_get(user_id=user_id, viewer=request.user)
        if profile is None:
            raise NotFound(_("No such user."))
        user, follows = profile.user, profile.follows
        avatar = request.build_absolute_uri(user.avatar.url) if user.avatar else None
        return Response(PublicUserSerializer({
            "id": user.pk, "name": user.name, "avatar": avatar,
            "total_distance": profile.total_distance, "total_workouts": profile.total_workouts,
            "follower_count": follows.follower_count, "following_count": follows.following_count,
            "following": follows.following,
        }).data)

class NotificationListView(GenericAPIView):
    serializer_class = NotificationSerializer
    pagination_class = CursorPagination

    @extend_schema(tags=["notifications"], parameters=[NotificationListQuerySerializer],
                   responses=notification_schema(many=True), summary="My notifications, newest first",
                   description="Types: like, comment, follow, goal_achieved, personal_record. `target_type` + "
                               "`target_id` name what it is about (post, comment, user, goal, workout). `data` "
                               "depends on `type` (the schema's oneOf, by `type`), in the API's units: a "
                               "personal record's `longest_distance` in km, its fastest efforts in whole seconds.")
    def get(self, request):
        query = NotificationListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        notifications = selectors.notifications_of(user=request.user, unread_only=query.validated_data["unread"])
        page = self.paginate_queryset(notifications)
        return self.get_paginated_response(NotificationSerializer(page, many=True,
                                                                  context={"request": request}).data)


class NotificationReadView(GenericAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(tags=["notifications"], request=None, responses=notification_schema(),
                   summary="Mark one notification read")
    def post(self, request, notification_id):
        notification = selectors.notification_get(user=request.user, notification_id=notification_id)
        if notification is None:
            raise NotFound(_("Notification not found."))
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification, context={"request": request}).data)


class NotificationReadAllView(GenericAPIView):
    serializer_class = ReadAllResultSerializer

    @extend_schema(tags=["notifications"], request=None, responses=ReadAllResultSerializer,
                   summary="Mark all my notifications read",
                   description="`marked_read`: how many were unread; `unread_count`: left unread (0).")
    def post(self, request):
        marked = services.notifications_mark_all_read(user=request.user)
        unread = selectors.notifications_of(user=request.user, unread_only=True).count()
        return Response({"marked_read": marked, "unread_count": unread})


DISCOVER_EXAMPLE_ENTRY = {
    "post_id": "0b7f2f7e-0b57-4f8e-9a55-3c1f0f1f6a10",
    "author": {"id": "5d0c3a57-1c0e-4f0e-8f43-6a3f0d9e2b11", "name": "Jiwoo", "avatar": None},
    "route": {
        "id": "c3e1b2a4-8d6f-4a51-9b3e-2f7d6c5b4a39", "name": "Mangwon heart", "type": "running",
        "shape_id": "heart", "shape_name": "Heart", "shape_icon": "favorite", "location_district": "Mapo-gu",
        "option_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "distance": 4.12, "estimated_duration": 1483,
        "shape_fidelity": 81.4,
        "path": {"polyline": "o}eeFilgfWsBaD}AhC", "coordinates": [[37.5563, 126.9036], [37.5581, 126.9068],
                                                                  [37.5597, 126.9047]],
                 "bbox": [37.5563, 126.9036, 37.5597, 126.9068]},
    },
    "distance_from_point_km": 1.84,
    "saved_count": 12,
    "run_count": 7,
    "recognisability": 74.2,
    "is_saved": False,
}


class RouteDiscoverView(GenericAPIView):
    serializer_class = DiscoverEntrySerializer
    pagination_class = DiscoverPageSchema  # the schema's page object; the page itself is DiscoverPagination's

    @extend_schema(
        summary="Routes near me",
        description=(
            "Shared routes whose figure lies within `radius_km` of the point: routes attached to a post I may "
            "see (public, my own, or followers-only of a runner I follow; never a hidden post, nor one of a "
            "deleted or disabled account), whose route is not deleted, with the option the post shows. "
            "\"Within\" means the centre of the figure's visible part is at most `radius_km` away (great-circle "
            "distance, `distance_from_point_km`). Everything about the place — the path, the centre, the "
            "distance — comes from the part of the path others may see: the author's privacy zone is removed "
            "first. One entry per route (the newest post sharing it). `?ordering=nearest` (default): nearest "
            "first; `?ordering=popular`: most runners who saved plus ran it first, then nearest. Both end with "
            "the route id (a total order) and are keyset-paginated with an opaque `cursor` (another ordering's "
            "cursor or a malformed one: 400 `validation_error` on `cursor`). `?shape_id=` keeps one shape. "
            "Save one with `POST /api/v1/community/posts/{post_id}/save-route` (the copy holds only what the "
            "entry shows). Bad input — latitude outside -90..90, longitude outside -180..180, `radius_km` not in "
            "(0, 20], an unknown `shape_id`, an unknown `ordering` — is 400 `validation_error` naming the "
            "field. Two queries whatever the page size (an indexed box around the circle, then the page)."),
        parameters=[
            DiscoverQuerySerializer,
            OpenApiParameter("latitude", float, required=True, description="WGS84 degrees, -90..90.",
                             examples=[OpenApiExample("Mapo-gu, Seoul", value=37.5563)]),
            OpenApiParameter("longitude", float, required=True, description="WGS84 degrees, -180..180.",
                             examples=[OpenApiExample("Mapo-gu, Seoul", value=126.9236)]),
            OpenApiParameter("radius_km", float, description="0 < radius_km <= 20; default 5.",
                             examples=[OpenApiExample("A 5 km circle", value=5)]),
        ],
        responses={200: OpenApiResponse(DiscoverEntrySerializer(many=True), examples=[OpenApiExample(
            "Near Hongdae (37.5563, 126.9236)", response_only=True,
            value=DISCOVER_EXAMPLE_ENTRY)])},
        tags=["routes"],
    )
    def get(self, request):
        query = DiscoverQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        paginator = DiscoverPagination(params["ordering"])
        candidates = discover.discover_candidates(
            viewer=request.user, latitude=params["latitude"], longitude=params["longitude"],
            radius_km=params["radius_km"], shape_id=params.get("shape_id"), ordering=params["ordering"])
        page = paginator.paginate(request, candidates)
        entries = discover.discover_page(viewer=request.user, candidates=page)
        return paginator.get_paginated_response(
            DiscoverEntrySerializer(entries, many=True, context={"request": request}).data)
