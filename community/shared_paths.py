"""What of a post's paths a viewer may see: the Django side of the privacy zone (community.privacy).

A post can show two paths — the shared workout's recorded track and the shared route's option — and every view
of them goes through here: the post's `route.path` (feed and detail), `/track`, the route previews (SVG, GPX)
and save-route copies. For anyone but the author both paths lose the circles of the author's privacy zone
around every anchor of the post: the track's ends, the workout's stored start and end, the route's start, the
option's start and the option path's ends. One set of anchors for both paths, so neither path shows what the
other hides (the route's start is the workout's start when the runner ran it from home).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from community.models import Post
from community.privacy import NO_ZONE, PrivacyZone, path_anchors, privacy_zone_for, visible_indices, visible_path
from community.selectors import shared_workout
from routes.models import RouteOption
from workouts.models import WorkoutPoint


@dataclass(frozen=True)
class SharedPath:
    coordinates: list[list[float]]  # [[lat, lng], ...] in path order; empty when nothing is left to show
    privacy_zone_m: float  # the author's chosen size; 0 for the author and when the zone is off
    trimmed: bool  # the zone applies to this viewer


def privacy_zone_of(user) -> PrivacyZone:
    """The privacy zone of `user`'s paths (profile `privacy_zone`, per-user draws from their secret)."""
    return privacy_zone_for(size_m=user.privacy_zone_m, secret=user.privacy_zone_secret)


def _is_author(viewer, post: Post) -> bool:
    return viewer is not None and viewer.is_authenticated and viewer.pk == post.author_id


def zone_for_viewer(*, viewer, post: Post) -> PrivacyZone:
    return NO_ZONE if _is_author(viewer, post) else privacy_zone_of(post.author)


def shown_route_option(post: Post) -> RouteOption | None:
    """The option of the post's route it shows (and save-route copies): the chosen one, else the best ranked;
    None when the post shares no (live) route."""
    route = post.route
    if route is None or route.deleted_at is not None:
        return None
    if post.route_option_id is not None and post.route_option is not None \
            and post.route_option.route_id == route.pk:
        return post.route_option
    return RouteOption.objects.filter(route_id=route.pk).order_by("rank").first()


def post_anchors(post: Post, *, option: RouteOption | None = None) -> list[tuple[float, float]]:
    """The stored points of a post that may name the author's home: the shared workout's start and end, the
    shared route's start and the shown option's start (the paths' own ends are added by `visible_path`)."""
    anchors: list[tuple[float, float]] = []
    workout = shared_workout(post)
    if workout is not None:
        for lat, lon in ((workout.start_latitude, workout.start_longitude),
                         (workout.end_latitude, workout.end_longitude)):
            if lat is not None and lon is not None:
                anchors.append((float(lat), float(lon)))
    route = post.route
    if route is not None and route.deleted_at is None:
        anchors.append((float(route.start_latitude), float(route.start_longitude)))
    if option is not None:
        anchors.append((float(option.start_latitude), float(option.start_longitude)))
    return anchors


def _track_coordinates(workout_id) -> np.ndarray:
    return np.array(
        WorkoutPoint.objects.filter(workout_id=workout_id, rejected_reason="")
        .order_by("recorded_at", "seq").values_list("latitude", "longitude"),
        dtype=float,
    ).reshape(-1, 2)


def _shared(coordinates, *, zone: PrivacyZone, anchors) -> SharedPath:
    shown = np.asarray(visible_path(coordinates, zone=zone, anchors=anchors), dtype=float).reshape(-1, 2)
    # 7 decimals (~1 cm), as every coordinate the API answers.
    return SharedPath(coordinates=np.round(shown, 7).tolist(), privacy_zone_m=zone.size_m,
                      trimmed=not zone.is_off)


def post_track_path(*, viewer, post: Post) -> SharedPath | None:
    """The shared workout's recorded path as `viewer` may see it; None when the post shares no (longer existing,
    completed) workout. Whole for the author."""
    workout = shared_workout(post)
    if workout is None:
        return None
    zone = zone_for_viewer(viewer=viewer, post=post)
    anchors = post_anchors(post, option=shown_route_option(post)) if not zone.is_off else []
    return _shared(_track_coordinates(workout.pk), zone=zone, anchors=anchors)


def post_route_path(*, viewer, post: Post, option: RouteOption | None = None) -> SharedPath | None:
    """The path of the option the post shows, as `viewer` may see it; None when the post shares no route.
    Reads no more rows than the post's display data (`community.selectors._with_display_data`) when the post
    names its option."""
    option = option or shown_route_option(post)
    if option is None:
        return None
    zone = zone_for_viewer(viewer=viewer, post=post)
    anchors = post_anchors(post, option=option) if not zone.is_off else []
    return _shared(option.coordinates(), zone=zone, anchors=anchors)


@dataclass(frozen=True)
class FigureBounds:
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.min_lat + self.max_lat) / 2.0, (self.min_lon + self.max_lon) / 2.0


def post_figure_bounds(post: Post, *, option) -> FigureBounds | None:
    """The box of the figure of `option` (the option the post shows) as anyone but the author sees it: only
    points outside the author's privacy zone (the same anchors as `post_route_path`), those of the figure
    (`RouteOption.figure_range`, not the approach), else every visible point; None when nothing is visible.
    Everything it is made of is in the preview others get, so the box (and the distances measured to its centre)
    tells nothing the zone hides. Works on historical models too (the backfill migration)."""
    # Through the class: a historical model instance has the fields but not the methods.
    coordinates = np.asarray(RouteOption.coordinates(option), dtype=float).reshape(-1, 2)
    if coordinates.size == 0:
        return None
    zone = privacy_zone_of(post.author)
    anchors = path_anchors(coordinates) + post_anchors(post, option=option)
    shown = visible_indices(coordinates[:, 0], coordinates[:, 1], zone=zone, anchors=anchors)
    first, last = RouteOption.figure_range.fget(option)
    figure = shown[(shown >= first) & (shown <= last)]
    points = coordinates[figure if figure.size else shown]
    if points.size == 0:
        return None
    return FigureBounds(min_lat=float(points[:, 0].min()), min_lon=float(points[:, 1].min()),
                        max_lat=float(points[:, 0].max()), max_lon=float(points[:, 1].max()))
