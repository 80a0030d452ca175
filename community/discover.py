"""Routes near me (GET /api/v1/routes/discover): the shared routes whose figure lies near a point, read from the
posts that share them (their stored figure centres, the route's and author's state copied onto the post)."""

import math
import uuid
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast

from community.models import (
    Follow,
    Post,
    figure_cell_column,
    figure_cell_row,
    figure_cell_rows_range,
    figure_cells_between,
)
from routes.models import Route
from routes.planner.geometry import haversine_m

DISCOVER_MAX_RADIUS_KM = 20.0
DISCOVER_DEFAULT_RADIUS_KM = 5.0
DISCOVER_ORDERINGS = ("nearest", "popular")
_KM_PER_DEGREE_LAT = 111.195  # mean Earth radius, as routes.planner.geometry.haversine_m
# Below this cos(latitude) (within ~0.6° of a pole) a longitude band no longer bounds anything useful.
_MIN_COS_LAT = 0.01


@dataclass(frozen=True)
class DiscoverCandidate:
    """One shared route near the point, before its page is loaded: the post that shows it, where it is, its
    counters, and `key`, its place in the ordering (ascending)."""

    post_id: uuid.UUID
    route_id: uuid.UUID
    distance_km: float
    saved_count: int
    run_count: int
    key: tuple


def discover_key(*, ordering: str, distance_km: float, saved_count: int, run_count: int, route_hex: str) -> tuple:
    """Total order of a discover list, ascending: `nearest` by distance then route id; `popular` by runners who
    saved + ran it (descending), then distance, then route id."""
    if ordering == "popular":
        return (-(saved_count + run_count), distance_km, route_hex)
    return (distance_km, route_hex)


@dataclass(frozen=True)
class DiscoverCandidates:
    """The candidates of one request as columns, sorted in the ordering's total order (`discover_key`)."""

    ordering: str
    post_ids: np.ndarray
    route_hex: np.ndarray
    distance_km: np.ndarray
    saved_count: np.ndarray
    run_count: np.ndarray

    @classmethod
    def empty(cls, ordering: str) -> "DiscoverCandidates":
        return cls(ordering=ordering, post_ids=np.empty(0, dtype=object), route_hex=np.empty(0, dtype="<U32"),
                   distance_km=np.empty(0), saved_count=np.empty(0, dtype=np.int64),
                   run_count=np.empty(0, dtype=np.int64))

    def __post_init__(self):
        # lexsort: the last key is the primary one. The route id only breaks exact ties of the numbers, which
        # hardly happen: the strings are sorted only when they do.
        numbers = [self.distance_km] if self.ordering == "nearest" else [
            self.distance_km, -(self.saved_count + self.run_count)]
        order = np.lexsort(numbers)
        ranked = [column[order] for column in numbers]
        tied = np.ones(max(len(order) - 1, 0), dtype=bool)
        for column in ranked:
            tied &= column[1:] == column[:-1]
        if tied.any():
            order = np.lexsort([self.route_hex, *numbers])
        for name in ("post_ids", "route_hex", "distance_km", "saved_count", "run_count"):
            object.__setattr__(self, name, getattr(self, name)[order])

    def __len__(self) -> int:
        return len(self.route_hex)

    def count_before(self, key: tuple) -> int:
        """How many candidates sort strictly before `key` (vectorised comparison of the key's columns)."""
        return int(np.count_nonzero(self._before(key)))

    def count_up_to(self, key: tuple) -> int:
        """How many sort before `key` or at it."""
        return int(np.count_nonzero(self._before(key) | self._at(key)))

    def _columns(self) -> list[np.ndarray]:
        if self.ordering == "popular":
            return [-(self.saved_count + self.run_count), self.distance_km, self.route_hex]
        return [self.distance_km, self.route_hex]

    def _before(self, key: tuple) -> np.ndarray:
        before = np.zeros(len(self), dtype=bool)
        equal = np.ones(len(self), dtype=bool)
        for column, value in zip(self._columns(), key, strict=True):
            before |= equal & (column < value)
            equal &= column == value
        return before

    def _at(self, key: tuple) -> np.ndarray:
        equal = np.ones(len(self), dtype=bool)
        for column, value in zip(self._columns(), key, strict=True):
            equal &= column == value
        return equal

    def __getitem__(self, index: slice) -> list[DiscoverCandidate]:
        out = []
        for i in range(*index.indices(len(self))):
            distance_km, saved, ran = float(self.distance_km[i]), int(self.saved_count[i]), int(self.run_count[i])
            route_hex = str(self.route_hex[i])
            out.append(DiscoverCandidate(
                post_id=_as_uuid(self.post_ids[i]), route_id=uuid.UUID(hex=route_hex), distance_km=distance_km,
                saved_count=saved, run_count=ran,
                key=discover_key(ordering=self.ordering, distance_km=distance_km, saved_count=saved,
                                 run_count=ran, route_hex=route_hex)))
        return out


