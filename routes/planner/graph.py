"""`RoadGraph`: a walkable road network as compact numpy arrays, saved as one memory-mappable file.

Nodes are OSM nodes of walkable ways (every vertex, so a route's coordinates are its nodes' coordinates).
Edges are undirected segments between consecutive nodes of a way. Adjacency is CSR: the neighbours of node
`i` are `adj_node[indptr[i]:indptr[i + 1]]`, reached over edges `adj_edge[...]` (each edge appears twice).

Spatial index (stored, never built per process): nodes bucketed in a grid of GRID_CELL_DEG x GRID_CELL_DEG
cells (~1.1 km north-south). `grid_node` lists node ids cell by cell (row-major by cell key), `grid_cell_key`
the keys of the non-empty cells (sorted), `grid_cell_start` where each cell's run of `grid_node` begins. A disc
query reads one contiguous run of `grid_node` per grid row it spans, so its cost follows the disc's area, not
the network's size (`nodes_within`, `nearest_node`).

File format (`save` / `load`, written by `GraphFileWriter`): the 8-byte magic `RWGRAPH2`, little-endian uint64
header offset and length, then the raw arrays (each aligned to 64 bytes), then the UTF-8 JSON header (metadata
with `format_version`, name lists, place list, and for each array its dtype, shape and byte offset). The header
comes last so a network can be written array chunk by array chunk without holding it in memory. `load`
memory-maps the arrays read-only, so every worker process shares the same pages through the OS cache and
loading is O(header). Files of format 1 (magic `RWGRAPH1`, header first, no grid index) still load: the grid is
then built in memory once at load (a warning says to re-import).

Street names: `names` (the way's `name` tag) with `names_ko` / `names_en` beside it (its `name:ko` / `name:en`,
"" where untagged), all indexed by `edge_name_idx`. Files written before the language lists (or before names at
all) still load: every edge then has only its `name` tag (or no name).
"""

from __future__ import annotations

import json
import logging
import math
import os
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from .geometry import EARTH_RADIUS_M, LocalProjection, haversine_m

logger = logging.getLogger(__name__)

FILE_MAGIC = b"RWGRAPH1"  # format 1: header first, no stored index (read only)
FILE_MAGIC_V2 = b"RWGRAPH2"
FORMAT_VERSION = 2
_ALIGN = 64
_V2_PREAMBLE = len(FILE_MAGIC_V2) + 16  # magic, header offset, header length
# 0.01°: ~1.1 km north-south; a 3-5 km route's disc spans ~5-10 grid rows, each one slice of `grid_node`.
GRID_CELL_DEG = 0.01
_METRES_PER_DEG_LAT = EARTH_RADIUS_M * math.pi / 180.0
# `covers`: the start must be inside the bbox grown by this margin, and this close to a network node.
COVERS_BBOX_MARGIN_M = 500.0
COVERS_MAX_NODE_DISTANCE_M = 300.0
CSR_CHUNK_EDGES = 1_000_000  # adjacency entries placed at a time when building the CSR rows


class HighwayClass(IntEnum):
    """`edge_highway` codes (uint8). Stable: stored in graph files."""

    OTHER = 0
    FOOTWAY = 1
    PATH = 2
    PEDESTRIAN = 3
    LIVING_STREET = 4
    RESIDENTIAL = 5
    SERVICE = 6
    UNCLASSIFIED = 7
    TERTIARY = 8
    SECONDARY = 9
    PRIMARY = 10
    TRACK = 11
    STEPS = 12
    CYCLEWAY = 13
    TERTIARY_LINK = 14
    SECONDARY_LINK = 15
    PRIMARY_LINK = 16
    CONNECTOR = 17  # synthetic link added where a dropped sidewalk joined other paths to its street


HIGHWAY_CODES: dict[str, HighwayClass] = {
    member.name.lower(): member
    for member in HighwayClass
    if member not in (HighwayClass.OTHER, HighwayClass.CONNECTOR)
}

# edge_flags bits (uint8)
FLAG_SIDEWALK = 1  # footway=sidewalk kept because no street runs beside it
FLAG_CROSSING = 2  # footway=crossing
FLAG_PARK = 4  # footway/path not along a street (parks, squares): good for safety mode where lit is unknown

# lit codes (int8)
LIT_UNKNOWN, LIT_NO, LIT_YES = -1, 0, 1

