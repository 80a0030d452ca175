"""Build a `RoadGraph` from an OpenStreetMap extract (.osm, .osm.bz2, .osm.pbf) with pyosmium.

What is kept (DESIGN.md "The route planner"):

* ways with highway = footway, path, pedestrian, living_street, residential, service, unclassified,
  tertiary/secondary/primary (and their *_link), track, steps; cycleway and bridleway only with
  foot=yes|designated|permissive;
* never motorway*/trunk*, motorroad=yes, foot=no, or access=private|no (unless
  foot=yes|designated|permissive);
* only the largest connected component (islands cannot be reached from a start anyway).

Parallel sidewalks collapse onto their street: a `footway=sidewalk` way that runs within 25 m of a kept
street for ≥ 80 % of its length is dropped, because the street's centre line already carries the drawing and
two parallel copies would let a route run out on one side and back on the other. Where such a sidewalk was the
only link between the street and another path (a park path meeting the sidewalk), a short synthetic
CONNECTOR edge joins that junction node to the nearest street node (≤ 60 m); if none is that close, the
sidewalk is kept.

Footways and paths that mostly run away from streets get FLAG_PARK (park and square paths), which safety mode
prefers where `lit` is not mapped. Named `place=*` nodes (and administrative boundaries through their
label/admin_centre node) are recorded for offline reverse geocoding of a start point.

Memory and speed: two passes (`build_graph_from_osm`). Pass 1 streams ways, place nodes and boundary relations
through a C++ tag pre-filter and keeps 8 bytes per way-node reference; pass 2 streams the nodes and keeps the
coordinates of those the ways use. No location store over all the file's nodes, no Python object per node; peak
~150 bytes per graph node (README "Road networks").
"""

from __future__ import annotations

import ctypes
import itertools
import math
import os
import time
from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np
import osmium
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .geometry import LocalProjection, haversine_m
from .graph import (
    FLAG_CROSSING,
    FLAG_PARK,
    FLAG_SIDEWALK,
    HIGHWAY_CODES,
    LIT_NO,
    LIT_UNKNOWN,
    LIT_YES,
    HighwayClass,
    RoadGraph,
    _canonical_edge_order,
)

ProgressCallback = Callable[[int, int | None], None]

FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
ALWAYS_WALKABLE = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "track",
        "steps",
    }
)
WALKABLE_WITH_FOOT_ACCESS = frozenset({"cycleway", "bridleway"})
NEVER_WALKABLE = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
LIT_YES_VALUES = frozenset({"yes", "24/7", "automatic", "limited", "interval", "sunset-sunrise", "dusk-dawn"})
LIT_NO_VALUES = frozenset({"no", "disused"})
STREET_CLASSES = frozenset(
    {
        HighwayClass.LIVING_STREET,
        HighwayClass.RESIDENTIAL,
        HighwayClass.SERVICE,
        HighwayClass.UNCLASSIFIED,
        HighwayClass.TERTIARY,
        HighwayClass.TERTIARY_LINK,
        HighwayClass.SECONDARY,
        HighwayClass.SECONDARY_LINK,
        HighwayClass.PRIMARY,
        HighwayClass.PRIMARY_LINK,
        HighwayClass.PEDESTRIAN,
    }
)
FOOTPATH_CLASSES = frozenset(
    {HighwayClass.FOOTWAY, HighwayClass.PATH, HighwayClass.TRACK, HighwayClass.CYCLEWAY}
)
PLACE_KINDS = frozenset(
    {
        "city",
        "town",
        "village",
        "borough",
        "suburb",
        "quarter",
        "neighbourhood",
        "hamlet",
        "city_block",
        "locality",
    }
)
# 25 m: a sidewalk's offset from the street centre line plus half a wide street.
SIDEWALK_STREET_DISTANCE_M = 25.0
SIDEWALK_PARALLEL_SHARE = 0.8
CONNECTOR_MAX_M = 60.0
STREET_SAMPLE_SPACING_M = 10.0
PROGRESS_EVERY = 5_000  # objects passed to Python (highway/place/boundary-tagged ones)
LOCATION_BLOCK = 200_000  # pass-2 nodes gathered before one vectorised match (3.2 MB)
OSM_COORDINATE_PRECISION = 10_000_000
SAMPLE_CHUNK_SEGMENTS = 100_000  # street segments sampled at a time
QUERY_CHUNK_POINTS = 250_000  # 4 MB of points (and their scratch: ~15 MB) per KD-tree query
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
STREET_TREE_SAMPLES = 1_000_000  # street samples per band's KD-tree: ~40 MB with the tree's own arrays


