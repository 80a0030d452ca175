"""What the routes app can do: seed and toggle shapes, import road networks, plan and save routes."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polyline as polyline_codec
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from routes.cues import cues_for_planned_route
from routes.events import route_runners_counted, shared_route_changed
from routes.geocoding import NetworkPlaceGeocoder, reverse_geocode
from routes.models import (
    MAX_OPTIONS,
    MAX_OPTIONS_PER_ROUTE,
    MAX_PLACEMENT_PERIMETER_KM,
    MAX_PLACEMENT_SCALE,
    MAX_TARGET_DISTANCE_KM,
    MAX_TARGET_DURATION_S,
    MIN_PLACEMENT_PERIMETER_KM,
    MIN_PLACEMENT_SCALE,
    MIN_TARGET_DISTANCE_KM,
    MIN_TARGET_DURATION_S,
    POLYLINE_PRECISION,
    RoadNetwork,
    Route,
    RouteOption,
    RouteShape,
)
from routes.networks import graph_for, network_covering
from routes.planner import planner
from routes.planner.geometry import haversine_m
from routes.planner.recognisability import warm_outline, warm_up
from routes.planner.shapes import SHAPE_TEMPLATES, DrawingTooComplex, outline_from_latlng, outline_from_svg_path
from routes.planner.types import Placement
from routes.selectors import SHAPE_CATALOG_CACHE_KEY, route_outline
from runnerway.api.exceptions import ApiError, Conflict, ObjectNotFound, Unprocessable

if TYPE_CHECKING:
    from routes.planner.graph import RoadGraph

logger = logging.getLogger(__name__)


# --- Shapes ---------------------------------------------------------------------------------------------

def shape_catalog_invalidate() -> None:
    """Drop the cached shape catalog once the current transaction commits (readers then see the new rows)."""
    transaction.on_commit(lambda: cache.delete(SHAPE_CATALOG_CACHE_KEY))


@transaction.atomic
def shapes_seed() -> tuple[int, int]:
    """Create or update the catalog rows from the planner's SHAPE_TEMPLATES; returns (created, updated).

    The code is the source of truth for a template's content (names, path, category, distance, order), so
    those fields are overwritten. `is_active` is not: a new shape starts active, and a shape staff
    deactivated stays deactivated when the seed runs again. Shapes staff added by hand are left alone.
    """
    created_count = updated_count = 0
    for sort_order, template in enumerate(SHAPE_TEMPLATES):
        content = {
            "name": template.name,
            "name_ko": template.name_ko,
            "icon_name": template.icon_name,
            "category": template.category,
            "svg_template": template.svg_path,
            "closed": template.closed,
            "estimated_distance": round(template.estimated_distance_km, 2),
            "sort_order": sort_order,
        }
        # `is_active` only on creation: a shape staff deactivated stays deactivated.
        _shape, created = RouteShape.objects.update_or_create(
            shape_id=template.shape_id, defaults=content, create_defaults={**content, "is_active": True},
        )
        if created:
            created_count += 1
        else:
            updated_count += 1
    shape_catalog_invalidate()
    return created_count, updated_count


@transaction.atomic
def shapes_set_active(*, shape_ids: list, is_active: bool) -> int:
    """Activate or deactivate shapes by primary key; returns how many rows changed."""
    changed = (RouteShape.objects.filter(pk__in=shape_ids).exclude(is_active=is_active)
               .update(is_active=is_active))
    shape_catalog_invalidate()
    return changed


# --- Road networks ----------------------------------------------------------------------------------------

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".osm.xml")


class RoadNetworkImportError(Exception):
    """The OSM extract could not be turned into a road network (missing, unreadable, nothing walkable)."""


# A regional network's file reaches this far beyond its region: a route from a start inside keeps within it
# (the planner's reach for a 10 km loop is ~7 km).
REGION_MARGIN_M = 10_000.0


def _network_file_name(name: str) -> str:
    # A new unique name per import: readers holding the old file keep a valid memory map until they let go.
    slug = slugify(name)[:60] or "network"
    return f"{slug}-{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}.rwgraph"


def road_network_import(*, source_path: str | Path, name: str | None = None,
                        progress: Callable[[int, int | None], None] | None = None) -> RoadNetwork:
    """Build a road network from an OSM extract and point the `RoadNetwork` row `name` at it.

    The graph is built and written to a new file in ROAD_NETWORK_DIR first (minutes for a country, no
    transaction open meanwhile); then one short transaction creates or updates the row (locked with
    `select_for_update`, so two imports of the same name serialise), and the previous file is deleted only
    after that commits. A failure leaves the old network untouched and removes the new file.
    name: defaults to the file name without its OSM suffixes. progress: see `build_graph_from_osm`.
    Raises RoadNetworkImportError.
    """
    started = time.perf_counter()
    source = _osm_source(source_path)
    name = (name or _network_name_from_path(source)).strip()
    if not name:
        raise RoadNetworkImportError("The network needs a name (--name).")
    graph = _graph_from_osm(source, progress)
    return _road_network_store(graph=graph, name=name, source=source, started=started)


Bbox = tuple[float, float, float, float]


def road_network_import_regions(*, source_path: str | Path, regions: list[tuple[str, Bbox]],
                                margin_m: float = REGION_MARGIN_M,
                                progress: Callable[[int, int | None], None] | None = None) -> list[RoadNetwork]:
    """Import one OSM extract as one network per region: `regions` is [(name, (min_lat, min_lon, max_lat,
    max_lon))]. Each region's file holds the streets within its box grown by `margin_m` (largest connected part),
    so a route starting anywhere in the box stays on it; the row records the box (`region_*`), and
    `network_covering` prefers the network whose region holds the start, so a process maps only that file.
    Regions may overlap. The extract is read once; each region is written and swapped in like `road_network_import`.
    Raises RoadNetworkImportError.
    """
    started = time.perf_counter()
    source = _osm_source(source_path)
    if not regions:
        raise RoadNetworkImportError("No regions given.")
    for region_name, (min_lat, min_lon, max_lat, max_lon) in regions:
        if not region_name.strip() or not (min_lat < max_lat and min_lon < max_lon):
            raise RoadNetworkImportError(f"Region {region_name!r}: needs a name and min < max in its bbox.")
    graph = _graph_from_osm(source, progress)
    networks = []
    for region_name, bbox in regions:
        region_started = time.perf_counter()
        part = graph.subgraph_around(bbox, margin_m=margin_m)
        if part.node_count == 0 or part.edge_count == 0:
            raise RoadNetworkImportError(f"Region {region_name!r}: no walkable ways inside its bbox")
        # Each region's import time: its share of reading the extract, plus cutting and writing its file.
        read_share = (region_started - started) / len(regions)
        networks.append(_road_network_store(graph=part, name=region_name.strip(), source=source,
                                            started=region_started - read_share, region_bbox=bbox))
    return networks


def _osm_source(source_path: str | Path) -> Path:
    source = Path(source_path).expanduser()
    if not source.is_file():
        raise RoadNetworkImportError(f"OSM file not found: {source}")
    if not source.name.lower().endswith(OSM_SUFFIXES):
        raise RoadNetworkImportError(
            f"{source.name}: not an OSM extract (expected one of {', '.join(OSM_SUFFIXES)})")
    return source


def _graph_from_osm(source: Path, progress: Callable[[int, int | None], None] | None) -> RoadGraph:
    # osmium: a heavy extension only the import job (a queue worker or a command) needs
    from routes.planner.osm_import import build_graph_from_osm

    try:
        graph = build_graph_from_osm(source, progress=progress)
    except (RuntimeError, ValueError, OSError) as exc:  # osmium raises RuntimeError on corrupt input
        raise RoadNetworkImportError(f"{source.name}: cannot build a road network: {exc}") from exc
    if graph.node_count == 0 or graph.edge_count == 0:
        raise RoadNetworkImportError(f"{source.name}: no walkable ways found")
    return graph


def _road_network_store(*, graph: RoadGraph, name: str, source: Path, started: float,
                        region_bbox: tuple[float, float, float, float] | None = None) -> RoadNetwork:
    """Write the graph to a new file and create or switch the row `name` to it (see `road_network_import`)."""
    network_dir = Path(settings.ROAD_NETWORK_DIR)
    network_dir.mkdir(parents=True, exist_ok=True)
    file_name = _network_file_name(name)
    graph.save(network_dir / file_name)
    min_lat, min_lon, max_lat, max_lon = graph.bbox
    region = region_bbox if region_bbox is not None else (None, None, None, None)
    fields = {
        "file_name": file_name,
        "source": str(source.resolve()),
        "min_lat": min_lat, "min_lon": min_lon, "max_lat": max_lat, "max_lon": max_lon,
        "region_min_lat": region[0], "region_min_lon": region[1],
        "region_max_lat": region[2], "region_max_lon": region[3],
        "node_count": graph.node_count,
        "edge_count": graph.edge_count,
        "lit_tagged_share": float(graph.meta.get("lit_tagged_share") or 0.0),
        "built_at": timezone.now(),
        "import_seconds": round(time.perf_counter() - started, 2),
        "last_import_error": "",
    }
    try:
        with transaction.atomic():
            network = RoadNetwork.objects.select_for_update().filter(name=name).first()
            if network is None:
                network = RoadNetwork.objects.create(name=name, **fields)
                old_path = None
            else:
                old_path = network.path
                for field, value in fields.items():
                    setattr(network, field, value)
                network.save()
            if old_path is not None and old_path != network.path:
                transaction.on_commit(lambda: _delete_quietly(old_path))
    except BaseException:
        _delete_quietly(network_dir / file_name)
        raise
    logger.info("road network %s imported from %s: %d nodes, %d edges in %.1f s", name, source.name,
                graph.node_count, graph.edge_count, fields["import_seconds"])
    return network


@transaction.atomic
def road_network_delete(*, network: RoadNetwork) -> None:
    """Delete the row, then its file once that commits (routes planned on it keep their options)."""
    path = network.path
    network.delete()
    transaction.on_commit(lambda: _delete_quietly(path))


def road_network_record_failure(*, network_id: int, error: str) -> None:
    RoadNetwork.objects.filter(pk=network_id).update(last_import_error=error[:4000])


def _network_name_from_path(source: Path) -> str:
    name = source.name
    for suffix in sorted(OSM_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return source.stem


def _delete_quietly(path: Path) -> None:
    try:
        Path(path).unlink(missing_ok=True)
    except OSError:
        # Another process may still map it (Windows) or the disk is read-only: the file is only garbage.
        logger.warning("could not delete old road network file %s", path)


# --- Routes ------------------------------------------------------------------------------------------------

# A custom drawing is made near the start: points further than this say the user drew somewhere else.
CUSTOM_POINTS_MAX_DISTANCE_M = 20_000.0
# After planning, how much longer to wait for an outside geocoder before naming the start from the network.
GEOCODE_EXTRA_WAIT_S = 1.0
_geocode_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="geocode")


@dataclass(frozen=True)
class _Outline:
    xy: np.ndarray
    closed: bool


@lru_cache(maxsize=128)
def _outline_from_svg(svg_path: str) -> np.ndarray:
    outline = outline_from_svg_path(svg_path)
    outline.setflags(write=False)
    return outline


def _is_ring(xy: np.ndarray) -> bool:
    return len(xy) > 2 and bool(np.allclose(xy[0], xy[-1]))


def warm_planner() -> None:
    """Build the recognisability catalogue and each catalogue shape's own figure and margin, as drawn from its
    SVG path (what planning uses), now (~1 s of CPU) as a worker boots: otherwise the first plan of each shape
    in a process spends its CPU budget on them instead of searching. No database access (a booting worker
    must not open a connection before it forks); a shape staff added by hand is warmed by its first plan."""
    warm_up()
    for template in SHAPE_TEMPLATES:
        try:
            warm_outline(_outline_from_svg(template.svg_path), template.closed)
        except ValueError as exc:
            logger.warning("shape %s not warmed: %s", template.shape_id, exc)


def _route_outline(*, mode: str, shape: RouteShape | None, custom_points, svg_path: str | None,
                   start_lat: float, start_lon: float) -> _Outline:
    if mode == Route.Mode.SHAPE:
        try:
            return _Outline(_outline_from_svg(shape.svg_template), shape.closed)
        except ValueError as exc:  # a template staff broke in the admin
            logger.error("shape %s has unusable svg_template: %s", shape.shape_id, exc)
            raise ApiError(_("This shape cannot be drawn."), fields={"shape_id": [str(exc)]}) from exc
    if custom_points:
        points = np.asarray(custom_points, dtype=np.float64)
        distances_m = haversine_m(points[:, 0], points[:, 1], start_lat, start_lon)
        if float(np.max(distances_m)) > CUSTOM_POINTS_MAX_DISTANCE_M:
            raise ApiError(_("The drawing is too far from the start."),
                           fields={"custom_points": [_("Every point must lie within 20 km of the start.")]})
        try:
            outline = outline_from_latlng(points)
        except ValueError as exc:
            raise ApiError(_("The drawing cannot be used."), fields={"custom_points": [str(exc)]}) from exc
        return _Outline(outline, _is_ring(outline))
    try:
        outline = _outline_from_svg(svg_path)
    except DrawingTooComplex as exc:
        raise ApiError(_("The drawing has too many segments."), fields={"svg_path": [str(exc)]}) from exc
    except ValueError as exc:
        raise ApiError(_("The SVG path cannot be read."), fields={"svg_path": [str(exc)]}) from exc
    return _Outline(outline, _is_ring(outline))


def _outline_for_storage(xy: np.ndarray) -> list[list[float]]:
    # 3 decimals: a thousandth of a box unit (or a millimetre) is far below anything a run can trace
    return [[round(float(x), 3), round(float(y), 3)] for x, y in xy]


def _target_length_m(*, condition: str, target_distance: float | None, target_duration: int | None,
                     activity: str, intensity: str) -> float:
    if condition == Route.Condition.DISTANCE:
        if target_distance is None or not MIN_TARGET_DISTANCE_KM <= target_distance <= MAX_TARGET_DISTANCE_KM:
            raise ApiError(_("The target distance is out of range."), fields={"target_distance": [
                _("Must be between %(min)s and %(max)s km.") % {"min": MIN_TARGET_DISTANCE_KM,
                                                                 "max": MAX_TARGET_DISTANCE_KM}]})
        return target_distance * 1000.0
    if target_duration is None or not MIN_TARGET_DURATION_S <= target_duration <= MAX_TARGET_DURATION_S:
        raise ApiError(_("The target duration is out of range."), fields={"target_duration": [
            _("Must be between %(min)s and %(max)s seconds.") % {"min": MIN_TARGET_DURATION_S,
                                                                  "max": MAX_TARGET_DURATION_S}]})
    length_m = planner.target_length_from_duration(target_duration, activity, intensity)
    if not MIN_TARGET_DISTANCE_KM * 1000 <= length_m <= MAX_TARGET_DISTANCE_KM * 1000:
        raise ApiError(_("The target duration is out of range."), fields={"target_duration": [
            _("At a %(intensity)s %(activity)s pace this is %(km).1f km; routes are %(min)s-%(max)s km.") % {
                "intensity": intensity, "activity": activity, "km": length_m / 1000,
                "min": MIN_TARGET_DISTANCE_KM, "max": MAX_TARGET_DISTANCE_KM}]})
    return length_m


def _default_route_name(*, shape: RouteShape | None, target_length_m: float) -> str:
    # In the language of the request that plans it: the name is stored, and the runner renames it at will.
    label = shape.display_name if shape is not None else _("Custom drawing")
    return f"{label} {round(target_length_m / 1000, 1):g} km"  # "Heart 3 km", "Heart 2.5 km"


def route_create(*, user, name: str | None = None, activity_type: str = Route.ActivityType.RUNNING,
                 mode: str = Route.Mode.SHAPE, shape_id: str | None = None, custom_points=None,
                 svg_path: str | None = None, start_latitude: float, start_longitude: float,
                 condition: str = Route.Condition.DISTANCE, target_distance: float | None = None,
                 target_duration: int | None = None, intensity: str = Route.Intensity.NORMAL,
                 safety_mode: bool = False, options_count: int = 3) -> Route:
    """Plan a route drawing a shape (or the user's drawing) near the start and save it with its options.

    Planning runs without a transaction open (it takes up to ROUTE_PLAN_TIME_BUDGET_S of CPU); the route and its
    options are then written in one transaction. Naming the start (Kakao Local / the network's names) runs
    in a thread beside the planning and never fails the route.
    Raises ApiError (400 `validation_error` with fields), Unprocessable (422 `no_road_network`,
    `route_not_found`, `route_planning_timeout`).
    """
    lat, lon = float(start_latitude), float(start_longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ApiError(_("The start point is not a valid position."), fields={
            "start_latitude": [_("Must be -90..90.")], "start_longitude": [_("Must be -180..180.")]})
    if not 1 <= options_count <= MAX_OPTIONS:
        raise ApiError(_("options_count must be 1..5."), fields={"options_count": [_("Must be between 1 and 5.")]})
    shape = None
    if mode == Route.Mode.SHAPE:
        shape = RouteShape.objects.filter(shape_id=shape_id, is_active=True).first()
        if shape is None:
            raise ApiError(_("Unknown shape."), fields={"shape_id": [f"No active shape {shape_id!r}."]})
        custom_points = svg_path = None
    outline = _route_outline(mode=mode, shape=shape, custom_points=custom_points, svg_path=svg_path,
                             start_lat=lat, start_lon=lon)
    target_length_m = _target_length_m(condition=condition, target_distance=target_distance,
                                       target_duration=target_duration, activity=activity_type,
                                       intensity=intensity)

    loaded = network_covering(lat=lat, lon=lon)
    if loaded is None:
        raise Unprocessable(_("No road network covers the start point."), code="no_road_network")

    geocoding = _geocode_executor.submit(reverse_geocode, lat, lon, graph=loaded.graph)
    started = time.perf_counter()
    try:
        planned = planner.plan_routes(loaded.graph, planner.PlanRequest(
            outline_xy=outline.xy, closed=outline.closed, start_lat=lat, start_lon=lon,
            target_length_m=target_length_m, options_count=options_count, safety_mode=safety_mode,
            time_budget_s=float(settings.ROUTE_PLAN_TIME_BUDGET_S),
            wall_limit_s=float(settings.ROUTE_PLAN_WALL_LIMIT_S)))
    except planner.StartOutsideNetwork as exc:
        raise Unprocessable(_("No road network covers the start point."), code="no_road_network") from exc
    except planner.RouteNotFound as exc:
        if exc.out_of_time:
            raise Unprocessable(_("Planning ran out of time before finding a route; try a shorter distance or "
                                "another shape."), code="route_planning_timeout") from exc
        # xgettext:no-python-format
        raise Unprocessable(_("No route within 10 % of the target distance can be drawn here; try another "
                            "distance, shape or start."), code="route_not_found") from exc
    except ValueError as exc:
        field = "shape_id" if mode == Route.Mode.SHAPE else ("custom_points" if custom_points else "svg_path")
        raise ApiError(_("The drawing cannot be planned."), fields={field: [str(exc)]}) from exc
    planning_ms = round((time.perf_counter() - started) * 1000)

    place = _geocode_result(geocoding, lat=lat, lon=lon, graph=loaded.graph)
    options = [_route_option(planned_route, activity_type=activity_type, intensity=intensity,
                             estimate_duration_s=planner.estimate_duration_s, graph=loaded.graph)
               for planned_route in planned]
    with transaction.atomic():
        route = Route.objects.create(
            user=user,
            name=(name or "").strip() or _default_route_name(shape=shape, target_length_m=target_length_m),
            type=activity_type, mode=mode, shape=shape,
            custom_points=[[float(a), float(b)] for a, b in custom_points] if custom_points else None,
            custom_svg_path=svg_path or "",
            outline=_outline_for_storage(outline.xy), outline_closed=outline.closed,
            start_latitude=_decimal7(lat), start_longitude=_decimal7(lon),
            condition=condition, target_distance_km=Decimal(f"{target_length_m / 1000:.3f}"),
            target_duration_s=target_duration if condition == Route.Condition.DURATION else None,
            intensity=intensity, safety_mode=safety_mode,
            safety_signal=(planned[0].safety_signal or "") if safety_mode and planned else "",
            location_address=(place.address if place else "")[:255],
            location_district=(place.district if place else "")[:100],
            network=loaded.network, planning_ms=planning_ms,
            suggested_distance_km=_suggested_distance_km(planned),
        )
        for option in options:
            option.route = route
        RouteOption.objects.bulk_create(options)
    logger.info("route %s planned: %s, %.1f km, %d options in %d ms", route.pk, route.name,
                target_length_m / 1000, len(options), planning_ms)
    return route


def _geocode_result(future, *, lat: float, lon: float, graph):
    try:
        place = future.result(timeout=GEOCODE_EXTRA_WAIT_S)
    except FutureTimeout:
        logger.warning("reverse geocoding still running after planning: using the network's names")
        place = None
    except Exception:  # reverse_geocode never raises, but a thread must not take the route down with it
        logger.exception("reverse geocoding failed")
        place = None
    if place is None:
        place = NetworkPlaceGeocoder(graph).reverse(lat, lon)
    return place


def _decimal7(value: float) -> Decimal:
    return Decimal(f"{value:.7f}")


def _route_option(planned_route, *, activity_type: str, intensity: str, estimate_duration_s,
                  graph, source: str = RouteOption.Source.PLANNED) -> RouteOption:
    """An unsaved option of a planned route, with its turn cues from `graph` (the network it was planned on)."""
    coordinates = np.asarray(planned_route.coordinates, dtype=np.float64)
    fidelity = planned_route.fidelity
    figure_start, figure_end = _figure_range(planned_route.figure_range, len(coordinates))
    centre = planned_route.figure_center_latlng
    return RouteOption(
        rank=planned_route.rank,
        source=source,
        polyline=polyline_codec.encode([(float(a), float(b)) for a, b in coordinates], POLYLINE_PRECISION),
        point_count=len(coordinates),
        distance_km=planned_route.distance_m / 1000.0,
        estimated_duration_s=estimate_duration_s(planned_route.distance_m, activity_type, intensity),
        shape_fidelity=float(fidelity.score),
        buffer_f1=float(fidelity.buffer_f1),
        frechet_norm=float(fidelity.frechet_norm),
        length_error=float(fidelity.length_error),
        retrace_share=float(fidelity.retrace_share),
        recognisability=float(planned_route.recognisability),
        recognisable=bool(planned_route.recognisable),
        iou=float(fidelity.iou),
        rival_iou=float(fidelity.rival_iou),
        rival_shape_id=(fidelity.rival_shape_id or "")[:50],
        trace_score=float(fidelity.trace_score),
        approach_length_m=float(planned_route.approach_length_m),
        figure_start_index=figure_start, figure_end_index=figure_end,
        figure_center_latitude=None if centre is None else _decimal7(float(centre[0])),
        figure_center_longitude=None if centre is None else _decimal7(float(centre[1])),
        rotation_deg=float(planned_route.rotation_deg) % 360.0,
        figure_perimeter_m=float(planned_route.figure_perimeter_m) or None,
        target_error=float(planned_route.length_error),
        elevation_gain=None,  # OSM has no elevation; a DEM lookup would fill this
        lit_ratio=None if planned_route.lit_ratio is None else float(planned_route.lit_ratio),
        start_latitude=_decimal7(coordinates[0, 0]), start_longitude=_decimal7(coordinates[0, 1]),
        min_lat=float(coordinates[:, 0].min()), min_lon=float(coordinates[:, 1].min()),
        max_lat=float(coordinates[:, 0].max()), max_lon=float(coordinates[:, 1].max()),
        cues=cues_for_planned_route(graph, planned_route.node_ids),
    )


def _figure_range(figure_range, point_count: int) -> tuple[int, int]:
    """The engine's (i, j) with negative indices resolved and both clamped into the path."""
    last = max(point_count - 1, 0)
    start, end = (int(index) if int(index) >= 0 else point_count + int(index) for index in figure_range)
    start, end = min(max(start, 0), last), min(max(end, 0), last)
    return (start, end) if start <= end else (0, last)


def _suggested_distance_km(planned: list) -> float | None:
    """The smallest recognisable length near this start, when the best option is not recognisable."""
    best = min(planned, key=lambda planned_route: planned_route.rank, default=None)
    if best is None or best.recognisable or best.min_recognisable_length_m is None:
        return None
    return round(float(best.min_recognisable_length_m) / 1000.0, 2)


def route_option_place(*, route: Route, center_latitude: float, center_longitude: float,
                       rotation_deg: float = 0.0, scale: float | None = None, perimeter: float | None = None,
                       target_distance: float | None = None) -> RouteOption:
    """Snap the route's figure to the streets at an explicit placement and store it as one more option.

    The placement: the figure's centre (degrees), its turn from upright (counter-clockwise degrees), and its
    size as exactly one of `scale` (a multiple of the route's best option's figure perimeter), `perimeter`
    (km, as an option's placement reports it) or `target_distance` (km for the whole run, approach
    included; the figure is sized to match and the run is held to ±10 % of it, else 422). With `scale` or
    `perimeter` the distance is what that size gives (the option's `target_error` against the route's
    target is stored as it is, not enforced). The planner snaps the figure to the streets nearby (up to
    ~100 m from the centre given) when that reads better.
    The outline is the one stored with the route (nothing is parsed). The planner runs with no transaction
    open, within ROUTE_PLACE_TIME_BUDGET_S; then one short transaction locks the route row, makes room under
    MAX_OPTIONS_PER_ROUTE (dropping the oldest placed option no workout or post uses) and inserts the
    option with the next rank.
    Raises ApiError (400 `validation_error` with fields: bad numbers, centre off the route's network or too
    far from the start, size out of range), Unprocessable (422 `no_road_network`, `route_not_found`),
    Conflict (409 `conflict`: the route is full of options in use), ObjectNotFound (the route was deleted).
    """
    lat, lon, rotation = float(center_latitude), float(center_longitude), float(rotation_deg)
    errors: dict[str, list[str]] = {}
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        errors["center_latitude"] = [_("Must be -90..90.")]
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        errors["center_longitude"] = [_("Must be -180..180.")]
    if not (math.isfinite(rotation) and -360 <= rotation <= 360):
        errors["rotation_deg"] = [_("Must be -360..360.")]
    if sum(size is not None for size in (scale, perimeter, target_distance)) != 1:
        errors["scale"] = [_("Send exactly one of scale, perimeter and target_distance.")]
    elif perimeter is not None and not (math.isfinite(perimeter)
                                        and MIN_PLACEMENT_PERIMETER_KM <= perimeter <= MAX_PLACEMENT_PERIMETER_KM):
        errors["perimeter"] = [_("Must be between %(min)s and %(max)s km.") % {
            "min": MIN_PLACEMENT_PERIMETER_KM, "max": MAX_PLACEMENT_PERIMETER_KM}]
    elif scale is not None and not (math.isfinite(scale) and MIN_PLACEMENT_SCALE <= scale <= MAX_PLACEMENT_SCALE):
        errors["scale"] = [_("Must be between %(min)s and %(max)s.") % {"min": MIN_PLACEMENT_SCALE,
                                                                         "max": MAX_PLACEMENT_SCALE}]
    elif target_distance is not None and not MIN_TARGET_DISTANCE_KM <= target_distance <= MAX_TARGET_DISTANCE_KM:
        errors["target_distance"] = [_("Must be between %(min)s and %(max)s km.") % {
            "min": MIN_TARGET_DISTANCE_KM, "max": MAX_TARGET_DISTANCE_KM}]
    if errors:
        raise ApiError(_("The placement is not valid."), fields=errors)

    outline_xy, closed = route_outline(route)
    if outline_xy is None:
        raise ApiError(_("This route's drawing cannot be placed."), fields={"non_field_errors": [
            _("The route has no stored figure; plan it again.")]})
    start_lat, start_lon = float(route.start_latitude), float(route.start_longitude)
    network = route.network if route.network_id is not None and route.network.is_active else None
    graph = graph_for(network) if network is not None else None
    if graph is None or not graph.covers(start_lat, start_lon):
        loaded = network_covering(lat=start_lat, lon=start_lon)
        if loaded is None:
            raise Unprocessable(_("No road network covers the route's start."), code="no_road_network")
        graph = loaded.graph
    off_network = [_("The figure's centre is outside this route's road network.")]
    if not graph.covers(lat, lon):
        raise ApiError(_("The figure's centre is outside this route's road network."),
                       fields={"center_latitude": off_network, "center_longitude": off_network})
    target_length_m = (target_distance if target_distance is not None else float(route.target_distance_km)) * 1000
    reach_m = max(planner.MAX_PLACEMENT_DISTANCE_M, 0.5 * target_length_m)
    centre_m = float(haversine_m(lat, lon, start_lat, start_lon))
    if centre_m > reach_m:
        too_far = [_("The figure's centre is %(distance).1f km from the start; at most %(reach).1f km.") % {
            "distance": centre_m / 1000, "reach": reach_m / 1000}]
        raise ApiError(_("The figure is too far from the start."),
                       fields={"center_latitude": too_far, "center_longitude": too_far})
    perimeter_m = None if perimeter is None else float(perimeter) * 1000
    if scale is not None:
        reference = (route.options.filter(source=RouteOption.Source.PLANNED, figure_perimeter_m__isnull=False)
                     .order_by("rank").values_list("figure_perimeter_m", flat=True).first())
        if reference is None:
            raise ApiError(_("This route has no figure size to scale."), fields={"scale": [
                _("No planned option records its figure's size; send target_distance instead.")]})
        perimeter_m = float(reference) * float(scale)

    started = time.perf_counter()
    try:
        planned = planner.plan_at_placement(graph, planner.PlanRequest(
            outline_xy=outline_xy, closed=closed, start_lat=start_lat, start_lon=start_lon,
            target_length_m=target_length_m, options_count=1, safety_mode=route.safety_mode,
            time_budget_s=float(settings.ROUTE_PLACE_TIME_BUDGET_S),
            wall_limit_s=float(settings.ROUTE_PLAN_WALL_LIMIT_S)),
            Placement(center_lat=lat, center_lon=lon, rotation_deg=rotation, perimeter_m=perimeter_m))
    except planner.StartOutsideNetwork as exc:
        raise Unprocessable(_("No road network covers the route's start."), code="no_road_network") from exc
    except planner.RouteNotFound as exc:
        if perimeter_m is None:
            # xgettext:no-python-format
            raise Unprocessable(_("The streets here cannot draw the figure within ±10 % of that distance; move it, "
                                  "turn it or change the distance."), code="route_not_found") from exc
        raise Unprocessable(_("The streets here cannot draw the figure; move it, turn it or change its size."),
                            code="route_not_found") from exc
    except ValueError as exc:
        raise ApiError(_("The figure cannot be placed there."), fields={"non_field_errors": [str(exc)]}) from exc
    planning_ms = round((time.perf_counter() - started) * 1000)
    option = _route_option(planned, activity_type=route.type, intensity=route.intensity,
                           estimate_duration_s=planner.estimate_duration_s, graph=graph,
                           source=RouteOption.Source.PLACED)

    with transaction.atomic():
        locked = Route.objects.alive().select_for_update().filter(pk=route.pk).first()
        if locked is None:
            raise ObjectNotFound(_("No such route."))
        options = RouteOption.objects.filter(route=locked)
        if options.count() >= MAX_OPTIONS_PER_ROUTE:
            unused = (options.filter(source=RouteOption.Source.PLACED, workouts__isnull=True, posts__isnull=True)
                      .order_by("created_at", "rank").values_list("pk", flat=True).first())
            if unused is None:
                raise Conflict(_("This route has %(count)s options in use; plan a new route.")
                               % {"count": MAX_OPTIONS_PER_ROUTE})
            RouteOption.objects.filter(pk=unused).delete()
        option.route = locked
        option.rank = (options.aggregate(top=Max("rank"))["top"] or 0) + 1
        option.save(force_insert=True)
    logger.info("route %s: figure placed at %.5f,%.5f (%.0f°) in %d ms, %.2f km, recognisability %.0f",
                route.pk, lat, lon, rotation, planning_ms, option.distance_km, option.recognisability or 0)
    return option


@transaction.atomic
def route_update(*, route: Route, name: str | None = None, status: str | None = None) -> Route:
    """Rename or archive/unarchive a route; nothing else a client may change."""
    changed = []
    if name is not None:
        route.name = name.strip() or route.name
        changed.append("name")
    if status is not None:
        route.status = status
        changed.append("status")
    if changed:
        route.save(update_fields=[*changed, "updated_at"])
    return route


def route_soft_delete(*, route: Route) -> None:
    """Hide the route from its owner (`deleted_at`); workouts and posts that reference it keep working. A
    deleted copy no longer counts as a save of its original."""
    with transaction.atomic():
        hidden = Route.objects.filter(pk=route.pk, deleted_at__isnull=True).update(deleted_at=timezone.now(),
                                                                                   updated_at=timezone.now())
        if hidden:
            shared_route_changed.send(sender=Route, route_id=route.pk)
        if hidden and route.copied_from_id is not None:
            route_refresh_discover_counters(route_id=route.copied_from_id)


# --- Routes near me: the counters of a shared route -----------------------------------------------------------


def route_refresh_discover_counters(*, route_id) -> None:
    """Recount `saved_count` (runners with a live copy saved from the route) and `run_count` (runners with a
    completed, not deleted workout on the route or on such a copy) of one route, holding its row lock.

    Why a recount and not F() +1/-1: both count *runners*, and whether an event changes that number (a second
    copy, a tenth run) is itself a count. Each recount is two indexed counts bounded by the route's own
    copies and workouts (Route.copied_from, Workout.route), done when they change — never per discover request.
    Exact under concurrency: the recounts of one route are serialised by its lock, and each sees every row the
    previous one counted. Call after the change (inside its transaction or after it commits). Safe to repeat.
    The runners are counted by the workouts app, which answers `routes.events.route_runners_counted`.
    """
    with transaction.atomic():
        if not Route.objects.select_for_update().filter(pk=route_id).exists():
            return  # erased meanwhile
        saved = (Route.objects.filter(copied_from_id=route_id, deleted_at__isnull=True)
                 .values("user_id").distinct().count())
        copies = Route.objects.filter(copied_from_id=route_id).values("pk")
        ran = sum(runners for _receiver, runners in route_runners_counted.send(sender=Route, route_id=route_id,
                                                                              copy_ids=copies))
        Route.objects.filter(pk=route_id).update(saved_count=saved, run_count=ran)
        shared_route_changed.send(sender=Route, route_id=route_id)


def route_discover_source_id(route_id):
    """The shared route whose counters a workout on `route_id` moves: the original it was copied from, else
    itself; None when there is no such route."""
    row = Route.objects.filter(pk=route_id).values_list("pk", "copied_from_id").first()
    if row is None:
        return None
    return row[1] or row[0]


# --- Turn cues ---------------------------------------------------------------------------------------------

# A stored path point is a network node to the polyline's precision (1e-5 degrees, ~1 m); 2 m leaves a margin.
CUES_BACKFILL_MAX_SNAP_M = 2.0


def route_options_backfill_cues(*, dry_run: bool = False) -> dict[str, int]:
    """Give cues to options planned before cues existed: each stored path is matched back to the nodes of the
    network its route was planned on, and the cues computed as planning would have. Options whose network is
    gone, or whose path no longer matches it (a re-import changed the streets), are left without cues.
    Idempotent: options that have cues are skipped. One short UPDATE per option, nothing computed inside a
    transaction. Returns counts: `filled`, `unmatched`, `no_network`, `had_cues`.
    """
    counts = {"filled": 0, "unmatched": 0, "no_network": 0, "had_cues": 0}
    options = (RouteOption.objects.select_related("route__network").only(
        "pk", "polyline", "cues", "route__network").order_by("pk"))
    for option in options.iterator(chunk_size=200):
        if option.cues:
            counts["had_cues"] += 1
            continue
        network = option.route.network
        try:
            graph = graph_for(network) if network is not None else None
        except (OSError, ValueError):
            logger.exception("road network %s: cannot open %s", network.name, network.path)
            graph = None
        if graph is None:
            counts["no_network"] += 1
            continue
        coordinates = np.asarray(option.coordinates(), dtype=np.float64)
        nearest = [graph.nearest_node(lat, lon) for lat, lon in coordinates]
        node_ids = np.array([node for node, _ in nearest], dtype=np.int64)
        distance_m = np.array([distance for _, distance in nearest])
        if len(node_ids) < 2 or float(np.max(distance_m)) > CUES_BACKFILL_MAX_SNAP_M \
                or (graph.edge_ids_along(node_ids) < 0).any():
            counts["unmatched"] += 1
            continue
        if not dry_run:
            RouteOption.objects.filter(pk=option.pk).update(cues=cues_for_planned_route(graph, node_ids))
        counts["filled"] += 1
    return counts
