"""Per-process registry of loaded road networks: which network covers a point, and its graph, loaded once.

Graph files are memory-mapped (`RoadGraph.load`) with their spatial index stored inside, so every worker
process shares the same pages through the OS page cache, a load costs only the header and nothing is built per
process. A network is mapped only when a request starts in it: with a country split into regional networks
(`import_osm --regions`), a process serving Seoul maps Seoul's file and never Jeju's. Loaded graphs are kept
in a module-level cache keyed by the network id and the identity of its file (name + built_at): a re-import
writes a new file and bumps `built_at`, so the next request loads the new file and the old entry is dropped.
"""

import logging
import threading
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Q, Value, When

from routes.models import RoadNetwork
from routes.planner.graph import COVERS_BBOX_MARGIN_M, RoadGraph

logger = logging.getLogger(__name__)

# The bbox prefilter grows each network's box by the same margin `RoadGraph.covers` allows (in degrees of
# latitude; longitude is given twice that, enough up to 60° of latitude), so a start just outside the
# outermost node still reaches `covers`.
_PREFILTER_MARGIN_DEG = COVERS_BBOX_MARGIN_M / 111_195.0


@dataclass(frozen=True)
class LoadedNetwork:
    network: RoadNetwork
    graph: RoadGraph


_lock = threading.Lock()
_graphs: dict[int, tuple[tuple[str, str], RoadGraph]] = {}


def _file_key(network: RoadNetwork) -> tuple[str, str]:
    return (network.file_name, network.built_at.isoformat())


def graph_for(network: RoadNetwork) -> RoadGraph:
    """The loaded graph of a network, from the per-process cache (loaded on first use, thread-safe)."""
    key = _file_key(network)
    cached = _graphs.get(network.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:
        cached = _graphs.get(network.pk)
        if cached is None or cached[0] != key:
            graph = RoadGraph.load(network.path)
            logger.info("road network %s loaded from %s (%d nodes)", network.name, network.path,
                        graph.node_count)
            _graphs[network.pk] = (key, graph)
            cached = _graphs[network.pk]
    return cached[1]


def forget_all() -> None:
    """Drop every loaded graph (tests; a process that must let go of deleted files)."""
    with _lock:
        _graphs.clear()


def network_covering(*, lat: float, lon: float) -> LoadedNetwork | None:
    """The active network covering the point, with its graph; None when none does.

    SQL keeps only networks whose (slightly grown) bbox contains the point; among those, regional networks
    whose region holds the point come first (the start is then at least the region margin away from the file's
    edge), then smaller areas (a city network is preferred over the country that contains it), and the first
    whose graph `covers` the point wins. Only the graphs tried are mapped. A network whose file cannot be opened
    is logged and skipped.
    """
    margin = _PREFILTER_MARGIN_DEG
    in_region = Q(region_min_lat__lte=lat, region_max_lat__gte=lat, region_min_lon__lte=lon,
                  region_max_lon__gte=lon)
    candidates = (
        RoadNetwork.objects.filter(is_active=True, min_lat__lte=lat + margin, max_lat__gte=lat - margin,
                                   min_lon__lte=lon + 2 * margin, max_lon__gte=lon - 2 * margin)
        .annotate(area=(F("max_lat") - F("min_lat")) * (F("max_lon") - F("min_lon")),
                  outside_region=Case(When(in_region, then=Value(0)), default=Value(1),
                                      output_field=IntegerField()))
        .order_by("outside_region", "area", "pk")
    )
    for network in candidates:
        try:
            graph = graph_for(network)
        except (OSError, ValueError):
            logger.exception("road network %s: cannot open %s", network.name, network.path)
            continue
        if graph.covers(lat, lon):
            return LoadedNetwork(network=network, graph=graph)
    return None