def _bounding_box(latitude: float, longitude: float, radius_km: float) -> tuple[Q, bool]:
    """A filter on the stored figure centres that holds every centre within `radius_km` (slightly more: the box
    of the circle), and whether it bounds the longitude (not across the antimeridian or near a pole). It names
    the grid cells the box touches (community.models.figure_cell_of), the first column of `post_figure_cell_idx`:
    an IN list of cells, each a latitude range in the index; unbounded, the contiguous cells of its latitude rows.
    A latitude band alone holds a whole strip of the country (MariaDB then reads the table)."""
    d_lat = radius_km / _KM_PER_DEGREE_LAT
    south, north = latitude - d_lat, latitude + d_lat
    box = Q(figure_center_lat__gte=south, figure_center_lat__lte=north)
    rows = range(figure_cell_row(max(south, -90.0)), figure_cell_row(min(north, 90.0)) + 1)
    cos_lat = math.cos(math.radians(min(abs(latitude) + d_lat, 90.0)))
    d_lon = radius_km / (_KM_PER_DEGREE_LAT * cos_lat) if cos_lat >= _MIN_COS_LAT else 0.0
    if cos_lat < _MIN_COS_LAT or longitude - d_lon < -180.0 or longitude + d_lon > 180.0:
        start, stop = figure_cell_rows_range(rows[0], rows[-1])
        return box & Q(figure_cell__gte=start, figure_cell__lt=stop), False
    west, east = longitude - d_lon, longitude + d_lon
    first_column, last_column = figure_cell_column(west), figure_cell_column(east)
    cells = [cell for row in rows for cell in figure_cells_between(row=row, first_column=first_column,
                                                                     last_column=last_column)]
    return box & Q(figure_cell__in=cells, figure_center_lon__gte=west, figure_center_lon__lte=east), True


def _shared_posts_visible_to(viewer) -> QuerySet:
    """Posts that share a live route with a shown option and a visible figure, that `viewer` may see (the rule of
    community.selectors.posts_visible_to). `discoverable` holds the route's and the author's part of it
    (community.services.post_discover_flags_refresh), so no other table is read per candidate."""
    posts = Post.objects.filter(discoverable=True, route__isnull=False, route_option__isnull=False,
                                figure_center_lat__isnull=False)
    if viewer is None or not viewer.is_authenticated:
        return posts.filter(visibility=Post.Visibility.PUBLIC)
    followed = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
    return posts.filter(Q(visibility=Post.Visibility.PUBLIC) | Q(author_id=viewer.pk)
                        | Q(visibility=Post.Visibility.FOLLOWERS, author_id__in=Subquery(followed)))


def discover_candidate_rows(*, viewer, latitude: float, longitude: float, radius_km: float,
                            shape_id: str | None = None) -> QuerySet:
    """The candidate query of `discover_candidates` (also what the bench EXPLAINs)."""
    box, _ = _bounding_box(latitude, longitude, radius_km)
    posts = _shared_posts_visible_to(viewer).filter(box).order_by()
    if shape_id:
        posts = posts.filter(shape_slug=shape_id)
    # `created_at` as the stored text (both backends write it zero-padded, most significant field first, so the
    # text sorts as the time): it only breaks the rare tie of two posts sharing a route, and parsing it into a
    # datetime on every candidate row was a tenth of the dense 5 km request on SQLite.
    return posts.values_list("pk", "route_id", "figure_center_lat", "figure_center_lon", "route_saved_count",
                             "route_run_count", Cast("created_at", output_field=CharField()))


