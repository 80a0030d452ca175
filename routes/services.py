"""What the routes app can do: seed and toggle shapes, import road networks, plan and save routes."""

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from routes.models import RoadNetwork, RouteShape
from routes.selectors import SHAPE_CATALOG_CACHE_KEY

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
    from routes.planner.shapes import SHAPE_TEMPLATES

    created_count = updated_count = 0
    for sort_order, template in enumerate(SHAPE_TEMPLATES):
        _shape, created = RouteShape.objects.update_or_create(
            shape_id=template.shape_id,
            defaults={
                "name": template.name,
                "name_ko": template.name_ko,
                "icon_name": template.icon_name,
                "category": template.category,
                "svg_template": template.svg_path,
                "closed": template.closed,
                "estimated_distance": round(template.estimated_distance_km, 2),
                "sort_order": sort_order,
            },
            create_defaults={
                "name": template.name,
                "name_ko": template.name_ko,
                "icon_name": template.icon_name,
                "category": template.category,
                "svg_template": template.svg_path,
                "closed": template.closed,
                "estimated_distance": round(template.estimated_distance_km, 2),
                "sort_order": sort_order,
                "is_active": True,
            },
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
    from routes.planner.osm_import import build_graph_from_osm

    source = Path(source_path).expanduser()
    if not source.is_file():
        raise RoadNetworkImportError(f"OSM file not found: {source}")
    if not source.name.lower().endswith(OSM_SUFFIXES):
        raise RoadNetworkImportError(
            f"{source.name}: not an OSM extract (expected one of {', '.join(OSM_SUFFIXES)})")
    name = (name or _network_name_from_path(source)).strip()
    if not name:
        raise RoadNetworkImportError("The network needs a name (--name).")

    started = time.perf_counter()
    try:
        graph = build_graph_from_osm(source, progress=progress)
    except (RuntimeError, ValueError, OSError) as exc:  # osmium raises RuntimeError on corrupt input
        raise RoadNetworkImportError(f"{source.name}: cannot build a road network: {exc}") from exc
    if graph.node_count == 0 or graph.edge_count == 0:
        raise RoadNetworkImportError(f"{source.name}: no walkable ways found")

    network_dir = Path(settings.ROAD_NETWORK_DIR)
    network_dir.mkdir(parents=True, exist_ok=True)
    file_name = _network_file_name(name)
    graph.save(network_dir / file_name)
    min_lat, min_lon, max_lat, max_lon = graph.bbox
    fields = {
        "file_name": file_name,
        "source": str(source.resolve()),
        "min_lat": min_lat, "min_lon": min_lon, "max_lat": max_lat, "max_lon": max_lon,
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
