"""Reads of the routes app worth naming: the cached shape catalog, a user's routes and options, outlines (routes near a
point read the posts that share them: community.discover)."""


import numpy as np
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from routes.models import Route, RouteOption, RouteShape
from routes.planner.geometry import close_ring, latlng_to_local_xy, projection_for
from routes.planner.outline_fit import fit_outline_to_route

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


def route_outline_fitted_to(route: Route, path_latlng) -> list[list[float]]:
    """The route's outline placed onto a path ([[lat, lng], ...]: a planned figure or a recorded track) by the
    fidelity's similarity fit, as [[lat, lng], ...] (a closed figure ends where it starts). Empty when the
    route has no outline or the path is too short to fit. A few ms for a 5 km path."""
    outline_xy, closed = route_outline(route)
    path = np.asarray(path_latlng, dtype=np.float64)
    if outline_xy is None or path.ndim != 2 or len(path) < 3:
        return []
    projection = projection_for(path)
    try:
        fitted = fit_outline_to_route(outline_xy, latlng_to_local_xy(path, projection), closed=closed,
                                      projection=projection)
    except ValueError:  # a degenerate path or outline
        return []
    outline_latlng = fitted.outline_latlng
    if closed:
        outline_latlng = projection.to_latlng(close_ring(fitted.outline_xy))
    return outline_latlng.tolist()