def walkable_highway_class(tags) -> HighwayClass | None:
    """The `HighwayClass` of a way if pedestrians may use it, else None. `tags`: a mapping of OSM tags."""
    highway = tags.get("highway")
    if highway is None or highway in NEVER_WALKABLE or tags.get("motorroad") == "yes":
        return None
    foot = tags.get("foot")
    if foot == "no":
        return None
    if tags.get("access") in ("private", "no") and foot not in FOOT_ALLOWED:
        return None
    if highway in WALKABLE_WITH_FOOT_ACCESS:
        return HIGHWAY_CODES.get(highway) if foot in FOOT_ALLOWED else None
    if highway not in ALWAYS_WALKABLE:
        return None
    return HIGHWAY_CODES[highway]


def lit_code(value: str | None) -> int:
    if value in LIT_YES_VALUES:
        return LIT_YES
    if value in LIT_NO_VALUES:
        return LIT_NO
    return LIT_UNKNOWN


def build_graph_from_osm(path: str | os.PathLike, progress: ProgressCallback | None = None) -> RoadGraph:
    """Read an OSM file and return the walkable `RoadGraph` (largest connected component).

    path: .osm, .osm.bz2 or .osm.pbf (anything osmium reads).
    progress: called as progress(objects_done, total_or_None) every 5k objects and once at the end. The file is
    read twice: pass 1 (ways, places, boundaries) has no known total, so it reports None; pass 2 (the
    coordinates of the way nodes kept) knows how many nodes it looks for and reports that total.
    Raises ValueError when the file has no walkable ways.

    Memory: no osmium location store and no per-way-node coordinates. Pass 1 keeps 8 bytes per way-node
    reference (plus the way attributes); pass 2 fills float64 coordinates of the distinct nodes only, in arrays
    allocated once and indexed by `searchsorted` into the sorted node ids.
    """
    started = time.perf_counter()
    path = Path(path)
    _map_large_allocations()
    collector = _WayCollector()
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION
                                     ).with_filter(osmium.filter.KeyFilter("highway", "place", "boundary"))
    done = 0
    for obj in processor:
        done += 1
        if obj.is_way():
            collector.way(obj)
        elif obj.is_node():
            collector.node(obj)
        else:
            collector.relation(obj)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, None)
    if len(collector.way_class) == 0:
        raise ValueError("the OSM file has no walkable ways")
    refs = np.frombuffer(collector.node_ref, dtype=np.int64)
    osm_ids, node_of_entry = np.unique(refs, return_inverse=True)
    del refs
    collector.node_ref = None
    node_of_entry = node_of_entry.astype(np.int32)
    read_s = time.perf_counter() - started
    collector.set_locations(osm_ids, node_of_entry, *_read_node_locations(path, osm_ids, progress, done))
    done += len(osm_ids)
    del osm_ids, node_of_entry  # the collector holds them now and lets each go once used
    locate_s = time.perf_counter() - started - read_s
    graph = collector.build_graph()
    graph.meta.update(
        {
            "source": path.name,
            "source_bytes": path.stat().st_size,
            "import_seconds": round(time.perf_counter() - started, 2),
            "read_seconds": round(read_s, 2),
            "locate_seconds": round(locate_s, 2),
            "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    if progress is not None:
        progress(done, done)
    return graph


def _map_large_allocations() -> None:
    """Have glibc's malloc give every block of 4 MiB or more its own memory map (returned to the system when
    freed). By default the threshold follows the largest block freed, up to 32 MiB, so the import's many
    transient arrays of a few to 30 MB came from the heap and their freed space stayed in the RSS: 35 MB of a
    400x tiled extract's peak and 75 MB after the build. A no-op where the C library is not glibc."""
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def _read_node_locations(path: Path, osm_ids: np.ndarray, progress: ProgressCallback | None, done_before: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of the nodes `osm_ids` (sorted, distinct): (lat float64, lon float64, found bool), one entry
    per id. Every node of the file passes through Python once, as its id and fixed-point coordinates appended to
    a block of LOCATION_BLOCK; each block is matched against `osm_ids` with one `searchsorted`, so the order of
    the file does not matter and nothing is kept of the nodes no way uses. (osmium's own IdFilter would do the
    matching in C++, but its dense id set costs ~1.5 GB for a few million ids spread over today's 12-billion id
    range.)"""
    n_nodes = len(osm_ids)
    node_lat = np.zeros(n_nodes)
    node_lon = np.zeros(n_nodes)
    found = np.zeros(n_nodes, dtype=bool)
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE)

    def place_block(block_ids, block_x, block_y):
        ids = np.frombuffer(block_ids, dtype=np.int64)
        position = np.minimum(np.searchsorted(osm_ids, ids), n_nodes - 1)
        x = np.frombuffer(block_x, dtype=np.int32)
        y = np.frombuffer(block_y, dtype=np.int32)
        # osmium's Location: 1e-7 degree fixed point; `valid()` is this range check, `lat` is y / 1e7.
        hit = (osm_ids[position] == ids) & (np.abs(x) <= 1_800_000_000) & (np.abs(y) <= 900_000_000)
        position = position[hit]
        node_lat[position] = y[hit] / OSM_COORDINATE_PRECISION
        node_lon[position] = x[hit] / OSM_COORDINATE_PRECISION
        found[position] = True
        return int(hit.sum())

    located = 0
    block_ids, block_x, block_y = array("q"), array("i"), array("i")
    for node in processor:
        location = node.location
        block_ids.append(node.id)
        block_x.append(location.x)
        block_y.append(location.y)
        if len(block_ids) == LOCATION_BLOCK:
            located += place_block(block_ids, block_x, block_y)
            block_ids, block_x, block_y = array("q"), array("i"), array("i")
            if progress is not None:
                progress(done_before + located, done_before + n_nodes)
    located += place_block(block_ids, block_x, block_y)
    return node_lat, node_lon, found


class _WayCollector:
    """Accumulates kept ways into flat arrays (one entry per way node) while osmium streams the file."""

    def __init__(self):
        self.node_ref = array("q")
        self.way_start = array("q", [0])
        self.way_class = array("B")
        self.way_lit = array("b")
        self.way_flags = array("B")
        self.way_name = array("i")
        self.names: list[str] = []
        self.names_ko: list[str] = []
        self.names_en: list[str] = []
        self._name_index: dict[tuple[str, str, str], int] = {}
        self.places_by_node: dict[int, dict] = {}
        self.admin_labels: list[tuple[int, str, str]] = []
        self.skipped_ways = 0

    def node(self, node) -> None:
        tags = node.tags
        kind = tags.get("place")
        name = tags.get("name")
        if kind in PLACE_KINDS and name and node.location.valid():
            place = {
                "name": name,
                "kind": kind,
                "lat": round(node.location.lat, 7),
                "lon": round(node.location.lon, 7),
            }
            for key in ("name:ko", "name:en"):
                if key in tags:
                    place[key.replace(":", "_")] = tags[key]
            self.places_by_node[node.id] = place

    def relation(self, relation) -> None:
        tags = relation.tags
        if tags.get("boundary") != "administrative" or "name" not in tags:
            return
        for member in relation.members:
            if member.type == "n" and member.role in ("label", "admin_centre"):
                self.admin_labels.append(
                    (member.ref, tags["name"], f"admin_level_{tags.get('admin_level', '')}")
                )
                break

    def way(self, way) -> None:
        tags = way.tags
        highway_class = walkable_highway_class(tags)
        if highway_class is None:
            if "highway" in tags:
                self.skipped_ways += 1
            return
        # Locations come in pass 2; a reference to a node missing from a clipped extract is dropped there.
        refs = [node_ref.ref for node_ref in way.nodes]
        if not refs:
            return
        self.node_ref.extend(refs)
        count = len(refs)
        self.way_start.append(self.way_start[-1] + count)
        self.way_class.append(int(highway_class))
        self.way_lit.append(lit_code(tags.get("lit")))
        footway = tags.get("footway") or tags.get("path")
        flags = (FLAG_SIDEWALK if footway == "sidewalk" else 0) | (
            FLAG_CROSSING if footway == "crossing" else 0
        )
        self.way_flags.append(flags)
        self.way_name.append(self._name_id(tags))

    def _name_id(self, tags) -> int:
        """Index of the way's (name, name:ko, name:en) in the name table, -1 for an unnamed way. Turn cues speak
        `name:ko` to Korean runners and `name:en` to others ("월드컵로" / "World Cup-ro"), each falling back to
        `name`; a way tagged only in one language is named by that tag."""
        name_ko, name_en = tags.get("name:ko") or "", tags.get("name:en") or ""
        name = tags.get("name") or name_ko or name_en
        if not name:
            return -1
        key = (name, name_ko, name_en)
        index = self._name_index.get(key)
        if index is None:
            index = self._name_index[key] = len(self.names)
            self.names.append(name)
            self.names_ko.append(name_ko)
            self.names_en.append(name_en)
        return index

    # --- assembling the graph -------------------------------------------------------------------------
    def set_locations(self, osm_ids: np.ndarray, node_of_entry: np.ndarray, node_lat: np.ndarray,
                      node_lon: np.ndarray, found: np.ndarray) -> None:
        """Pass 2's result: `osm_ids` the sorted distinct node ids the ways reference, `node_of_entry` (int32,
        one per way-node reference) the index of each reference into them, `node_lat` / `node_lon` / `found` per
        id. Held here so that `build_graph` alone owns them and can let each go as soon as it is used."""
        self._located = [osm_ids, node_of_entry, node_lat, node_lon, found]

    def build_graph(self) -> RoadGraph:
        """The graph from pass 1's ways and the located nodes (`set_locations`). References to nodes not found
        (outside a clipped extract) are dropped, and so are ways left without any."""
        osm_ids, node_of_entry, node_lat, node_lon, found = self._located
        self._located = None
        way_start = np.frombuffer(self.way_start, dtype=np.int64)
        way_class = np.frombuffer(self.way_class, dtype=np.uint8).copy()
        way_lit = np.frombuffer(self.way_lit, dtype=np.int8)
        way_flags = np.frombuffer(self.way_flags, dtype=np.uint8).copy()
        way_name = np.frombuffer(self.way_name, dtype=np.int32)
        way_of_entry = np.repeat(np.arange(len(way_class), dtype=np.int32), np.diff(way_start))
        names, names_ko, names_en = self.names, self.names_ko, self.names_en
        if not found.all():
            entry_found = found[node_of_entry]
            node_of_entry = (np.cumsum(found, dtype=np.int64) - 1).astype(np.int32)[node_of_entry[entry_found]]
            way_of_entry = way_of_entry[entry_found]
            del entry_found
            osm_ids, node_lat, node_lon = osm_ids[found], node_lat[found], node_lon[found]
            way_kept = np.bincount(way_of_entry, minlength=len(way_class)) > 0
            way_of_entry = (np.cumsum(way_kept) - 1).astype(np.int32)[way_of_entry]
            way_class, way_lit, way_flags = way_class[way_kept], way_lit[way_kept], way_flags[way_kept]
            way_name = way_name[way_kept]
            # The name table lists names in order of their first kept way, as if the dropped ways never were.
            named = way_name >= 0
            used, first = np.unique(way_name[named], return_index=True)
            used = used[np.argsort(first)]
            new_name = np.full(len(names), -1, dtype=np.int32)
            new_name[used] = np.arange(len(used), dtype=np.int32)
            way_name = np.where(named, new_name[np.maximum(way_name, 0)], -1).astype(np.int32)
            names = [names[i] for i in used]
            names_ko = [names_ko[i] for i in used]
            names_en = [names_en[i] for i in used]
        if len(way_class) == 0:
            raise ValueError("the OSM file has no walkable ways")
        n_ways = len(way_class)
        projection = LocalProjection(float(np.median(node_lat[node_of_entry])),
                                     float(np.median(node_lon[node_of_entry])))
        node_xy = projection.to_xy(node_lat, node_lon)

        # Segments between consecutive nodes of the same way.
        seg_first = np.flatnonzero(way_of_entry[:-1] == way_of_entry[1:])
        seg_u, seg_v = node_of_entry[seg_first], node_of_entry[seg_first + 1]
        seg_way = way_of_entry[seg_first]
        del seg_first

        drop_way, connectors, park_way = self._collapse_sidewalks(
            node_xy, node_of_entry, way_of_entry, seg_u, seg_v, seg_way, way_class, way_flags
        )
        # From here on the per-reference and projected arrays are not needed: the graph's own arrays take
        # their place (a country's import peaks below, so nothing whole-extract may outlive its use).
        nodes_read = len(node_of_entry)
        del node_xy, node_of_entry, way_of_entry
        way_flags[park_way] |= FLAG_PARK
        keep_seg = ~drop_way[seg_way]
        edge_u = np.concatenate([seg_u[keep_seg], connectors[:, 0].astype(np.int32)])
        edge_v = np.concatenate([seg_v[keep_seg], connectors[:, 1].astype(np.int32)])
        n_conn = len(connectors)
        edge_way = seg_way[keep_seg]
        del seg_u, seg_v, seg_way, keep_seg
        edge_class = np.concatenate([way_class[edge_way], np.full(n_conn, HighwayClass.CONNECTOR, np.uint8)])
        edge_lit = np.concatenate([way_lit[edge_way], np.full(n_conn, LIT_UNKNOWN, np.int8)])
        edge_flags = np.concatenate([way_flags[edge_way], np.zeros(n_conn, np.uint8)])
        edge_name = np.concatenate([way_name[edge_way], np.full(n_conn, -1, np.int32)])

        # Largest connected component only.
        n_nodes = len(osm_ids)
        adjacency = coo_matrix((np.ones(len(edge_u)), (edge_u, edge_v)), shape=(n_nodes, n_nodes))
        n_components, labels = connected_components(adjacency, directed=False)
        del adjacency
        used = np.zeros(n_nodes, dtype=bool)
        used[edge_u] = True
        used[edge_v] = True
        sizes = np.bincount(labels[used], minlength=n_components)
        keep_node = labels == int(np.argmax(sizes))
        new_index = np.full(n_nodes, -1, dtype=np.int32)
        new_index[keep_node] = np.arange(int(keep_node.sum()), dtype=np.int32)
        keep_edge = np.flatnonzero(keep_node[edge_u])  # both ends share a component
        node_lat, node_lon, osm_ids = node_lat[keep_node], node_lon[keep_node], osm_ids[keep_node]
        del keep_node, labels
        edge_u, edge_v = new_index[edge_u[keep_edge]], new_index[edge_v[keep_edge]]
        del new_index
        lengths = np.empty(len(edge_u))
        for start in range(0, len(edge_u), QUERY_CHUNK_POINTS):  # its float64 scratch a chunk at a time
            u, v = edge_u[start:start + QUERY_CHUNK_POINTS], edge_v[start:start + QUERY_CHUNK_POINTS]
            lengths[start:start + len(u)] = haversine_m(node_lat[u], node_lon[u], node_lat[v], node_lon[v])
        # The graph's edge order (`RoadGraph.from_edges`), made here so that it takes these arrays as they are
        # instead of a second copy of every edge array.
        order = _canonical_edge_order(edge_u, edge_v, lengths, len(node_lat))
        edge_u, edge_v = np.minimum(edge_u, edge_v)[order], np.maximum(edge_u, edge_v)[order]
        lengths = lengths[order].astype(np.float32)
        edge_order = keep_edge[order]
        del order, keep_edge
        places = list(self.places_by_node.values())
        for node_id, name, kind in self.admin_labels:
            label = self.places_by_node.get(node_id)
            if label is not None:
                places.append({"name": name, "kind": kind, "lat": label["lat"], "lon": label["lon"]})
        meta = {
            "ways_kept": int(n_ways - drop_way.sum()),
            "ways_skipped_not_walkable": self.skipped_ways,
            "sidewalks_collapsed": int(drop_way.sum()),
            "connector_edges": n_conn,
            "components_dropped": int((sizes > 0).sum() - 1),
            "nodes_read": nodes_read,
        }
        graph_arrays = dict(
            node_lat=node_lat,
            node_lon=node_lon,
            node_osm_id=osm_ids,
            edge_u=edge_u,
            edge_v=edge_v,
            edge_highway=edge_class[edge_order],
            edge_lit=edge_lit[edge_order],
            edge_flags=edge_flags[edge_order],
            edge_name_idx=edge_name[edge_order],
            edge_length_m=lengths,
            names=names,
            names_ko=names_ko,
            names_en=names_en,
            places=places,
            meta=meta,
        )
        # Only the kept part goes on: the whole-extract arrays would otherwise live through the graph's build.
        del node_lat, node_lon, osm_ids, edge_u, edge_v, edge_class, edge_lit, edge_flags, edge_name, lengths
        del edge_order
        return RoadGraph.from_edges(**graph_arrays)

    @staticmethod
    def _collapse_sidewalks(
        node_xy, node_of_entry, way_of_entry, seg_u, seg_v, seg_way, way_class, way_flags
    ):
        """Decide which sidewalks to drop (see module docstring) and which footpaths are park paths.

        Returns (drop_way bool[n_ways], connectors int[k, 2] node pairs, park_way bool[n_ways]).
        """
        n_ways = len(way_class)
        drop_way = np.zeros(n_ways, dtype=bool)
        park_way = np.zeros(n_ways, dtype=bool)
        no_connectors = np.zeros((0, 2), dtype=np.int64)
        is_street_way = np.isin(way_class, list(STREET_CLASSES)) & ((way_flags & FLAG_SIDEWALK) == 0)
        street_seg = is_street_way[seg_way]
        if not street_seg.any():
            return drop_way, no_connectors, park_way
        # Street centre lines sampled every 10 m: "near a street" must not depend on how sparse its nodes are.
        # Made a chunk of segments at a time into one preallocated array: the per-sample scratch (owner, step,
        # fraction, endpoints) of all streets at once was the import's peak, ~100 bytes a sample.
        a, b = node_xy[seg_u[street_seg]], node_xy[seg_v[street_seg]]
        seg_len = np.hypot(*(b - a).T)
        pieces = np.maximum(1, np.ceil(seg_len / STREET_SAMPLE_SPACING_M).astype(np.int64))
        del seg_len
        first_sample = np.cumsum(pieces) - pieces
        n_samples = int(pieces.sum())
        samples = np.empty((n_samples + len(b), 2))
        samples[n_samples:] = b
        for start in range(0, len(a), SAMPLE_CHUNK_SEGMENTS):
            chunk = slice(start, start + SAMPLE_CHUNK_SEGMENTS)
            chunk_pieces, chunk_a = pieces[chunk], a[chunk]
            chunk_d = b[chunk] - chunk_a
            owner = np.repeat(np.arange(len(chunk_pieces)), chunk_pieces)
            step = np.arange(len(owner)) - np.repeat(np.cumsum(chunk_pieces) - chunk_pieces, chunk_pieces)
            frac = (step / chunk_pieces[owner])[:, None]
            begin = int(first_sample[start])
            samples[begin:begin + len(owner)] = chunk_a[owner] + chunk_d[owner] * frac
        del a, b, pieces, first_sample

        # Per way: share of its nodes (plus segment midpoints) close to a street. The street samples go into
        # one KD-tree per band of x (east), each holding its band's samples and those within reach of it, so
        # no tree over all of a country's samples is ever built; the points are made and queried a chunk at a
        # time, each chunk's footpath points in the band picked there: no array over all the points.
        footpath_way = np.isin(way_class, list(FOOTPATH_CLASSES))
        near_count = np.zeros(n_ways)
        n_bands = max(1, math.ceil(len(samples) / STREET_TREE_SAMPLES))
        cuts = np.quantile(samples[::max(1, len(samples) // 10_000), 0], np.arange(1, n_bands) / n_bands)
        band_edges = np.concatenate([[-np.inf], cuts, [np.inf]])
        reach_m = SIDEWALK_STREET_DISTANCE_M + 1.0
        for band_lo, band_hi in itertools.pairwise(band_edges.tolist()):
            sample_x = samples[:, 0]
            band_samples = samples[(sample_x >= band_lo - reach_m) & (sample_x < band_hi + reach_m)]
            del sample_x
            if len(band_samples) == 0:
                continue  # no street near this band's points
            street_tree = cKDTree(band_samples)
            del band_samples
            for owner_of, point_of in ((way_of_entry, lambda rows: node_xy[node_of_entry[rows]]),
                                       (seg_way, lambda rows: (node_xy[seg_u[rows]] + node_xy[seg_v[rows]]) / 2)):
                for start in range(0, len(owner_of), QUERY_CHUNK_POINTS):
                    rows = start + np.flatnonzero(footpath_way[owner_of[start:start + QUERY_CHUNK_POINTS]])
                    pts = point_of(rows)
                    in_band = (pts[:, 0] >= band_lo) & (pts[:, 0] < band_hi)
                    dist, _ = street_tree.query(pts[in_band], distance_upper_bound=SIDEWALK_STREET_DISTANCE_M)
                    near_count += np.bincount(owner_of[rows[in_band]], weights=np.isfinite(dist), minlength=n_ways)
            del street_tree
        del samples
        near_share = near_count / np.maximum(
            np.bincount(way_of_entry, minlength=n_ways) + np.bincount(seg_way, minlength=n_ways), 1
        )
        is_sidewalk = (way_flags & FLAG_SIDEWALK) > 0
        park_way[footpath_way & ~is_sidewalk & (near_share < 0.5)] = True
        drop_way[is_sidewalk & (near_share >= SIDEWALK_PARALLEL_SHARE)] = True
        if not drop_way.any():
            return drop_way, no_connectors, park_way

        # Junctions: nodes of dropped sidewalks also used by a way that stays.
        n_nodes = len(node_xy)
        on_kept = np.zeros(n_nodes, dtype=bool)
        on_kept[node_of_entry[~drop_way[way_of_entry]]] = True
        on_street = np.zeros(n_nodes, dtype=bool)
        on_street[node_of_entry[is_street_way[way_of_entry]]] = True
        dropped_entries = drop_way[way_of_entry]
        junction = np.unique(node_of_entry[dropped_entries])
        junction = junction[on_kept[junction] & ~on_street[junction]]
        if len(junction) == 0:
            return drop_way, no_connectors, park_way
        street_nodes = np.flatnonzero(on_street)
        dist, nearest = cKDTree(node_xy[street_nodes]).query(node_xy[junction])
        reachable = dist <= CONNECTOR_MAX_M
        # A junction with no street node close enough: keep the sidewalk(s) it lies on.
        stranded = np.zeros(n_nodes, dtype=bool)
        stranded[junction[~reachable]] = True
        keep_again = np.unique(way_of_entry[dropped_entries & stranded[node_of_entry]])
        drop_way[keep_again] = False
        still_dropped_node = np.zeros(n_nodes, dtype=bool)
        still_dropped_node[node_of_entry[drop_way[way_of_entry]]] = True
        use = reachable & still_dropped_node[junction]
        connectors = np.stack([junction[use], street_nodes[nearest[use]]], axis=1).astype(np.int64)
        return drop_way, connectors, park_way
