"""Reads of the routes app worth naming: the cached shape catalog, a user's routes, routes near a point."""

import math
import uuid
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value

from routes.models import Route, RouteOption, RouteShape
from workouts.metrics import haversine_m

SHAPE_CATALOG_CACHE_KEY = "routes:shape-catalog:v1"
# The catalog changes only when staff edit it or `seed_shapes` runs, and both invalidate the key; the timeout
# only bounds how long a cache shared by other deployments (Redis) could serve a stale list.
SHAPE_CATALOG_CACHE_TIMEOUT_S = 60 * 60


def shape_catalog() -> list[RouteShape]:
    """Every active shape, in catalog order, from the cache (one query on a miss)."""
    shapes = cache.get(SHAPE_CATALOG_CACHE_KEY)
    if shapes is None:
        shapes = list(RouteShape.objects.filter(is_active=True).order_by("sort_order", "shape_id"))
        cache.set(SHAPE_CATALOG_CACHE_KEY, shapes, SHAPE_CATALOG_CACHE_TIMEOUT_S)
    return shapes


def shape_list(*, category: str | None = None) -> list[RouteShape]:
    shapes = shape_catalog()
    return [shape for shape in shapes if shape.category == category] if category else shapes


def shape_get_active(*, shape_id: str) -> RouteShape | None:
    return next((shape for shape in shape_catalog() if shape.shape_id == shape_id), None)


def route_list(*, user, status: str | None = None) -> QuerySet[Route]:
    """The user's live routes with shape and options loaded in two extra queries, whatever the page size."""
    routes = Route.objects.owned_by(user).select_related("shape")
    if status:
        routes = routes.filter(status=status)
    return routes.prefetch_related(Prefetch("options", queryset=RouteOption.objects.order_by("rank")))


def route_get(*, user, route_id) -> Route | None:
    """The user's live route with its options, or None (also for another user's route)."""
    return route_list(user=user).filter(pk=route_id).first()


def route_option_get(*, user, route_id, option_id) -> RouteOption | None:
    return (RouteOption.objects.select_related("route", "route__shape")
            .filter(pk=option_id, route_id=route_id, route__user=user, route__deleted_at__isnull=True)
            .first())


def route_outline(route: Route) -> tuple[np.ndarray | None, bool]:
    """The outline a route was planned to draw (stored at planning time, the planner's convention) and
    whether it is closed. Never parses a drawing: a route whose drawing could not be read has none.

    (None, True) when the route has no stored outline — callers then measure against the planned path itself.
    """
    if not route.outline:
        return None, True
    outline = np.asarray(route.outline, dtype=np.float64)
    if outline.ndim != 2 or outline.shape[1] != 2 or len(outline) < 2:
        return None, True
    return outline, bool(route.outline_closed)


# --- Routes near me -----------------------------------------------------------------------------------------

DISCOVER_MAX_RADIUS_KM = 20.0
DISCOVER_DEFAULT_RADIUS_KM = 5.0
DISCOVER_ORDERINGS = ("nearest", "popular")
_KM_PER_DEGREE_LAT = 111.195  # mean Earth radius, as workouts.metrics.haversine_m
# Below this cos(latitude) (within ~0.6° of a pole) a longitude band no longer bounds anything useful.
_MIN_COS_LAT = 0.01


@dataclass(frozen=True)
class DiscoverCandidate:
    """One shared route near the point, before its page is loaded: the post that shows it, where it is, its
    counters. `key` is its place in the ordering (ascending)."""

    post_id: uuid.UUID
    route_id: uuid.UUID
    distance_km: float
    saved_count: int
    run_count: int
    key: tuple


def discover_key(*, ordering: str, distance_km: float, saved_count: int, run_count: int,
                 route_id: uuid.UUID) -> tuple:
    """Total order of a discover list, ascending: `nearest` by distance then route id; `popular` by runners who
    saved + ran it (descending), then distance, then route id."""
    if ordering == "popular":
        return (-(saved_count + run_count), distance_km, route_id.hex)
    return (distance_km, route_id.hex)


def _bounding_box(latitude: float, longitude: float, radius_km: float) -> tuple[Q, bool]:
    """A filter on the stored figure centres that holds every centre within `radius_km` (slightly more: the box
    of the circle), and whether it bounds the longitude (not across the antimeridian or near a pole)."""
    d_lat = radius_km / _KM_PER_DEGREE_LAT
    box = Q(figure_center_lat__gte=latitude - d_lat, figure_center_lat__lte=latitude + d_lat)
    cos_lat = math.cos(math.radians(min(abs(latitude) + d_lat, 90.0)))
    if cos_lat < _MIN_COS_LAT:
        return box, False
    d_lon = radius_km / (_KM_PER_DEGREE_LAT * cos_lat)
    if longitude - d_lon < -180.0 or longitude + d_lon > 180.0:
        return box, False
    return box & Q(figure_center_lon__gte=longitude - d_lon, figure_center_lon__lte=longitude + d_lon), True


