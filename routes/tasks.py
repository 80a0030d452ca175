"""Background work of the routes app (django-q2). Tasks take IDs or paths and are safe to run twice."""

import logging

from django_q.tasks import async_task

from routes.models import RoadNetwork
from routes.services import (
    road_network_import,
    road_network_record_failure,
    route_discover_source_id,
    route_refresh_discover_counters,
)

logger = logging.getLogger(__name__)


def road_network_reimport(network_id: int) -> str:
    """Rebuild a network from its recorded source file. A failure is written on the row (staff see it in the
    admin) and re-raised, so django-q2 records the failed task too. Running it twice just imports twice."""
    network = RoadNetwork.objects.filter(pk=network_id).first()
    if network is None:
        return "network no longer exists"
    try:
        network = road_network_import(source_path=network.source, name=network.name)
    except Exception as exc:
        road_network_record_failure(network_id=network_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return f"{network.name}: {network.node_count} nodes, {network.edge_count} edges"


def road_network_import_path(source_path: str, name: str | None = None) -> str:
    """Import an extract already on the server (the admin's "import from a server path" form).

    The queue's task timeout (Q_CLUSTER["timeout"], 120 s) suits city-sized extracts; import a country with
    `manage.py import_osm` on a worker host instead."""
    network = road_network_import(source_path=source_path, name=name)
    return f"{network.name}: {network.node_count} nodes, {network.edge_count} edges"


def enqueue_road_network_reimport(*, network: RoadNetwork) -> str:
    return async_task("routes.tasks.road_network_reimport", network.pk, group="osm_import")


def enqueue_road_network_import_path(*, source_path: str, name: str | None) -> str:
    return async_task("routes.tasks.road_network_import_path", source_path, name, group="osm_import")


def refresh_discover_counters(route_id: str) -> str:
    """Recount a shared route's saves and runners (routes.services.route_refresh_discover_counters): after a
    workout on it, or on a copy of it, was completed or deleted."""
    source_id = route_discover_source_id(route_id)
    if source_id is None:
        return "route no longer exists"
    route_refresh_discover_counters(route_id=source_id)
    return f"recounted {source_id}"