_ARRAY_DTYPES: dict[str, np.dtype] = {
    "node_lat": np.dtype("<f8"),
    "node_lon": np.dtype("<f8"),
    "node_osm_id": np.dtype("<i8"),
    "indptr": np.dtype("<i8"),
    "adj_node": np.dtype("<i4"),
    "adj_edge": np.dtype("<i4"),
    "edge_u": np.dtype("<i4"),
    "edge_v": np.dtype("<i4"),
    "edge_length_m": np.dtype("<f4"),
    "edge_highway": np.dtype("u1"),
    "edge_lit": np.dtype("i1"),
    "edge_flags": np.dtype("u1"),
    "edge_name_idx": np.dtype("<i4"),
    "grid_node": np.dtype("<i4"),
    "grid_cell_key": np.dtype("<i8"),
    "grid_cell_start": np.dtype("<i8"),
}
GRID_ARRAYS = ("grid_node", "grid_cell_key", "grid_cell_start")


class RoadGraph:
    """A walkable road network. Build with `from_edges` (or `osm_import.build_graph_from_osm`), persist
    with `save`, open with `load`.

    Arrays (read-only after `load`): `node_lat`, `node_lon` (float64 degrees), `node_osm_id` (int64),
    `indptr` (int64, n+1), `adj_node` / `adj_edge` (int32, 2E), `edge_u` / `edge_v` (int32, E),
    `edge_length_m` (float32), `edge_highway` (uint8, `HighwayClass`), `edge_lit` (int8: -1 unknown, 0 no,
    1 yes), `edge_flags` (uint8, FLAG_*), `edge_name_idx` (int32 into `names`, -1 for none), and the grid index
    `grid_node` / `grid_cell_key` / `grid_cell_start` (see the module docstring; its geometry in `meta["grid"]`).
    `names`: street names (the `name` tag); `names_ko` / `names_en`: the same entries' `name:ko` / `name:en`
    ("" where untagged; see `street_name`). `places`: [{"name", "kind", "lat", "lon"}] for offline reverse geocoding.
    `meta`: bbox, counts, `lit_tagged_share`, grid, source details.

    Request paths (`nodes_within`, `nearest_node`, `adjacency_of`, `edge_ids_along`) read only slices of the
    arrays around the point asked about; nothing per request is sized by the whole network.
    """

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        names: list[str],
        places: list[dict[str, Any]],
        meta: dict[str, Any],
        names_ko: list[str] | None = None,
        names_en: list[str] | None = None,
    ):
        for key in _ARRAY_DTYPES:
            setattr(self, key, arrays[key])
        self.names = names
        self.names_ko = list(names_ko) if names_ko is not None else [""] * len(names)
        self.names_en = list(names_en) if names_en is not None else [""] * len(names)
        if not len(self.names_ko) == len(self.names_en) == len(names):
            raise ValueError("names, names_ko and names_en must have one entry per name")
        self.places = places
        self.meta = meta
        grid = meta["grid"]
        self._grid_origin = (float(grid["origin_lat"]), float(grid["origin_lon"]))
        self._grid_cell_deg = float(grid["cell_deg"])
        self._grid_shape = (int(grid["rows"]), int(grid["columns"]))
        self._projection: LocalProjection | None = None
        self._node_xy: np.ndarray | None = None
        self._kdtree: cKDTree | None = None

    # --- construction -----------------------------------------------------------------------------------
    @classmethod
    def from_edges(
        cls,
        *,
        node_lat,
        node_lon,
        edge_u,
        edge_v,
        edge_highway,
        edge_lit=None,
        edge_flags=None,
        edge_name_idx=None,
        node_osm_id=None,
        edge_length_m=None,
        names=None,
        names_ko=None,
        names_en=None,
        places=None,
        meta=None,
    ) -> RoadGraph:
        """Build from node coordinates and an undirected edge list (indices into the node arrays).

        Self-loops are dropped and parallel edges between the same two nodes are reduced to the shortest.
        Edge lengths default to the great-circle distance between the endpoints.
        """
        node_lat = np.ascontiguousarray(node_lat, dtype=np.float64)
        node_lon = np.ascontiguousarray(node_lon, dtype=np.float64)
        n_nodes = len(node_lat)
        # Node indices in the stored int32 (a country has well under 2**31 nodes): no int64 copies of the edges.
        if n_nodes >= 2**31:
            raise ValueError("a road graph holds fewer than 2**31 nodes")
        edge_u = np.asarray(edge_u, dtype=np.int64 if len(edge_u) == 0 else None)
        edge_v = np.asarray(edge_v, dtype=np.int64 if len(edge_v) == 0 else None)
        if len(edge_u) and (edge_u.min() < 0 or edge_v.min() < 0 or max(edge_u.max(), edge_v.max()) >= n_nodes):
            raise ValueError("edge_u / edge_v must be indices into the node arrays")
        edge_u = edge_u.astype(_ARRAY_DTYPES["edge_u"], copy=False)
        edge_v = edge_v.astype(_ARRAY_DTYPES["edge_v"], copy=False)
        n_edges = len(edge_u)

        def default(values, fill, dtype):
            return np.full(n_edges, fill, dtype=dtype) if values is None else np.asarray(values, dtype=dtype)

        edge_highway = default(edge_highway, HighwayClass.OTHER, np.uint8)
        edge_lit = default(edge_lit, LIT_UNKNOWN, np.int8)
        edge_flags = default(edge_flags, 0, np.uint8)
        edge_name_idx = default(edge_name_idx, -1, np.int32)
        if edge_length_m is None:
            edge_length_m = haversine_m(
                node_lat[edge_u], node_lon[edge_u], node_lat[edge_v], node_lon[edge_v]
            )
        edge_length_m = np.asarray(edge_length_m)
        if edge_length_m.dtype.kind != "f":
            edge_length_m = edge_length_m.astype(np.float64)

        # Canonical (low, high) node order, sorted by it; self-loops dropped; of parallel edges the shortest
        # (the first in input order among equals). An edge list already canonical (the importer's) is taken as
        # it is, without a copy: a country's import peaks in this function.
        idx = None if _is_canonical(edge_u, edge_v) else _canonical_edge_order(edge_u, edge_v, edge_length_m,
                                                                               n_nodes)

        def pick(values, dtype, order=idx):
            return (values if order is None else values[order]).astype(dtype, copy=False)

        arrays = {
            "node_lat": node_lat,
            "node_lon": node_lon,
            "node_osm_id": (
                np.arange(n_nodes, dtype=np.int64)
                if node_osm_id is None
                else np.asarray(node_osm_id, dtype=np.int64)
            ),
            "edge_u": pick(np.minimum(edge_u, edge_v) if idx is not None else edge_u, np.int32),
            "edge_v": pick(np.maximum(edge_u, edge_v) if idx is not None else edge_v, np.int32),
            "edge_length_m": pick(edge_length_m, np.float32),
            "edge_highway": pick(edge_highway, np.uint8),
            "edge_lit": pick(edge_lit, np.int8),
            "edge_flags": pick(edge_flags, np.uint8),
            "edge_name_idx": pick(edge_name_idx, np.int32),
        }
        del idx, edge_u, edge_v, edge_length_m, edge_highway, edge_lit, edge_flags, edge_name_idx
        edge_u, edge_v = arrays["edge_u"], arrays["edge_v"]
        arrays.update(_build_csr(n_nodes, edge_u, edge_v))
        grid_meta, grid_arrays = build_grid_index(node_lat, node_lon)
        arrays.update(grid_arrays)
        meta = {**dict(meta or {}), "grid": grid_meta}
        graph = cls(arrays, list(names or []), list(places or []), meta, names_ko=names_ko,
                    names_en=names_en)
        graph.meta.update(graph._computed_meta())
        return graph

    def _computed_meta(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "node_count": len(self.node_lat),
            **network_totals(self.edge_length_m, self.edge_lit),
            "bbox": [
                float(self.node_lat.min()),
                float(self.node_lon.min()),
                float(self.node_lat.max()),
                float(self.node_lon.max()),
            ]
            if len(self.node_lat)
            else None,
            "highway_classes": {member.name.lower(): int(member) for member in HighwayClass},
        }

    # --- persistence ------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the graph to ONE uncompressed file (atomically: temp file + rename), array by array."""
        lengths = {key: len(getattr(self, key)) for key in _ARRAY_DTYPES}
        with GraphFileWriter(path, lengths) as writer:
            for key in _ARRAY_DTYPES:
                writer.write(key, 0, getattr(self, key))
            writer.finish(meta=self.meta, names=self.names, names_ko=self.names_ko, names_en=self.names_en,
                          places=self.places)

    @classmethod
    def load(cls, path: str | os.PathLike) -> RoadGraph:
        """Open a file written by `save`; arrays are read-only memory maps.

        Raises ValueError if the file is not a road-graph file. Format-1 files load too: without the stored grid
        index it is built in memory here (seconds for a country; re-import to store it). Files without
        `names_ko` / `names_en` (or without names and `edge_name_idx` at all) load with those empty: every edge
        unnamed in that language.
        """
        path = Path(path)
        with open(path, "rb") as fh:
            magic = fh.read(len(FILE_MAGIC))
            if magic == FILE_MAGIC_V2:
                header_offset = int.from_bytes(fh.read(8), "little")
                header_len = int.from_bytes(fh.read(8), "little")
                fh.seek(header_offset)
                header = json.loads(fh.read(header_len).decode("utf-8"))
                data_start = 0
            elif magic == FILE_MAGIC:
                header_len = int.from_bytes(fh.read(8), "little")
                header = json.loads(fh.read(header_len).decode("utf-8"))
                data_start = _align(len(FILE_MAGIC) + 8 + header_len)
            else:
                raise ValueError(f"{path} is not a RunnerWay road-graph file")
        arrays = {}
        for key, spec in header["arrays"].items():
            shape = tuple(spec["shape"])
            if int(np.prod(shape)) == 0:
                arrays[key] = np.zeros(shape, dtype=np.dtype(spec["dtype"]))
                continue
            arrays[key] = np.memmap(
                path, dtype=np.dtype(spec["dtype"]), mode="r", offset=data_start + spec["offset"], shape=shape
            )
        names = header.get("names") or []
        meta = header["meta"]
        if "edge_name_idx" not in arrays:
            edge_count = int(np.prod(header["arrays"]["edge_u"]["shape"]))
            arrays["edge_name_idx"] = np.full(edge_count, -1, dtype=_ARRAY_DTYPES["edge_name_idx"])
        if "grid" not in meta or any(key not in arrays for key in GRID_ARRAYS):
            logger.warning("road network file %s (format %s) has no stored spatial index: building it in memory "
                           "(re-import it with `manage.py import_osm` to store it)", path,
                           2 if magic == FILE_MAGIC_V2 else 1)
            meta = dict(meta)
            meta["grid"], grid_arrays = build_grid_index(np.asarray(arrays["node_lat"]),
                                                         np.asarray(arrays["node_lon"]))
            arrays.update(grid_arrays)
        return cls(arrays, names, header.get("places") or [], meta, names_ko=header.get("names_ko"),
                   names_en=header.get("names_en"))

    # --- queries ----------------------------------------------------------------------------------------
    @property
    def node_count(self) -> int:
        return len(self.node_lat)

    @property
    def edge_count(self) -> int:
        return len(self.edge_u)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon) of the nodes."""
        return tuple(self.meta["bbox"])  # type: ignore[return-value]

    def nodes_within(self, lat: float, lon: float, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Nodes within `radius_m` of the point: (node ids int64 ascending, (k, 2) metres east/north of the point
        in a projection centred on it). Reads the grid rows the disc spans: O(nodes in the disc's cells)."""
        candidates = self._grid_candidates(lat, lon, radius_m)
        xy = LocalProjection(float(lat), float(lon)).to_xy(self.node_lat[candidates], self.node_lon[candidates])
        inside = np.einsum("ij,ij->i", xy, xy) <= radius_m * radius_m
        candidates, xy = candidates[inside], xy[inside]
        order = np.argsort(candidates)
        return candidates[order], xy[order]

    def _grid_candidates(self, lat: float, lon: float, radius_m: float) -> np.ndarray:
        """Node ids (int64, unordered) in the grid cells overlapping the disc's bounding box."""
        rows, columns = self._grid_shape
        origin_lat, origin_lon = self._grid_origin
        cell = self._grid_cell_deg
        dlat = radius_m / _METRES_PER_DEG_LAT
        # The cosine at the disc's poleward edge: the widest the disc is in degrees of longitude.
        cos_lat = math.cos(math.radians(min(abs(lat) + dlat, 89.0)))
        dlon = dlat / cos_lat
        row_lo = max(math.floor((lat - dlat - origin_lat) / cell), 0)
        row_hi = min(math.floor((lat + dlat - origin_lat) / cell), rows - 1)
        col_lo = max(math.floor((lon - dlon - origin_lon) / cell), 0)
        col_hi = min(math.floor((lon + dlon - origin_lon) / cell), columns - 1)
        if row_lo > row_hi or col_lo > col_hi:
            return np.zeros(0, dtype=np.int64)
        row_keys = np.arange(row_lo, row_hi + 1, dtype=np.int64) * columns
        first = np.searchsorted(self.grid_cell_key, row_keys + col_lo, side="left")
        last = np.searchsorted(self.grid_cell_key, row_keys + col_hi, side="right")
        starts, ends = self.grid_cell_start[first], self.grid_cell_start[last]
        runs = [self.grid_node[start:end] for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
                if end > start]
        return np.concatenate(runs).astype(np.int64) if runs else np.zeros(0, dtype=np.int64)

    def nearest_nodes(self, lat: float, lon: float, *, count: int, max_distance_m: float
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Up to `count` nodes within `max_distance_m` of the point, nearest first: (distances in metres, ids)."""
        nodes, xy = self.nodes_within(lat, lon, max_distance_m)
        distance_m = np.hypot(xy[:, 0], xy[:, 1])
        order = np.argsort(distance_m, kind="stable")[:count]
        return distance_m[order], nodes[order]

    def nearest_node(self, lat: float, lon: float) -> tuple[int, float]:
        """(node index, distance in metres) of the network node nearest to the point.

        Searches discs of growing radius through the grid; a point further than ~200 km from every node falls
        back to a scan of all nodes (only ever outside the network: `covers` rejects those first).
        """
        if self.node_count == 0:
            raise ValueError("the network has no nodes")
        radius_m = 250.0
        while radius_m <= 200_000.0:
            nodes, xy = self.nodes_within(lat, lon, radius_m)
            if len(nodes):
                distance_m = np.hypot(xy[:, 0], xy[:, 1])
                best = int(np.argmin(distance_m))
                return int(nodes[best]), float(distance_m[best])
            radius_m *= 4.0
        distance_m = haversine_m(lat, lon, np.asarray(self.node_lat), np.asarray(self.node_lon))
        best = int(np.argmin(distance_m))
        return best, float(distance_m[best])

    def covers(self, lat: float, lon: float, *, max_distance_m: float = COVERS_MAX_NODE_DISTANCE_M) -> bool:
        """True if the point lies in the network's area: inside the bbox grown by 500 m and within
        `max_distance_m` of a node."""
        if self.node_count == 0:
            return False
        min_lat, min_lon, max_lat, max_lon = self.bbox
        margin_lat = COVERS_BBOX_MARGIN_M / 111_195.0
        margin_lon = margin_lat / max(np.cos(np.radians((min_lat + max_lat) / 2)), 1e-6)
        if not (
            min_lat - margin_lat <= lat <= max_lat + margin_lat
            and min_lon - margin_lon <= lon <= max_lon + margin_lon
        ):
            return False
        return len(self.nodes_within(lat, lon, max_distance_m)[0]) > 0

    def street_name(self, name_idx: int, language: str | None = None) -> str:
        """The street name of entry `name_idx` (an `edge_name_idx` value; "" for -1) in `language`: "ko" prefers
        `name:ko`, "en" prefers `name:en`, each falling back to the `name` tag; None gives the `name` tag."""
        if not 0 <= name_idx < len(self.names):
            return ""
        preferred = {"ko": self.names_ko, "en": self.names_en}.get(language or "")
        return (preferred[name_idx] if preferred else "") or self.names[name_idx]

    def neighbours(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        """(neighbour node indices, edge ids) of a node."""
        start, end = int(self.indptr[node]), int(self.indptr[node + 1])
        return np.asarray(self.adj_node[start:end]), np.asarray(self.adj_edge[start:end])

    def adjacency_of(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The CSR rows of `nodes`, flattened: (row index into `nodes` int64, neighbour ids int64, edge ids int64),
        one entry per (node, incident edge). Reads only those rows."""
        nodes = np.asarray(nodes, dtype=np.int64)
        starts = np.asarray(self.indptr[nodes])
        counts = np.asarray(self.indptr[nodes + 1]) - starts
        rows = np.repeat(np.arange(len(nodes)), counts)
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + starts[rows]
        return rows, self.adj_node[offsets].astype(np.int64), self.adj_edge[offsets].astype(np.int64)

    def edge_between(self, u: int, v: int) -> int:
        """Edge id joining u and v, or -1."""
        nodes, edges = self.neighbours(u)
        hit = np.flatnonzero(nodes == v)
        return int(edges[hit[0]]) if len(hit) else -1

    def edge_ids_along(self, node_ids: np.ndarray) -> np.ndarray:
        """Edge ids between consecutive nodes of a path (vectorised over the CSR rows of its nodes); -1 where no
        edge joins them."""
        node_ids = np.asarray(node_ids, dtype=np.int64)
        if len(node_ids) < 2:
            return np.zeros(0, dtype=np.int64)
        rows, neighbour, edge = self.adjacency_of(node_ids[:-1])
        hit = neighbour == node_ids[1:][rows]
        found = np.full(len(node_ids) - 1, -1, dtype=np.int64)
        found[rows[hit]] = edge[hit]  # parallel edges were merged at build: at most one hit per pair
        return found

    def subgraph_around(self, bbox: tuple[float, float, float, float], *, margin_m: float) -> RoadGraph:
        """The part of the network within `bbox` (min_lat, min_lon, max_lat, max_lon) grown by `margin_m`: its
        largest connected component, a new in-memory graph (the name table is kept whole). For splitting a
        country into regional files at import; O(nodes + edges of the part) beyond one pass over the nodes."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        min_lat, min_lon, max_lat, max_lon = bbox
        dlat = margin_m / _METRES_PER_DEG_LAT
        dlon = dlat / math.cos(math.radians(min(max(abs(min_lat), abs(max_lat)) + dlat, 89.0)))
        node_lat, node_lon = np.asarray(self.node_lat), np.asarray(self.node_lon)
        nodes = np.flatnonzero((node_lat >= min_lat - dlat) & (node_lat <= max_lat + dlat)
                               & (node_lon >= min_lon - dlon) & (node_lon <= max_lon + dlon))
        if len(nodes) == 0:
            return RoadGraph.from_edges(node_lat=[], node_lon=[], edge_u=[], edge_v=[], edge_highway=[],
                                        names=self.names, names_ko=self.names_ko, names_en=self.names_en)
        rows, neighbours, eids = self.adjacency_of(nodes)
        nbr_local = np.minimum(np.searchsorted(nodes, neighbours), len(nodes) - 1)
        keep = (nodes[nbr_local] == neighbours) & (rows < nbr_local)
        edge_u, edge_v, eids = rows[keep], nbr_local[keep], eids[keep]
        adjacency = coo_matrix((np.ones(len(edge_u)), (edge_u, edge_v)), shape=(len(nodes), len(nodes)))
        _count, labels = connected_components(adjacency, directed=False)
        largest = int(np.argmax(np.bincount(labels[edge_u], minlength=_count))) if len(edge_u) else 0
        kept_nodes = np.flatnonzero(labels == largest)
        new_index = np.full(len(nodes), -1, dtype=np.int64)
        new_index[kept_nodes] = np.arange(len(kept_nodes))
        kept_edges = labels[edge_u] == largest
        part_nodes = nodes[kept_nodes]
        edge_ids = eids[kept_edges]
        part_lat, part_lon = node_lat[part_nodes], node_lon[part_nodes]
        places = [place for place in self.places if min_lat - dlat <= place["lat"] <= max_lat + dlat
                  and min_lon - dlon <= place["lon"] <= max_lon + dlon]
        meta = {key: value for key, value in self.meta.items()
                if key in ("source", "source_bytes", "imported_at", "ways_skipped_not_walkable")}
        meta["region_bbox"] = [float(v) for v in bbox]
        meta["region_margin_m"] = float(margin_m)
        return RoadGraph.from_edges(
            node_lat=part_lat, node_lon=part_lon, node_osm_id=np.asarray(self.node_osm_id)[part_nodes],
            edge_u=new_index[edge_u[kept_edges]], edge_v=new_index[edge_v[kept_edges]],
            edge_highway=self.edge_highway[edge_ids], edge_lit=self.edge_lit[edge_ids],
            edge_flags=self.edge_flags[edge_ids], edge_name_idx=self.edge_name_idx[edge_ids],
            edge_length_m=self.edge_length_m[edge_ids], names=self.names, names_ko=self.names_ko,
            names_en=self.names_en, places=places, meta=meta)

    # --- whole-network views (offline tools and benches; request paths never use them) --------------------
    @property
    def projection(self) -> LocalProjection:
        """A metric projection centred on the network's bbox: distorted far from the centre of a large network,
        so the planner projects each crop around its own start instead."""
        if self._projection is None:
            min_lat, min_lon, max_lat, max_lon = self.bbox
            self._projection = LocalProjection((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)
        return self._projection

    @property
    def node_xy(self) -> np.ndarray:
        """(n, 2) node positions in metres in `projection` (computed once, cached: 16 bytes a node)."""
        if self._node_xy is None:
            self._node_xy = self.projection.to_xy(np.asarray(self.node_lat), np.asarray(self.node_lon))
        return self._node_xy

    @property
    def kdtree(self) -> cKDTree:
        """KD-tree over `node_xy`, built on first use (~50 ms per 100k nodes)."""
        if self._kdtree is None:
            self._kdtree = cKDTree(self.node_xy)
        return self._kdtree

    def __repr__(self) -> str:
        return f"<RoadGraph nodes={self.node_count} edges={self.edge_count} bbox={self.meta.get('bbox')}>"


def network_totals(edge_length_m: np.ndarray, edge_lit: np.ndarray) -> dict[str, Any]:
    """`edge_count`, `total_length_m` and `lit_tagged_share` (share of length whose `lit` is tagged: tells the
    planner whether lighting can be used) of a network's edges."""
    length = np.asarray(edge_length_m, dtype=np.float64)
    total = float(length.sum())
    lit_tagged = float(length[np.asarray(edge_lit) != LIT_UNKNOWN].sum())
    return {
        "edge_count": len(length),
        "total_length_m": round(total, 1),
        "lit_tagged_share": round(lit_tagged / total, 4) if total > 0 else 0.0,
    }


def build_grid_index(node_lat: np.ndarray, node_lon: np.ndarray, cell_deg: float = GRID_CELL_DEG
                     ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The grid index of the nodes: (its `meta["grid"]` entry, {grid_node, grid_cell_key, grid_cell_start}).
    One sort of the nodes by cell: O(n log n), 16 bytes a node of scratch beside the 4-byte result."""
    node_lat = np.asarray(node_lat, dtype=np.float64)
    node_lon = np.asarray(node_lon, dtype=np.float64)
    origin_lat = float(node_lat.min()) if len(node_lat) else 0.0
    origin_lon = float(node_lon.min()) if len(node_lon) else 0.0
    row = np.floor((node_lat - origin_lat) / cell_deg).astype(np.int64)
    col = np.floor((node_lon - origin_lon) / cell_deg).astype(np.int64)
    rows = int(row.max()) + 1 if len(row) else 1
    columns = int(col.max()) + 1 if len(col) else 1
    key = row  # made in place: a country's import builds this index beside the whole graph
    key *= columns
    key += col
    del row, col
    order = np.argsort(key, kind="stable")
    key = key[order]
    boundaries = np.flatnonzero(np.diff(key)) + 1 if len(key) else np.zeros(0, dtype=np.int64)
    cell_first = np.concatenate([[0], boundaries]).astype(np.int64) if len(key) else np.zeros(0, np.int64)
    meta = {"cell_deg": cell_deg, "origin_lat": origin_lat, "origin_lon": origin_lon, "rows": rows,
            "columns": columns}
    return meta, {
        "grid_node": order.astype(np.int32),
        "grid_cell_key": key[cell_first],
        "grid_cell_start": np.concatenate([cell_first, [len(key)]]).astype(np.int64),
    }


class GraphFileWriter:
    """Writes a road-graph file array chunk by array chunk, so a network never has to be in memory whole.

    `lengths` gives every array's final length up front (its dtype is `_ARRAY_DTYPES`'); `write(key, start,
    values)` puts values at index `start` of that array (chunks in any order); `finish(...)` appends the header
    and moves the file into place. Use as a context manager: leaving it without `finish` removes the file.
    """

    def __init__(self, path: str | os.PathLike, lengths: dict[str, int]):
        missing = set(_ARRAY_DTYPES) - set(lengths)
        if missing:
            raise ValueError(f"array lengths missing: {sorted(missing)}")
        self.path = Path(path)
        self._tmp_path = self.path.with_name(self.path.name + ".tmp")
        self._layout: dict[str, dict[str, Any]] = {}
        offset = _align(_V2_PREAMBLE)
        for key, dtype in _ARRAY_DTYPES.items():
            self._layout[key] = {"dtype": dtype.str, "shape": [int(lengths[key])], "offset": offset}
            offset = _align(offset + int(lengths[key]) * dtype.itemsize)
        self._end = offset
        self._fd = os.open(self._tmp_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        os.ftruncate(self._fd, self._end)
        self._finished = False

    def write(self, key: str, start: int, values) -> None:
        dtype = _ARRAY_DTYPES[key]
        values = np.ascontiguousarray(values, dtype=dtype)
        spec = self._layout[key]
        if start < 0 or start + len(values) > spec["shape"][0]:
            raise ValueError(f"{key}[{start}:{start + len(values)}] is outside its length {spec['shape'][0]}")
        view = memoryview(values).cast("B")
        position = spec["offset"] + start * dtype.itemsize
        while len(view):
            written = os.pwrite(self._fd, view, position)
            view, position = view[written:], position + written

    def finish(self, *, meta: dict[str, Any], names: list[str], names_ko: list[str], names_en: list[str],
               places: list[dict[str, Any]]) -> None:
        header = {"meta": meta, "names": names, "names_ko": names_ko, "names_en": names_en, "places": places,
                  "arrays": self._layout}
        header_bytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
        os.pwrite(self._fd, header_bytes, self._end)
        os.pwrite(self._fd, FILE_MAGIC_V2 + self._end.to_bytes(8, "little")
                  + len(header_bytes).to_bytes(8, "little"), 0)
        os.fsync(self._fd)
        os.close(self._fd)
        os.replace(self._tmp_path, self.path)
        self._finished = True

    def __enter__(self) -> GraphFileWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        if not self._finished:
            os.close(self._fd)
            self._tmp_path.unlink(missing_ok=True)


def _is_canonical(edge_u: np.ndarray, edge_v: np.ndarray) -> bool:
    """True if every edge has edge_u < edge_v and the edges are strictly increasing in (edge_u, edge_v): no
    self-loops, no parallel edges, already in the stored order. Bool scratch only."""
    if len(edge_u) == 0:
        return True
    if not bool(np.all(edge_u < edge_v)):
        return False
    du = edge_u[1:] > edge_u[:-1]
    return bool(np.all(du | ((edge_u[1:] == edge_u[:-1]) & (edge_v[1:] > edge_v[:-1]))))


def _canonical_edge_order(edge_u: np.ndarray, edge_v: np.ndarray, edge_length_m: np.ndarray,
                          n_nodes: int) -> np.ndarray:
    """Indices of the edges to keep, in the stored order: sorted by (low, high) end, self-loops dropped, and of
    parallel edges the shortest (the first in input order among equal lengths). One stable sort of an int64 key
    (~24 bytes an edge of scratch); parallel edges, rare, are settled apart."""
    low, high = np.minimum(edge_u, edge_v), np.maximum(edge_u, edge_v)
    kept = np.flatnonzero(low != high)
    key = low[kept].astype(np.int64) * n_nodes + high[kept]
    del low, high
    order = np.argsort(key, kind="stable")
    key = key[order]
    idx = kept[order]
    del kept, order
    if len(key) == 0:
        return idx
    run_first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    del key
    if len(run_first) < len(idx):
        run_len = np.diff(np.append(run_first, len(idx)))
        multi = np.flatnonzero(run_len > 1)
        member_len = run_len[multi]
        group = np.repeat(np.arange(len(multi)), member_len)
        position = (np.repeat(run_first[multi], member_len)
                    + np.arange(len(group)) - np.repeat(np.cumsum(member_len) - member_len, member_len))
        ranked = np.lexsort((position, edge_length_m[idx[position]].astype(np.float64), group))
        run_first[multi] = position[ranked][np.cumsum(member_len) - member_len]
    return idx[run_first]


def _build_csr(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray) -> dict[str, np.ndarray]:
    """CSR adjacency of an undirected edge list: each node's row lists first the edges where it is `edge_u`,
    then those where it is `edge_v`, each in edge order. Filled one side at a time: an edge's place is its
    rank among its node's edges on that side plus where that side begins in the node's row (8 bytes an edge
    of scratch, the sort order of one side)."""
    n_edges = len(edge_u)
    count_u = np.bincount(edge_u, minlength=n_nodes)
    count_v = np.bincount(edge_v, minlength=n_nodes)
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(count_u + count_v, out=indptr[1:])
    adj_node = np.empty(2 * n_edges, dtype=_ARRAY_DTYPES["adj_node"])
    adj_edge = np.empty(2 * n_edges, dtype=_ARRAY_DTYPES["adj_edge"])
    # Per node and side: where that side's run begins in the node's row minus where it begins in the side's
    # sorted order, so an entry's place is this shift plus its index in the sorted order.
    shift_u = indptr[:-1] - (np.cumsum(count_u) - count_u)
    shift_v = indptr[:-1] + count_u - (np.cumsum(count_v) - count_v)
    del count_u, count_v
    for own, other, shift in ((edge_u, edge_v, shift_u), (edge_v, edge_u, shift_v)):
        order = np.argsort(own, kind="stable")
        for start in range(0, n_edges, CSR_CHUNK_EDGES):  # the places a chunk at a time: no scratch per edge
            chunk = order[start:start + CSR_CHUNK_EDGES]
            position = shift[own[chunk]] + np.arange(start, start + len(chunk))
            adj_node[position] = other[chunk]
            adj_edge[position] = chunk
        del order
    return {"indptr": indptr, "adj_node": adj_node, "adj_edge": adj_edge}


def _align(offset: int) -> int:
    return (offset + _ALIGN - 1) // _ALIGN * _ALIGN
