"""`RoadGraph`: a walkable road network as compact numpy arrays, saved as one memory-mappable file.

Nodes are OSM nodes of walkable ways (every vertex, so a route's coordinates are its nodes' coordinates).
Edges are undirected segments between consecutive nodes of a way. Adjacency is CSR: the neighbours of node
`i` are `adj_node[indptr[i]:indptr[i + 1]]`, reached over edges `adj_edge[...]` (each edge appears twice).

File format (`save` / `load`): the 8-byte magic `RWGRAPH1`, a little-endian uint64 header length, a UTF-8
JSON header (metadata, name lists, place list, and for each array its dtype, shape and byte offset), then the
raw arrays, each aligned to 64 bytes. `load` memory-maps the arrays read-only, so every worker process shares
the same pages through the OS cache and loading is O(header).

Street names: `names` (the way's `name` tag) with `names_ko` / `names_en` beside it (its `name:ko` / `name:en`,
"" where untagged), all indexed by `edge_name_idx`. Files written before the language lists (or before names at
all) still load: every edge then has only its `name` tag (or no name).
"""

from __future__ import annotations

import json
import os
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from .geometry import LocalProjection

FILE_MAGIC = b"RWGRAPH1"
FORMAT_VERSION = 1
_ALIGN = 64
# `covers`: the start must be inside the bbox grown by this margin, and this close to a network node.
COVERS_BBOX_MARGIN_M = 500.0
COVERS_MAX_NODE_DISTANCE_M = 300.0


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
}