def _shared_posts_visible_to(viewer) -> QuerySet:
    """Posts that share a live route with a shown option and a visible figure, that `viewer` may see (the rule of
    community.selectors.posts_visible_to, with the author test as the feeds' per-row primary-key lookup)."""
    from community.models import Follow, Post
    from community.selectors import _author_may_be_shown

    posts = Post.objects.filter(_author_may_be_shown(), is_hidden=False, route__deleted_at__isnull=True,
                                route_option__isnull=False, figure_center_lat__isnull=False)
    if viewer is None or not viewer.is_authenticated:
        return posts.filter(visibility=Post.Visibility.PUBLIC)
    followed = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
    return posts.filter(Q(visibility=Post.Visibility.PUBLIC) | Q(author_id=viewer.pk)
                        | Q(visibility=Post.Visibility.FOLLOWERS, author_id__in=Subquery(followed)))


def discover_candidates(*, viewer, latitude: float, longitude: float, radius_km: float,
                        shape_id: str | None = None, ordering: str = "nearest") -> list[DiscoverCandidate]:
    """Every shared route `viewer` may see whose figure centre lies within `radius_km` of the point, one entry
    per route (the newest visible post sharing it), in the ordering's total order.

    One query: the index on the stored centres (community.models.Post, `post_figure_centre_idx`) gives the
    posts in the circle's bounding box, each checked for visibility by primary-key lookups; the exact
    great-circle distance is computed here (numpy) and the rows outside the circle dropped. Rows are read
    through the database cursor (a few numbers each): the cost follows the routes in the box, not the table.
    """
    box, _ = _bounding_box(latitude, longitude, radius_km)
    posts = _shared_posts_visible_to(viewer).filter(box)
    if shape_id:
        posts = posts.filter(shape_slug=shape_id)
    columns = ("pk", "route_id", "figure_center_lat", "figure_center_lon", "route__saved_count",
               "route__run_count", "created_at")
    sql, params = posts.values_list(*columns).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    lats = np.fromiter((row[2] for row in rows), dtype=float, count=len(rows))
    lons = np.fromiter((row[3] for row in rows), dtype=float, count=len(rows))
    distances_km = haversine_m(lats, lons, latitude, longitude) / 1000.0
    newest: dict = {}  # route id -> (created_at, row index): one entry per route
    for index in np.flatnonzero(distances_km <= radius_km):
        row = rows[index]
        route_id = _as_uuid(row[1])
        known = newest.get(route_id)
        if known is None or row[6] > rows[known][6]:
            newest[route_id] = index
    candidates = []
    for route_id, index in newest.items():
        row = rows[index]
        distance_km = float(distances_km[index])
        candidates.append(DiscoverCandidate(
            post_id=_as_uuid(row[0]), route_id=route_id, distance_km=distance_km, saved_count=row[4],
            run_count=row[5], key=discover_key(ordering=ordering, distance_km=distance_km, saved_count=row[4],
                                               run_count=row[5], route_id=route_id)))
    candidates.sort(key=lambda candidate: candidate.key)
    return candidates


def _as_uuid(value) -> uuid.UUID:
    # The raw cursor answers UUIDs as the backend stores them: 32 hex characters on SQLite and MariaDB.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=str(value))


def discover_page(*, viewer, candidates: list[DiscoverCandidate]) -> list[tuple]:
    """(post, candidate) for a page of candidates, in the page's order, each post with everything an entry shows:
    author, shared workout (the privacy zone's anchors), route and shape, the shown option, and `is_saved` (the
    viewer holds a live copy saved from the route). One query."""
    from community.models import Post

    if not candidates:
        return []
    posts = Post.objects.filter(pk__in=[candidate.post_id for candidate in candidates]).select_related(
        "author", "workout", "route__shape", "route_option")
    if viewer is not None and viewer.is_authenticated:
        saved = Exists(Route.objects.filter(copied_from_id=OuterRef("route_id"), user_id=viewer.pk,
                                            deleted_at__isnull=True))
    else:
        saved = Value(False)
    by_id = {post.pk: post for post in posts.annotate(is_saved=saved)}
    return [(by_id[candidate.post_id], candidate) for candidate in candidates if candidate.post_id in by_id]