def discover_candidates(*, viewer, latitude: float, longitude: float, radius_km: float,
                        shape_id: str | None = None, ordering: str = "nearest") -> DiscoverCandidates:
    """Every shared route `viewer` may see whose figure centre lies within `radius_km` of the point, one entry
    per route (the newest visible post sharing it), in the ordering's total order.

    One query: the index on the stored centres' grid cells (community.models.Post, `post_figure_cell_idx`, which
    holds every column the filter and the order read, the route's and author's state copied onto the post)
    gives the posts in the circle's bounding box without another table; the exact
    great-circle distance, the circle, the one-per-route rule and the order are computed on columns (numpy).
    Rows are read through the database cursor (a few numbers each): the cost follows the routes in the box, not
    the table (bench/discover_bench.py measures it: ~10 µs a row on SQLite, most of it the database's).
    """
    sql, params = discover_candidate_rows(viewer=viewer, latitude=latitude, longitude=longitude,
                                          radius_km=radius_km, shape_id=shape_id).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return DiscoverCandidates.empty(ordering)
    post_ids, route_ids, lats, lons, saved, ran, created = zip(*rows, strict=True)
    distances_km = haversine_m(np.array(lats, dtype=float), np.array(lons, dtype=float), latitude,
                               longitude) / 1000.0
    kept = np.flatnonzero(distances_km <= radius_km)
    if len(set(route_ids)) < len(route_ids):
        # Rare: a route shared by several posts. One entry per route, its newest post.
        newest: dict = {}
        for index in kept.tolist():
            known = newest.get(route_ids[index])
            if known is None or created[index] > created[known]:
                newest[route_ids[index]] = index
        kept = np.array(sorted(newest.values()), dtype=np.int64)
    # The raw cursor answers UUIDs as the backend stores them: 32 hex digits (SQLite, MariaDB before 10.7) or
    # the dashed form (MariaDB's native UUID): compared and sorted as 32 hex digits.
    route_hex = np.array([str(route_ids[index]).replace("-", "") for index in kept.tolist()], dtype="<U32")
    return DiscoverCandidates(
        ordering=ordering, post_ids=np.array(post_ids, dtype=object)[kept], route_hex=route_hex,
        distance_km=distances_km[kept], saved_count=np.array(saved, dtype=np.int64)[kept],
        run_count=np.array(ran, dtype=np.int64)[kept])


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=str(value))


@dataclass(frozen=True)
class DiscoverEntry:
    post: Post  # with its display data and `is_saved`
    candidate: DiscoverCandidate


# What an entry shows of each row (the page query reads nothing else).
_ENTRY_FIELDS = (
    "id", "route_id", "route_option_id", "workout_id", "author_id", "created_at",
    "author__id", "author__name", "author__avatar", "author__deleted_at", "author__privacy_zone_m",
    "author__privacy_zone_secret",
    "workout__id", "workout__status", "workout__deleted_at", "workout__start_latitude", "workout__start_longitude",
    "workout__end_latitude", "workout__end_longitude",
    "route__id", "route__name", "route__type", "route__shape_id", "route__location_district", "route__deleted_at",
    "route__start_latitude", "route__start_longitude",
    "route__shape__id", "route__shape__shape_id", "route__shape__name", "route__shape__name_ko",
    "route__shape__icon_name",
    "route_option__id", "route_option__route_id", "route_option__polyline", "route_option__point_count",
    "route_option__distance_km", "route_option__estimated_duration_s", "route_option__shape_fidelity",
    "route_option__recognisability", "route_option__start_latitude", "route_option__start_longitude",
    "route_option__figure_start_index", "route_option__figure_end_index",
)


def discover_page(*, viewer, candidates: list[DiscoverCandidate]) -> list[DiscoverEntry]:
    """The entries of a page of candidates, in the page's order, each post with everything an entry shows:
    author, shared workout (the privacy zone's anchors), route and shape, the shown option, and `is_saved` (the
    viewer holds a live copy saved from the route). One query. Each route carries its post as `discover_post`
    (community.serializers.DiscoverRouteSerializer reads it)."""
    if not candidates:
        return []
    posts = (Post.objects.filter(pk__in=[candidate.post_id for candidate in candidates])
             .select_related("author", "workout", "route__shape", "route_option").only(*_ENTRY_FIELDS))
    if viewer is not None and viewer.is_authenticated:
        saved = Exists(Route.objects.filter(copied_from_id=OuterRef("route_id"), user_id=viewer.pk,
                                            deleted_at__isnull=True))
    else:
        saved = Value(False)
    by_id = {post.pk: post for post in posts.annotate(is_saved=saved)}
    entries = []
    for candidate in candidates:
        post = by_id.get(candidate.post_id)
        if post is not None:
            post.route.discover_post = post
            entries.append(DiscoverEntry(post=post, candidate=candidate))
    return entries