class RoadGraph:
    """A walkable road network. Build with `from_edges` (or `osm_import.build_graph_from_osm`), persist
    with `save`, open with `load`.

    Arrays (read-only after `load`): `node_lat`, `node_lon` (float64 degrees), `node_osm_id` (int64),
    `indptr` (int64, n+1), `adj_node` / `adj_edge` (int32, 2E), `edge_u` / `edge_v` (int32, E),
    `edge_length_m` (float32), `edge_highway` (uint8, `HighwayClass`), `edge_lit` (int8: -1 unknown, 0 no,
    1 yes), `edge_flags` (uint8, FLAG_*), `edge_name_idx` (int32 into `names`, -1 for none).
    `names`: street names (the `name` tag); `names_ko` / `names_en`: the same entries' `name:ko` / `name:en`
    ("" where untagged; see `street_name`). `places`: [{"name", "kind", "lat", "lon"}] for offline reverse geocoding.
    `meta`: bbox, counts, `lit_tagged_share`, source details.
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
        from .geometry import haversine_m

        node_lat = np.ascontiguousarray(node_lat, dtype=np.float64)
        node_lon = np.ascontiguousarray(node_lon, dtype=np.float64)
        n_nodes = len(node_lat)
        edge_u = np.asarray(edge_u, dtype=np.int64)
        edge_v = np.asarray(edge_v, dtype=np.int64)
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
        edge_length_m = np.asarray(edge_length_m, dtype=np.float64)

        # Canonical (low, high) node order; drop self-loops; keep the shortest of parallel edges.
        lo, hi = np.minimum(edge_u, edge_v), np.maximum(edge_u, edge_v)
        keep = lo != hi
        order = np.lexsort((edge_length_m[keep], hi[keep], lo[keep]))
        idx = np.flatnonzero(keep)[order]
        key = lo[idx] * n_nodes + hi[idx]
        first = np.concatenate([[True], key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=bool)
        idx = idx[first]
        edge_u, edge_v = lo[idx], hi[idx]

        arrays = {
            "node_lat": node_lat,
            "node_lon": node_lon,
            "node_osm_id": (
                np.arange(n_nodes, dtype=np.int64)
                if node_osm_id is None
                else np.asarray(node_osm_id, dtype=np.int64)
            ),
            "edge_u": edge_u.astype(np.int32),
            "edge_v": edge_v.astype(np.int32),
            "edge_length_m": edge_length_m[idx].astype(np.float32),
            "edge_highway": edge_highway[idx],
            "edge_lit": edge_lit[idx],
            "edge_flags": edge_flags[idx],
            "edge_name_idx": edge_name_idx[idx],
        }
        arrays.update(_build_csr(n_nodes, edge_u, edge_v))
        graph = cls(arrays, list(names or []), list(places or []), dict(meta or {}), names_ko=names_ko,
                    names_en=names_en)
        graph.meta.update(graph._computed_meta())
        return graph

    def _computed_meta(self) -> dict[str, Any]:
        n_edges = len(self.edge_u)
        length = self.edge_length_m.astype(np.float64)
        total = float(length.sum())
        lit_tagged = float(length[self.edge_lit != LIT_UNKNOWN].sum())
        return {
            "format_version": FORMAT_VERSION,
            "node_count": len(self.node_lat),
            "edge_count": int(n_edges),
            "total_length_m": round(total, 1),
            # Share of network length whose `lit` is tagged: tells the planner whether lighting can be used.
            "lit_tagged_share": round(lit_tagged / total, 4) if total > 0 else 0.0,
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
        """Write the graph to ONE uncompressed file (atomically: temp file + rename)."""
        path = Path(path)
        arrays = {
            key: np.ascontiguousarray(getattr(self, key), dtype=dtype) for key, dtype in _ARRAY_DTYPES.items()
        }
        layout = {}
        offset = 0
        for key, array in arrays.items():
            offset = _align(offset)
            layout[key] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
            offset += array.nbytes
        header = {"meta": self.meta, "names": self.names, "names_ko": self.names_ko, "names_en": self.names_en,
                  "places": self.places, "arrays": layout}
        header_bytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
        data_start = _align(len(FILE_MAGIC) + 8 + len(header_bytes))
        tmp_path = path.with_name(path.name + ".tmp")
        with open(tmp_path, "wb") as fh:
            fh.write(FILE_MAGIC)
            fh.write(len(header_bytes).to_bytes(8, "little"))
            fh.write(header_bytes)
            for key, array in arrays.items():
                fh.seek(data_start + layout[key]["offset"])
                fh.write(array.tobytes())
            fh.truncate(data_start + _align(offset))
        os.replace(tmp_path, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> RoadGraph:
        """Open a file written by `save`; arrays are read-only memory maps.

        Raises ValueError if the file is not a road-graph file. Files without `names_ko` / `names_en` (or
        without names and `edge_name_idx` at all) load with those empty: every edge unnamed in that language.
        """
        path = Path(path)
        with open(path, "rb") as fh:
            if fh.read(len(FILE_MAGIC)) != FILE_MAGIC:
                raise ValueError(f"{path} is not a RunnerWay road-graph file")
            header_len = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(header_len).decode("utf-8"))
        data_start = _align(len(FILE_MAGIC) + 8 + header_len)
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
        if "edge_name_idx" not in arrays:
            edge_count = int(np.prod(header["arrays"]["edge_u"]["shape"]))
            arrays["edge_name_idx"] = np.full(edge_count, -1, dtype=_ARRAY_DTYPES["edge_name_idx"])
        return cls(arrays, names, header.get("places") or [], header["meta"], names_ko=header.get("names_ko"),
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

    @property
    def projection(self) -> LocalProjection:
        """The graph's local metric projection (centred on its bbox)."""
        if self._projection is None:
            min_lat, min_lon, max_lat, max_lon = self.bbox
            self._projection = LocalProjection((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)
        return self._projection

    @property
    def node_xy(self) -> np.ndarray:
        """(n, 2) node positions in metres in `projection` (computed once, cached)."""
        if self._node_xy is None:
            self._node_xy = self.projection.to_xy(np.asarray(self.node_lat), np.asarray(self.node_lon))
        return self._node_xy

    @property
    def kdtree(self) -> cKDTree:
        """KD-tree over `node_xy`, built lazily on first use (~50 ms per 100k nodes)."""
        if self._kdtree is None:
            self._kdtree = cKDTree(self.node_xy)
        return self._kdtree

    def nearest_node(self, lat: float, lon: float) -> tuple[int, float]:
        """(node index, distance in metres) of the network node nearest to the point."""
        distance_m, index = self.kdtree.query(self.projection.to_xy(lat, lon))
        return int(index), float(distance_m)

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
        return self.nearest_node(lat, lon)[1] <= max_distance_m

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

    def edge_between(self, u: int, v: int) -> int:
        """Edge id joining u and v, or -1."""
        nodes, edges = self.neighbours(u)
        hit = np.flatnonzero(nodes == v)
        return int(edges[hit[0]]) if len(hit) else -1

    def edge_ids_along(self, node_ids: np.ndarray) -> np.ndarray:
        """Edge ids between consecutive nodes of a path (vectorised); -1 where no edge joins them."""
        node_ids = np.asarray(node_ids, dtype=np.int64)
        if len(node_ids) < 2:
            return np.zeros(0, dtype=np.int64)
        u, v = node_ids[:-1], node_ids[1:]
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keys = self._edge_keys()
        query = lo * self.node_count + hi
        pos = np.searchsorted(keys, query)
        pos = np.minimum(pos, len(keys) - 1)
        found = keys[pos] == query
        return np.where(found, self._edge_key_order()[pos], -1)

    def _edge_keys(self) -> np.ndarray:
        if not hasattr(self, "_sorted_keys"):
            keys = np.asarray(self.edge_u, dtype=np.int64) * self.node_count + np.asarray(
                self.edge_v, dtype=np.int64
            )
            order = np.argsort(keys, kind="stable")
            self._sorted_keys, self._sorted_order = keys[order], order
        return self._sorted_keys

    def _edge_key_order(self) -> np.ndarray:
        self._edge_keys()
        return self._sorted_order

    def __repr__(self) -> str:
        return f"<RoadGraph nodes={self.node_count} edges={self.edge_count} bbox={self.meta.get('bbox')}>"


def _build_csr(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray) -> dict[str, np.ndarray]:
    edge_ids = np.arange(len(edge_u), dtype=np.int64)
    src = np.concatenate([edge_u, edge_v])
    dst = np.concatenate([edge_v, edge_u])
    eid = np.concatenate([edge_ids, edge_ids])
    order = np.argsort(src, kind="stable")
    counts = np.bincount(src, minlength=n_nodes)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return {
        "indptr": indptr,
        "adj_node": dst[order].astype(np.int32),
        "adj_edge": eid[order].astype(np.int32),
    }


def _align(offset: int) -> int:
    return (offset + _ALIGN - 1) // _ALIGN * _ALIGN
